import ArgumentParser
import AsyncHTTPClient
import Billing
import EffinityTesting
import Foundation
import NIOCore
import StripeEmulator
import StripeWire

/// `effinity bench jobs`: the webhook route's answer time and the workers' throughput. N
/// customers subscribe in the fake (each an organization of the app); their events are signed as
/// Stripe signs them and posted to the app's webhook route over loopback HTTP, C at a time (each
/// answer timed: the route verifies, records a job and answers); then W workers drain the queue
/// (each job re-reads its object from the fake and applies it in one transaction).
struct JobsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Time the app's webhook route (verify and queue) and the job workers' throughput (apply) on N subscriptions' events."
    )

    @Option(help: "Customers subscribing (their events are the load).") var subscriptions = 200
    @Option(help: "Webhook posts in flight at once.") var concurrency = 8
    @Option(help: "Workers draining the queue at once.") var workers = 2
    @Option(help: "The app's database: a PostgreSQL URL (binary built with --traits Postgres) or a SQLite path; default in-memory SQLite.")
    var databaseURL: String?

    func run() async throws {
        let store: any BillingStore
        if let url = databaseURL {
            store = try await BillingStores.open(url, schema: BillingStores.isPostgres(url) ? "bench_jobs_" + String(UInt32.random(in: 0...UInt32.max)) : nil)
        } else {
            store = try SQLiteBillingStore.inMemory()
        }
        var options = WiredStack.Options()
        options.key = "sk_test_bench_jobs"
        options.settings = EmulatorSettings(idMode: .sequential, wallClock: FixedWallClock(1_800_000_000))
        options.drainJobsOnDelivery = false
        let stack = try await WiredStack.start(store: store, options: options)
        do {
            try await measure(stack)
        } catch {
            await stack.stop()
            await BillingStores.close(store, dropSchema: true)
            throw error
        }
        await stack.stop()
        await BillingStores.close(store, dropSchema: true)
    }

    func measure(_ stack: WiredStack) async throws {
        let service = stack.service, key = stack.key
        // Starter's monthly price, as the app synced it (a subscription without a trial: paid at once).
        guard let price = try await stack.emulator.must("GET", "/v1/prices?lookup_keys[0]=effinity_starter_monthly", key: key)["data"][0]["id"].stringValue else {
            throw ValidationError("the app did not sync its Starter price")
        }
        let setupStart = ContinuousClock.now
        for i in 0..<subscriptions {
            let org = "bench\(i)"
            try await service.ensureOrganization(id: org, name: "Bench \(i)")
            let c = try await stack.emulator.must("POST", "/v1/customers",
                                                  "payment_method=pm_card_visa&invoice_settings[default_payment_method]=pm_card_visa&metadata[org_id]=\(org)",
                                                  key: key)
            _ = try await stack.emulator.must("POST", "/v1/subscriptions",
                                              "customer=\(c["id"].stringValue!)&items[0][price]=\(price)&metadata[org_id]=\(org)", key: key)
        }
        // Every event since the app started, oldest first, as the fake would deliver them.
        var events: [JSONValue] = []
        var after: String? = nil
        while true {
            // Newest first: each page continues after the oldest event of the one before.
            let page = try await stack.emulator.must("GET", "/v1/events?limit=100" + (after.map { "&starting_after=\($0)" } ?? ""), key: key)
            let data = page["data"].arrayValue ?? []
            events += data
            guard page["has_more"] == true, let last = data.last?["id"].stringValue else { break }
            after = last
        }
        events.sort { ($0["created"].intValue ?? 0, $0["id"].stringValue ?? "") < ($1["created"].intValue ?? 0, $1["id"].stringValue ?? "") }
        print("jobs_bench subscriptions=\(subscriptions) events=\(events.count) concurrency=\(concurrency) workers=\(workers) store=\(databaseURL.map { BillingStores.isPostgres($0) ? "postgres" : "sqlite-file" } ?? "sqlite-memory")")
        print("setup_seconds \(fmt(ContinuousClock.now - setupStart)) (\(subscriptions) customers + subscriptions in the fake)")

        // 1. The route: verify, dedupe, queue, answer.
        let url = stack.appURL + "/api/billing/webhooks", secret = stack.webhookSecret, now = service.clock.now()
        let load = events, concurrency = self.concurrency
        let postStart = ContinuousClock.now
        let timings = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for lane in 0..<concurrency {
                group.addTask {
                    var mine: [Duration] = []
                    for event in stride(from: lane, to: load.count, by: concurrency).map({ load[$0] }) {
                        let payload = JSONWriter.data(event)
                        var request = HTTPClientRequest(url: url)
                        request.method = .POST
                        request.headers.add(name: "Stripe-Signature", value: WebhookSignature.header(payload: payload, secrets: [secret], timestamp: now))
                        request.body = .bytes(ByteBuffer(bytes: payload))
                        let began = ContinuousClock.now
                        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        mine.append(ContinuousClock.now - began)
                        guard response.status == .ok else { throw ValidationError("the webhook route answered \(response.status.code)") }
                    }
                    return mine
                }
            }
            var all: [Duration] = []
            for try await part in group { all += part }
            return all.sorted()
        }
        let postTime = ContinuousClock.now - postStart
        func ms(_ d: Duration) -> String { String(format: "%.2f", Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1000) }
        func pct(_ p: Double) -> Duration { timings[min(timings.count - 1, Int(Double(timings.count) * p))] }
        let queued = try await service.store.read { tx in try tx.jobStats(now: now) }.depth[.stripeEvent] ?? 0
        print("webhook_answers \(timings.count) in \(fmt(postTime)) s: \(Int(Double(timings.count) / seconds(postTime))) per s; jobs queued \(queued)")
        print("webhook_answer_ms p50 \(ms(pct(0.5))) p90 \(ms(pct(0.9))) p99 \(ms(pct(0.99))) max \(ms(timings.last ?? .zero))")

        // 2. The workers: claim, re-read from Stripe, apply, finish.
        let drainStart = ContinuousClock.now
        let ran = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<workers { group.addTask { try await JobWorker(service: service).drain(now: now) } }
            var total = 0
            for try await n in group { total += n }
            return total
        }
        let drainTime = ContinuousClock.now - drainStart
        let stats = try await service.store.read { tx in try tx.jobStats(now: now) }
        print("jobs_run \(ran) in \(fmt(drainTime)) s: \(Int(Double(ran) / seconds(drainTime))) jobs/s with \(workers) workers (emails included); left \(stats.depth.values.reduce(0, +)), dead \(stats.dead.values.reduce(0, +))")
        let subscribed = try await service.store.read { tx in try tx.countSubscriptions(statuses: ["active"]) }
        print("orgs_mirrored_on_starter \(subscribed["starter"] ?? 0) of \(subscriptions)")
    }

    func seconds(_ d: Duration) -> Double { max(Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18, 1e-9) }
}
