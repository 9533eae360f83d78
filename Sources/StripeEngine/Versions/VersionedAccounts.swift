import Synchronization

/// The accounts known to have no default API version of their own, so a request without
/// `Stripe-Version` from one of them is rendered at the server's default without reading the
/// account's settings (one SQL read and a JSON parse saved on every such request).
///
/// An account joins after its settings were read once and named no version; it leaves when it
/// sets one. A reader that read the settings from an older snapshot than a version being set
/// must not mark the account: each mark carries the generation the reader saw before reading
/// (``generation(_:)``), and a newer generation wins. A database opened again starts with
/// nobody known, so nothing stale is assumed.
package final class VersionedAccounts: Sendable {
    private struct State {
        var unversioned: Set<String> = []
        var generations: [String: Int] = [:]
    }

    private let state = Mutex(State())

    package init() {}

    package func isKnownUnversioned(_ account: String) -> Bool { state.withLock { $0.unversioned.contains(account) } }

    /// Read before the account's settings; passed back to ``markUnversioned(_:seenGeneration:)``.
    package func generation(_ account: String) -> Int { state.withLock { $0.generations[account, default: 0] } }

    package func markUnversioned(_ account: String, seenGeneration: Int) {
        state.withLock { s in
            if s.generations[account, default: 0] == seenGeneration { s.unversioned.insert(account) }
        }
    }

    package func markVersioned(_ account: String) {
        state.withLock { s in
            s.unversioned.remove(account)
            s.generations[account, default: 0] += 1
        }
    }
}
