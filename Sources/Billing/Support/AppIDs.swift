import Synchronization

/// Where the app's own ids (users, leads, properties) come from. Random in production;
/// sequential per prefix for scenarios, so the same scenario gives byte-identical snapshots.
/// Session tokens are always random: they are secrets, and snapshots redact their hashes.
public final class AppIDs: Sendable {
    public enum Mode: Sendable { case random, sequential }

    public let mode: Mode
    private let counters = Mutex<[String: Int]>([:])

    public init(_ mode: Mode = .random) { self.mode = mode }

    /// `prefix` + `_` + a random token of `length` characters, or + a zero-padded counter.
    public func make(_ prefix: String, length: Int = 14) -> String {
        switch mode {
        case .random:
            return prefix + "_" + BillingService.token(length)
        case .sequential:
            let n = counters.withLock { c -> Int in
                c[prefix, default: 0] += 1
                return c[prefix]!
            }
            let digits = String(n)
            return prefix + "_" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
        }
    }
}
