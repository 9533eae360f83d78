import Synchronization

/// The `Idempotency-Key`s whose first request is still running in this app process.
///
/// The stored answer only exists once the first request finishes: without this gate a second
/// request with the same key, sent while the first is in flight (a client retrying after its
/// own timeout), would run the action again. Stripe answers such a request 409
/// `idempotency_key_in_use`; the app does the same. The gate is per process: app servers behind
/// one load balancer share answers through the database, not in-flight keys.
final class InFlightKeys: Sendable {
    private let keys = Mutex<Set<String>>([])

    /// Claims `key` of `org`; false when a request holding it is still running.
    func claim(org: String, key: String) -> Bool {
        keys.withLock { $0.insert(org + "\u{0}" + key).inserted }
    }

    func release(org: String, key: String) {
        _ = keys.withLock { $0.remove(org + "\u{0}" + key) }
    }
}
