import Synchronization

/// Objects rendered at an older API version, shared by every request of the process and reused
/// while the account's ``RenderStamp`` is unchanged.
///
/// Why: the newest version sends an object's stored bytes as they are, but an older one walks it
/// through the version changes, looks up related objects and writes it again, which made an old
/// reader's retrieve 20–45% slower than a new one's (#16). A read of an unchanged account at the
/// same version now costs one stamp lookup. Bounded: past ``capacity`` entries it starts over.
package final class RenderedVersions: Sendable {
    package static let shared = RenderedVersions()
    package let capacity: Int

    private struct Entry {
        let stamp: Int64
        let bytes: [UInt8]
    }

    private let entries = Mutex<[String: Entry]>([:])

    package init(capacity: Int = 4096) { self.capacity = capacity }

    private func key(_ account: String, _ id: String, _ version: APIVersion) -> String {
        account + "\u{0}" + id + "\u{0}" + version.raw
    }

    /// The bytes `id` was rendered as at `version` when the account had `stamp`, if they are kept.
    package func bytes(account: String, id: String, version: APIVersion, stamp: Int64) -> [UInt8]? {
        let k = key(account, id, version)
        guard let hit = entries.withLock({ $0[k] }), hit.stamp == stamp else { return nil }
        return hit.bytes
    }

    package func keep(_ bytes: [UInt8], account: String, id: String, version: APIVersion, stamp: Int64) {
        let k = key(account, id, version)
        entries.withLock { e in
            if e.count >= capacity { e.removeAll(keepingCapacity: true) }
            e[k] = Entry(stamp: stamp, bytes: bytes)
        }
    }
}
