import Synchronization

/// Where the app's own ids (users, leads, properties) come from. Random in production;
/// sequential per prefix for scenarios, so the same scenario gives byte-identical snapshots.
/// Session tokens are always random: they are secrets, and snapshots redact their hashes.
public final class AppIDs: Sendable {
    public enum Mode: Sendable { case random, sequential }

    public let mode: Mode
    private let counters = Mutex<[String: Int]>([:])

    public init(_ mode: Mode = .random) { self.mode = mode }

    /// Continues the sequences after the ids already in `values` (`lead_000004` → the next lead
    /// is `lead_000005`): an app restarted on the same database under a scenario runner must not
    /// mint an id twice.
    public func continueAfter(_ values: [String]) {
        counters.withLock { c in
            for v in values {
                guard let underscore = v.lastIndex(of: "_"), let n = Int(v[v.index(after: underscore)...]),
                      v.distance(from: underscore, to: v.endIndex) == 7 else { continue }
                let prefix = String(v[..<underscore])
                c[prefix] = max(c[prefix, default: 0], n)
            }
        }
    }

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
