import ArgumentParser
import Billing
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// The background jobs' settings, shared by `effinity app` (its in-process worker) and
/// `effinity worker`.
struct JobOptions: ParsableArguments {
    @Option(help: "Seconds a worker holds a job before another may take it over (it must exceed the longest job).")
    var jobLease = JobRetryPolicy().lease
    @Option(help: "Attempts before a failing job is dead-lettered.")
    var jobMaxAttempts = JobRetryPolicy().maxAttempts
    @Option(help: "Seconds to wait after a job's first failure (each further failure waits 4 times longer).")
    var jobBackoff = JobRetryPolicy().firstBackoff

    var policy: JobRetryPolicy { JobRetryPolicy(maxAttempts: jobMaxAttempts, firstBackoff: jobBackoff, lease: jobLease) }

    func validate() throws {
        guard jobLease > 0, jobMaxAttempts > 0, jobBackoff >= 0 else {
            throw ValidationError("--job-lease and --job-max-attempts must be positive, --job-backoff not negative.")
        }
    }
}

/// `effinity worker`: runs the app's background jobs (webhook events, emails) from the
/// database's queue, without serving HTTP. Any number of them share a PostgreSQL queue.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run EFFINITY's background jobs (Stripe events, emails) from the app's database.",
        discussion: "Stripe comes from STRIPE_API_BASE and STRIPE_SECRET_KEY (or the options below). Stops on SIGINT or SIGTERM after the job in hand."
    )

    @OptionGroup var storeOptions: AppStoreOptions
    @OptionGroup var stripeOptions: StripeOptions
    @Option(help: "Milliseconds between looks at the queue when it is empty.") var pollMs = 200
    @OptionGroup var jobOptions: JobOptions

    func run() async throws {
        let config = try stripeOptions.configuration()
        let store = try await storeOptions.store()
        var logger = Logger(label: "effinity.worker")
        logger.logLevel = .notice
        let service = BillingService(store: store, stripe: StripeClient(configuration: config),
                                     policy: BillingPolicy(catalog: try BillingService.defaultCatalog()), appURL: "",
                                     jobPolicy: jobOptions.policy, logger: logger)
        let worker = JobWorker(service: service)
        say("EFFINITY worker \(worker.id) on \(storeOptions.displayLocation)")
        let group = ServiceGroup(configuration: .init(services: [JobWorkerService(worker: worker, poll: .milliseconds(pollMs))],
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do { try await group.run() } catch {
            await BillingStores.close(store)
            throw error
        }
        await BillingStores.close(store)
    }
}
