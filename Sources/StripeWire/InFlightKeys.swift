import Synchronization

/// The idempotency keys whose first request is still running, per scope (an account of the
/// fake, an organization of the app): a second request with a key already held is answered
/// 409 instead of running the action again. Both the fake's idempotency gate and the app's use it.
public final class InFlightKeys: Sendable {
    private let keys = Mutex<Set<String>>([])

    public init() {}

    /// Claims `key` in `scope`; false when a request holding it is still running.
    public func claim(_ scope: String, _ key: String) -> Bool {
        keys.withLock { $0.insert(scope + "\u{0}" + key).inserted }
    }

    public func release(_ scope: String, _ key: String) {
        _ = keys.withLock { $0.remove(scope + "\u{0}" + key) }
    }
}
