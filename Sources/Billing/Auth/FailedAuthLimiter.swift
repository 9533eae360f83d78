import Synchronization

/// Counts failed authentications per client address and stops an address that fails too often:
/// after `limit` failures within `window` seconds, every authentication from it is a 429 (with
/// `Retry-After`) until the window that started with its first failure has passed.
///
/// A guesser of tokens, sign-in codes or ID tokens gets `limit` tries a window; a user with a
/// valid credential is never counted. Per process (each app server counts its own), on the app's
/// clock (so tests move time instead of sleeping). Behind a proxy every client shares the
/// proxy's address: put the limit at the proxy there.
public final class FailedAuthLimiter: Sendable {
    public let limit: Int
    public let window: Int
    private let failures = Mutex<[String: (start: Int, count: Int)]>([:])

    public init(limit: Int = 20, window: Int = 60) {
        self.limit = limit
        self.window = window
    }

    /// Seconds until `address` may try again, or nil when it may try now.
    public func retryAfter(_ address: String, now: Int) -> Int? {
        failures.withLock { table in
            guard let entry = table[address], now - entry.start < window else { return nil }
            return entry.count >= limit ? entry.start + window - now : nil
        }
    }

    /// Records one failed authentication from `address`.
    public func recordFailure(_ address: String, now: Int) {
        failures.withLock { table in
            if table.count > 10_000 { table = table.filter { now - $0.value.start < window } }
            if let entry = table[address], now - entry.start < window {
                table[address] = (entry.start, entry.count + 1)
            } else {
                table[address] = (now, 1)
            }
        }
    }
}
