import Synchronization

/// The accounts known to have no default API version of their own, so a request without
/// `Stripe-Version` from one of them is rendered at the server's default without reading the
/// account's settings (one SQL read and a JSON parse saved on every such request).
///
/// An account joins after its settings were read once and named no version; it leaves when it
/// sets one. A database opened again starts with nobody known, so nothing stale is assumed.
package final class VersionedAccounts: Sendable {
    private let unversioned = Mutex<Set<String>>([])

    package init() {}

    package func isKnownUnversioned(_ account: String) -> Bool { unversioned.withLock { $0.contains(account) } }
    package func markUnversioned(_ account: String) { _ = unversioned.withLock { $0.insert(account) } }
    package func markVersioned(_ account: String) { _ = unversioned.withLock { $0.remove(account) } }
}
