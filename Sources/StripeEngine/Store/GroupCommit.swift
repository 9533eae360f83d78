import GRDB
import Synchronization

/// API writes that arrive while others are in flight, committed together: one transaction per
/// batch, each request in its own savepoint.
///
/// Why: every commit costs a BEGIN and a COMMIT and, on a file, writes every page the
/// transaction touched to the WAL (whole pages: the objects table, its indexes, the id
/// counters), so eight concurrent `POST /v1/customers` wrote about eight times the same pages.
/// In a batch each page is written once. A request that fails rolls back its savepoint only, so
/// it is exactly as if it ran alone; its answer (like every other in the batch) is given once
/// the batch has committed, never before, so nobody is told of a write that could still be lost.
package final class GroupCommit: Sendable {
    private struct Pending: Sendable {
        let work: @Sendable (Database) throws -> any Sendable
        let finish: @Sendable (Result<any Sendable, any Error>) -> Void
    }

    private struct State {
        var pending: [Pending] = []
        var draining = false
    }

    private let writer: any DatabaseWriter
    private let state = Mutex(State())
    /// Requests per transaction at most, so one batch never holds the writer for long.
    private let limit: Int

    package init(writer: any DatabaseWriter, limit: Int = 32) {
        self.writer = writer
        self.limit = limit
    }

    /// Runs `block` in a savepoint of the next batch; returns once that batch has committed.
    package func write<T: Sendable>(_ block: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let result: any Sendable = try await withCheckedThrowingContinuation { continuation in
            let pending = Pending(work: { try block($0) }, finish: { continuation.resume(with: $0) })
            let start = state.withLock { s -> Bool in
                s.pending.append(pending)
                if s.draining { return false }
                s.draining = true
                return true
            }
            if start { drain() }
        }
        return result as! T
    }

    /// Takes batches until none is waiting, on the writer's queue.
    private func drain() {
        writer.asyncWriteWithoutTransaction { db in
            while true {
                let batch = self.state.withLock { s -> [Pending] in
                    guard !s.pending.isEmpty else { s.draining = false; return [] }
                    let taken = Array(s.pending.prefix(self.limit))
                    s.pending.removeFirst(taken.count)
                    return taken
                }
                if batch.isEmpty { return }
                var results: [Result<any Sendable, any Error>] = []
                results.reserveCapacity(batch.count)
                do {
                    try db.inTransaction {
                        for p in batch {
                            var value: (any Sendable)?
                            do {
                                try db.inSavepoint {
                                    value = try p.work(db)
                                    return .commit
                                }
                                results.append(.success(value!))
                            } catch {
                                results.append(.failure(error))
                            }
                        }
                        return .commit
                    }
                } catch {
                    // The commit failed: nothing of the batch was written.
                    results = batch.map { _ in .failure(error) }
                }
                for (p, r) in zip(batch, results) { p.finish(r) }
            }
        }
    }
}
