import Foundation
import Logging
import Synchronization

/// Claims and runs jobs from the queue (``QueuedJob``): the in-process worker of `effinity app` (the
/// only one on SQLite), an `effinity worker` process (any number on PostgreSQL, where claims
/// skip rows other workers hold), or a drain that runs everything due and returns (the
/// scenario runner after each step, tests, benchmarks).
///
/// A job that throws is queued again after ``JobRetryPolicy/backoff(afterAttempt:)``, and
/// dead-lettered after ``JobRetryPolicy/maxAttempts`` claims. Event jobs are idempotent (the
/// event's id is recorded in the transaction that applies it), so a job run again after its
/// worker died mid-way, once its lease passed, changes nothing twice.
public struct JobWorker: Sendable {
    public let service: BillingService
    /// This worker's name in `locked_by`: host, process and a random part.
    public let id: String
    let logger: Logger

    public init(service: BillingService, id: String? = nil) {
        self.service = service
        self.id = id ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())-\(BillingService.token(6))"
        self.logger = service.logger
    }

    /// Claims one job that may run at `now` (the app's clock by default) and runs it; false
    /// when none could be claimed.
    @discardableResult
    public func runOne(now: Int? = nil) async throws -> Bool {
        let policy = service.jobPolicy, worker = id
        let claimedAt = now ?? service.clock.now()
        guard let job = try await service.store.write({ tx in try tx.claimJob(worker: worker, now: claimedAt, lease: policy.lease) }) else {
            return false
        }
        let started = ContinuousClock.now
        service.metrics.recordJobStarted(kind: job.kind, waited: max(0, claimedAt - job.createdAt))
        do {
            let outcome = try await service.perform(job)
            let finished = service.clock.now()
            let mine = try await service.store.write { tx in try tx.finishJob(id: job.id, worker: worker, outcome: outcome, at: finished) }
            if !mine {
                logger.notice("job finished after its lease passed; another worker had claimed it", metadata: ["job": "\(job.id)"])
            }
            service.metrics.recordJobFinished(kind: job.kind, result: .succeeded, duration: ContinuousClock.now - started)
        } catch {
            let failedAt = service.clock.now()
            let dead = policy.isExhausted(afterAttempt: job.attempts)
            let retryAt = dead ? nil : failedAt + policy.backoff(afterAttempt: job.attempts)
            _ = try await service.store.write { tx in
                try tx.failJob(id: job.id, worker: worker, error: "\(error)", retryAt: retryAt, at: failedAt)
            }
            service.metrics.recordJobFinished(kind: job.kind, result: dead ? .deadLettered : .retried, duration: ContinuousClock.now - started)
            let metadata: Logger.Metadata = ["job": "\(job.id)", "kind": "\(job.kind.rawValue)", "attempt": "\(job.attempts)",
                                             "event": "\(job.eventID ?? "")", "error": "\(error)"]
            if dead {
                logger.error("job dead-lettered after its last attempt", metadata: metadata)
            } else {
                logger.warning("job failed; retrying later", metadata: metadata.merging(["retry_at": "\(retryAt ?? 0)"]) { a, _ in a })
            }
        }
        return true
    }

    /// Runs jobs until none may run at `now`, and waits for the ones other workers are running
    /// under a live lease (polling every few milliseconds), so that when it returns every job due
    /// at `now` has ended, here or elsewhere. Returns how many jobs it ran itself.
    @discardableResult
    public func drain(now: Int? = nil, waitingAtMost limit: Duration = .seconds(60)) async throws -> Int {
        var ran = 0
        let deadline = ContinuousClock.now + limit
        while true {
            if try await runOne(now: now) { ran += 1; continue }
            let at = now ?? service.clock.now()
            let pending = try await service.store.read { tx in try tx.pendingJobs(now: at) }
            if pending.due == 0 && pending.running == 0 { return ran }
            guard ContinuousClock.now < deadline else { return ran }
            // Another worker holds a job (or just claimed the last due one): wait for it.
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Runs until cancelled: every job as soon as it is queued in this process (the webhook
    /// route wakes the worker), and at least every `poll` for jobs other processes queued and
    /// retries that fell due. A failing store is logged and retried after `poll`. Cancellation
    /// (graceful shutdown) lets the job in hand finish: each runs in a task of its own, which
    /// the cancellation does not reach.
    public func run(poll: Duration = .milliseconds(500)) async {
        let signal = service.jobSignal
        while !Task.isCancelled {
            do {
                while !Task.isCancelled, try await Task(operation: { try await runOne() }).value {}
            } catch is CancellationError {
                return
            } catch {
                logger.error("job worker could not read the queue", metadata: ["error": "\(error)"])
            }
            await signal.wait(upTo: poll)
        }
    }
}

/// Wakes an in-process worker when a job is queued, so it does not wait for its next poll:
/// the worker looks at the flag every 5 ms while it waits (cheaper than a query per tick).
public final class JobSignal: Sendable {
    private let pending = Mutex(false)

    public init() {}

    public func wake() { pending.withLock { $0 = true } }

    /// Returns when woken (since the last return) or after `limit`, whichever comes first.
    func wait(upTo limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline, !Task.isCancelled {
            if pending.withLock({ p in defer { p = false }; return p }) { return }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}
