import GRDB
import Synchronization

/// Work to run once the writer connection's current transaction commits, dropped if it rolls
/// back: what a new render stamp or an account's version mark publishes to the rest of the
/// process.
///
/// Why not GRDB's `afterNextTransaction`: it adds a transaction observer and removes it after
/// the commit, and GRDB drops every cached statement that can delete rows each time an observer
/// is added or removed (its truncate-optimization bookkeeping). Every write request touches the
/// render stamp, so every one prepared its `DELETE` statements again (the scheduler's cancels,
/// retention's prunes): 3.5% of a `POST /v1/subscriptions` in `perf`. This one observer is added
/// once, to each ``EmulatorDatabase``'s writer when it opens, and keeps the actions per connection.
package final class CommitHooks: TransactionObserver, Sendable {
    /// The observer every emulator database's writer carries (GRDB holds observers weakly).
    package static let shared = CommitHooks()

    private let pending = Mutex<[ObjectIdentifier: [@Sendable () -> Void]]>([:])

    private init() {}

    /// Adds the observer to `writer`'s connection; the emulator's databases do it when they open.
    package static func install(on writer: any DatabaseWriter) {
        writer.add(transactionObserver: shared, extent: .observerLifetime)
    }

    /// Runs `action` after the transaction `db` is in commits (outside a transaction: after the
    /// next statement, which commits as it runs); forgets it if the transaction rolls back.
    /// `db` must be the writer of an ``EmulatorDatabase``, which carries the observer.
    package static func afterCommit(_ db: Database, _ action: @escaping @Sendable () -> Void) {
        shared.pending.withLock { $0[ObjectIdentifier(db), default: []].append(action) }
    }

    /// How many actions wait for `db`'s commit (for tests).
    package static func waiting(_ db: Database) -> Int {
        shared.pending.withLock { $0[ObjectIdentifier(db)]?.count ?? 0 }
    }

    package func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }

    package func databaseDidChange(with event: DatabaseEvent) {}

    package func databaseDidCommit(_ db: Database) {
        let actions = pending.withLock { $0.removeValue(forKey: ObjectIdentifier(db)) }
        actions?.forEach { $0() }
    }

    package func databaseDidRollback(_ db: Database) {
        _ = pending.withLock { $0.removeValue(forKey: ObjectIdentifier(db)) }
    }
}
