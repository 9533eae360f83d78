import Synchronization

/// Wraps the app's store to measure it for `/metrics`: each transaction's duration (every query
/// of the app runs inside one) and how many connections transactions hold at once, against the
/// pool's size. ``BillingService`` wraps whatever store it is given.
struct MeteredBillingStore: BillingStore {
    let base: any BillingStore
    let metrics: AppMetrics
    private let inUse: InUse

    final class InUse: Sendable {
        let count = Mutex(0)
    }

    init(_ store: any BillingStore, metrics: AppMetrics) {
        // Never measured twice (a service built on another service's store).
        self.base = (store as? MeteredBillingStore)?.base ?? store
        self.metrics = metrics
        self.inUse = InUse()
        metrics.setConnectionsInUse(0, max: base.connectionLimit)
    }

    var connectionLimit: Int { base.connectionLimit }

    func write<T: Sendable>(_ body: @escaping @Sendable (any BillingTransaction) throws -> T) async throws -> T {
        try await measured(write: true) { try await base.write(body) }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any BillingTransaction) throws -> T) async throws -> T {
        try await measured(write: false) { try await base.read(body) }
    }

    func dumpTables() async throws -> [TableDump] { try await base.dumpTables() }

    private func measured<T>(write: Bool, _ body: () async throws -> T) async throws -> T {
        let started = ContinuousClock.now
        let limit = connectionLimit
        metrics.setConnectionsInUse(inUse.count.withLock { $0 += 1; return $0 }, max: limit)
        defer {
            metrics.setConnectionsInUse(inUse.count.withLock { $0 -= 1; return $0 }, max: limit)
            metrics.recordTransaction(write: write, duration: ContinuousClock.now - started)
        }
        return try await body()
    }
}
