import Foundation
import GRDB
import Synchronization
import StripeWire

/// Parsed objects shared by every transaction and request of the process, keyed by account and
/// id and checked against the stored bytes: a read whose row holds the same bytes as last time
/// reuses the parsed value instead of parsing it again. A changed row has other bytes, so a
/// stale value is never returned, whoever wrote the row and whether or not that write committed.
///
/// Why it matters: a clock advance runs in chunks, each its own transaction, so the per-
/// transaction ``ObjectCache`` starts empty every chunk; a renewal and the finalization an hour
/// later are thousands of work items apart. Comparing a row's bytes (a `memcmp` on SQLite's own
/// buffer, no `String` made) costs far less than parsing them (measured on `effinity bench
/// clock`: parsing was a fifth of the advance).
///
/// Bounded by the bytes of JSON it keeps (``byteCapacity``); past it, it starts over.
package final class ParsedObjects: Sendable {
    package static let shared = ParsedObjects()
    /// The stored JSON it keeps at most, in bytes (the parsed values take about three times as much).
    package let byteCapacity: Int

    private struct Key: Hashable {
        let account: String
        let id: String
    }

    private struct Entry {
        let bytes: [UInt8]
        let value: JSONValue
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var bytes = 0

        /// Keeps `entry`; when that passes `capacity`, starts over and returns what it held, for
        /// the caller to free once the lock is released (freeing 64 MiB of parsed objects takes
        /// milliseconds, which every other reader would otherwise wait out).
        mutating func keep(_ key: Key, _ entry: Entry, capacity: Int) -> [Key: Entry]? {
            var evicted: [Key: Entry]?
            if bytes + entry.bytes.count > capacity {
                evicted = entries
                entries = [:]
                bytes = 0
            }
            if let old = entries.updateValue(entry, forKey: key) { bytes -= old.bytes.count }
            bytes += entry.bytes.count
            return evicted
        }
    }

    private let state = Mutex(State())

    package init(byteCapacity: Int = 64 << 20) { self.byteCapacity = byteCapacity }

    /// The value of an object's stored JSON, parsed once per distinct content of the row, and
    /// those bytes as an array (a response that sends the object unchanged sends them).
    package func value(account: String, id: String, stored: UnsafeRawBufferPointer) throws -> (value: JSONValue, bytes: [UInt8]) {
        let key = Key(account: account, id: id)
        if let hit = state.withLock({ $0.entries[key] }), Self.same(hit.bytes, stored) { return (hit.value, hit.bytes) }
        let bytes = Array(stored.bindMemory(to: UInt8.self))
        let value = try JSONParser.parse(bytes)
        remember(account: account, id: id, bytes: bytes, value: value)
        return (value, bytes)
    }

    /// Keeps what a write stored: the next transaction that reads the row finds it parsed. The
    /// write may still roll back; then the row holds other bytes and this entry never matches.
    package func remember(account: String, id: String, bytes: [UInt8], value: JSONValue) {
        let capacity = byteCapacity
        let evicted = state.withLock { s in s.keep(Key(account: account, id: id), Entry(bytes: bytes, value: value), capacity: capacity) }
        _ = evicted  // freed here, outside the lock
    }

    /// The bytes of JSON it keeps now (at most ``byteCapacity``).
    package var keptBytes: Int { state.withLock { $0.bytes } }

    private static func same(_ kept: [UInt8], _ stored: UnsafeRawBufferPointer) -> Bool {
        guard kept.count == stored.count else { return false }
        guard let base = stored.baseAddress else { return kept.isEmpty }
        return kept.withUnsafeBytes { memcmp($0.baseAddress!, base, kept.count) == 0 }
    }
}

extension GRDB.Row {
    /// The raw bytes of a text or blob column of a row read through a cursor, without making a
    /// `String` (no UTF-8 validation, no copy); valid only inside `body`.
    func withStoredBytes<T>(atIndex index: Int, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        try withUnsafeData(atIndex: index) { data in
            guard let data else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
            return try data.withUnsafeBytes { try body($0) }
        }
    }
}
