import GRDB

/// How much JSON an account holds, for benchmarks that relate the engine's time to the bytes it
/// had to render (every object and event is stored as the JSON Stripe would send).
public struct StorageStats: Sendable {
    /// Stored objects and events.
    public let objects: Int
    /// Bytes of their JSON.
    public let bytes: Int
    /// The JSON of up to `sampleSize` of the most recently stored objects and events.
    public let sample: [String]
}

extension EmulatorDatabase {
    public func storageStats(account: String, sampleSize: Int = 0) async throws -> StorageStats {
        try await writer.read { db in
            let store = ObjectStore(db: db, account: account)
            let (objects, bytes) = try store.storedSize()
            return StorageStats(objects: objects, bytes: bytes, sample: try store.newestJSON(limit: sampleSize))
        }
    }
}
