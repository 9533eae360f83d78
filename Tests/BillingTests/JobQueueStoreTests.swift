import Foundation
import Testing
@testable import Billing

/// The job queue's SQL on every backend (see ``StoreBackend``): claims in order per order key,
/// leases, retries, dead letters, and workers on several stores (processes) never claiming one
/// job twice.
@Suite(.timeLimit(.minutes(1))) struct JobQueueStoreTests {
    static let t0 = 1_800_000_000

    @Test(arguments: StoreBackend.available)
    func claimsInOrderPerKeyAndOnlyWhenDue(backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let store = stores[0]
            let t0 = Self.t0
            let queued = try await store.write { tx in
                [try tx.enqueueJob(kind: .stripeEvent, orderKey: "customer:a", eventID: "evt_1", payload: "{}", at: t0),
                 try tx.enqueueJob(kind: .stripeEvent, orderKey: "customer:a", eventID: "evt_2", payload: "{}", at: t0),
                 try tx.enqueueJob(kind: .stripeEvent, orderKey: "customer:b", eventID: "evt_3", payload: "{}", at: t0),
                 // The same event again is no new job.
                 try tx.enqueueJob(kind: .stripeEvent, orderKey: "customer:a", eventID: "evt_1", payload: "{}", at: t0 + 5)]
            }
            #expect(queued == [true, true, true, false])
            // Not due before it was queued.
            #expect(try await store.write { tx in try tx.claimJob(worker: "w1", now: t0 - 1, lease: 60) } == nil)
            let first = try #require(try await store.write { tx in try tx.claimJob(worker: "w1", now: t0, lease: 60) })
            #expect(first.eventID == "evt_1" && first.status == .running && first.attempts == 1 && first.lockedUntil == t0 + 60)
            // evt_2 waits for evt_1 (same customer); evt_3 is free to run.
            let second = try #require(try await store.write { tx in try tx.claimJob(worker: "w2", now: t0, lease: 60) })
            #expect(second.eventID == "evt_3")
            #expect(try await store.write { tx in try tx.claimJob(worker: "w2", now: t0, lease: 60) } == nil)
            let pending = try await store.read { tx in try tx.pendingJobs(now: t0) }
            #expect(pending.due == 0 && pending.running == 2)
            #expect(try await store.write { tx in try tx.finishJob(id: first.id, worker: "w1", outcome: "processed", at: t0 + 1) })
            let third = try #require(try await store.write { tx in try tx.claimJob(worker: "w2", now: t0 + 1, lease: 60) })
            #expect(third.eventID == "evt_2")
            let stats = try await store.read { tx in try tx.jobStats(now: t0 + 10) }
            #expect(stats.depth[.stripeEvent] == 2 && stats.oldestAge == 10 && stats.dead.isEmpty)
            let done = try await store.read { tx in try tx.job(eventID: "evt_1") }
            #expect(done?.status == .done && done?.outcome == "processed" && done?.finishedAt == t0 + 1 && done?.lockedBy == nil)
        }
    }

    @Test(arguments: StoreBackend.available)
    func expiredLeaseIsClaimedAgainAndTheOldWorkerCannotFinish(backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let store = stores[0]
            let t0 = Self.t0
            _ = try await store.write { tx in try tx.enqueueJob(kind: .stripeEvent, orderKey: "customer:a", eventID: "evt_1", payload: "{}", at: t0) }
            let job = try #require(try await store.write { tx in try tx.claimJob(worker: "dead", now: t0, lease: 30) })
            // Within the lease nobody else takes it; after it, another worker does.
            #expect(try await store.write { tx in try tx.claimJob(worker: "w2", now: t0 + 30, lease: 30) } == nil)
            let again = try #require(try await store.write { tx in try tx.claimJob(worker: "w2", now: t0 + 31, lease: 30) })
            #expect(again.id == job.id && again.attempts == 2 && again.lockedBy == "w2")
            // The first worker comes back too late: its finish and its failure change nothing.
            #expect(try await store.write { tx in try tx.finishJob(id: job.id, worker: "dead", outcome: "processed", at: t0 + 32) } == false)
            #expect(try await store.write { tx in try tx.failJob(id: job.id, worker: "dead", error: "x", retryAt: t0 + 99, at: t0 + 32) } == false)
            #expect(try await store.write { tx in try tx.finishJob(id: job.id, worker: "w2", outcome: "duplicate", at: t0 + 33) })
            #expect(try await store.read { tx in try tx.job(eventID: "evt_1") }?.outcome == "duplicate")
        }
    }

    @Test(arguments: StoreBackend.available)
    func failureRetriesLaterAndDeadLettersWithoutBlockingTheKey(backend: StoreBackend) async throws {
        try await backend.withStores { stores in
            let store = stores[0]
            let t0 = Self.t0
            try await store.write { tx in
                _ = try tx.enqueueJob(kind: .stripeEvent, orderKey: "customer:a", eventID: "evt_1", payload: "{}", at: t0)
                _ = try tx.enqueueJob(kind: .stripeEvent, orderKey: "customer:a", eventID: "evt_2", payload: "{}", at: t0)
            }
            let job = try #require(try await store.write { tx in try tx.claimJob(worker: "w", now: t0, lease: 60) })
            #expect(try await store.write { tx in try tx.failJob(id: job.id, worker: "w", error: "Stripe 503", retryAt: t0 + 30, at: t0) })
            // Queued again but not due: evt_2 still waits behind it (order per customer).
            #expect(try await store.write { tx in try tx.claimJob(worker: "w", now: t0 + 29, lease: 60) } == nil)
            let retry = try #require(try await store.write { tx in try tx.claimJob(worker: "w", now: t0 + 30, lease: 60) })
            #expect(retry.id == job.id && retry.attempts == 2 && retry.lastError == "Stripe 503")
            #expect(try await store.write { tx in try tx.failJob(id: job.id, worker: "w", error: "still 503", retryAt: nil, at: t0 + 31) })
            let dead = try await store.read { tx in try tx.jobs(status: .dead, orderKeys: ["customer:a", "customer:z"], limit: 10) }
            #expect(dead.map(\.eventID) == ["evt_1"] && dead.first?.lastError == "still 503" && dead.first?.finishedAt == t0 + 31)
            // A dead letter no longer holds up the customer's next event.
            let next = try #require(try await store.write { tx in try tx.claimJob(worker: "w", now: t0 + 31, lease: 60) })
            #expect(next.eventID == "evt_2")
            #expect(try await store.read { tx in try tx.jobStats(now: t0 + 31) }.dead[.stripeEvent] == 1)
        }
    }

    /// Several stores on one database (as several worker processes), claiming concurrently:
    /// every job is claimed exactly once.
    @Test(arguments: StoreBackend.available)
    func concurrentWorkersClaimEachJobOnce(backend: StoreBackend) async throws {
        try await backend.withStores(4) { stores in
            let t0 = Self.t0
            try await stores[0].write { tx in
                for i in 0..<60 {
                    _ = try tx.enqueueJob(kind: .stripeEvent, orderKey: "customer:\(i % 6)", eventID: "evt_\(i)", payload: "{}", at: t0)
                }
            }
            let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
                for (n, store) in stores.enumerated() {
                    group.addTask {
                        var mine: [String] = []
                        while true {
                            guard let job = try await store.write({ tx in try tx.claimJob(worker: "w\(n)", now: t0, lease: 600) }) else {
                                // Nothing claimable now: finished once no job is due or held by another worker.
                                let pending = try await store.read { tx in try tx.pendingJobs(now: t0) }
                                if pending.due == 0 && pending.running == 0 { return mine }
                                await Task.yield()
                                continue
                            }
                            mine.append(job.eventID ?? "")
                            _ = try await store.write { tx in try tx.finishJob(id: job.id, worker: "w\(n)", outcome: "processed", at: t0) }
                        }
                    }
                }
                var all: [String] = []
                for try await part in group { all += part }
                return all
            }
            #expect(claimed.count == 60)
            #expect(Set(claimed).count == 60)
        }
    }
}
