import ArgumentParser
import Foundation
import StripeEmulator
import StripeWire

/// `effinity bench memory`: resident memory as an account grows to N customers and every one of
/// them is read back, so the process-wide caches (parsed objects, old-version renderings) are
/// filled past their bounds. In memory the objects themselves live in the process; on a `--db`
/// file they do not, and what remains is the caches, which must stay flat however many
/// customers there are.
struct MemoryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Create N customers, read each back (newest and 2022-08-01) and list them all; print RSS after each phase."
    )

    @Option(help: "Number of customers.") var customers = 50_000
    @Option(help: "Keep the objects in this SQLite file instead of in memory (removed first).") var db: String?

    func run() async throws {
        let emulator = StripeEmulator(database: try benchDatabase(db), settings: EmulatorSettings(wallClock: FixedWallClock(1_800_000_000)))
        let key = "sk_test_memory"
        print("memory_bench customers=\(customers) storage=\(db == nil ? "memory" : "file")")
        print("rss_mib_start \(mib(residentMemoryMiB()))")
        var ids: [String] = []
        ids.reserveCapacity(customers)
        let created = ContinuousClock.now
        for i in 0..<customers {
            let c = try await emulator.must("POST", "/v1/customers", "email=c\(i)%40bench.test&name=Customer+\(i)&metadata[n]=\(i)", key: key)
            ids.append(c["id"].stringValue!)
        }
        print("create_seconds \(fmt(ContinuousClock.now - created))")
        print("rss_mib_after_create \(mib(residentMemoryMiB()))")
        for id in ids { _ = try await emulator.must("GET", "/v1/customers/\(id)", key: key) }
        print("rss_mib_after_reading_each \(mib(residentMemoryMiB()))")
        for id in ids { _ = try await emulator.must("GET", "/v1/customers/\(id)", key: key, version: "2022-08-01") }
        print("rss_mib_after_reading_each_at_2022_08_01 \(mib(residentMemoryMiB()))")
        var after: String?
        var listed = 0
        repeat {
            let page = try await emulator.must("GET", "/v1/customers?limit=100" + (after.map { "&starting_after=\($0)" } ?? ""), key: key)
            let data = page["data"].arrayValue ?? []
            listed += data.count
            after = page["has_more"] == true ? data.last?["id"].stringValue : nil
        } while after != nil
        guard listed == customers else { throw ValidationError("listed \(listed) of \(customers) customers") }
        print("rss_mib_after_listing_all \(mib(residentMemoryMiB()))")
    }

    private func mib(_ value: Double) -> String { String(format: "%.1f", value) }
}

/// A fresh database for a benchmark: in memory, or a new file at `path` (an old one is removed).
func benchDatabase(_ path: String?) throws -> EmulatorDatabase {
    guard let path else { return try .inMemory() }
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    return try .file(path)
}
