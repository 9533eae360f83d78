import Foundation
import GRDB
import Testing
@testable import StripeEngine

/// The page cache of `CSQLitePageCache` moves the scratch number of a B-tree page swap next to
/// an in-memory database's end. It must change nothing SQLite stores: rows written, updated,
/// deleted and rolled back in many balancing transactions read back exactly, and SQLite's own
/// integrity check passes.
@Suite struct PageCacheTests {
    @Test func installedWhenTheProgramLoads() {
        #expect(EmulatorDatabase.pageCacheInstalled)
    }

    /// SQLite's memory statistics are off (no mutex on every allocation): with a database open
    /// and written, SQLite counts no bytes at all (with statistics on it counts every page).
    @Test func memoryStatisticsAreOff() throws {
        #expect(EmulatorDatabase.memoryStatisticsOff)
        let db = try DatabaseQueue()
        try db.write { db in
            try db.execute(sql: "CREATE TABLE t (v TEXT)")
            for i in 0..<100 { try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: [String(repeating: "x", count: 1000 + i)]) }
        }
        #expect(EmulatorDatabase.sqliteMemoryCounted == 0)
        #expect(try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM t") } == 100)
    }

    /// New emulator databases take 4 KiB pages in memory and on a file (see
    /// `EmulatorDatabase.configuration()`: every touched page is copied whole at each commit).
    @Test func emulatorDatabasesUseFourKiBPages() throws {
        let path = "/tmp/effinity-pagesize-\(UInt64.random(in: 0 ... .max)).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        for database in [try EmulatorDatabase.inMemory(), try EmulatorDatabase.file(path)] {
            #expect(try database.writer.read { try Int.fetchOne($0, sql: "PRAGMA page_size") } == 4096)
        }
    }

    @Test(arguments: [false, true])
    func rowsSurviveBalancesUpdatesAndRollbacks(onFile: Bool) throws {
        let path = onFile ? "/tmp/effinity-pagecache-\(UInt64.random(in: 0 ... .max)).sqlite" : nil
        defer { if let path { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } } }
        // Page sizes no other database of the process uses (one per case: the cases run
        // concurrently), so the move count below is this database's alone; small pages also
        // balance more often.
        let pageSize = onFile ? 1024 : 2048
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA page_size = \(pageSize)")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        let db: any DatabaseWriter = try path.map { try DatabasePool(path: $0, configuration: configuration) }
            ?? DatabaseQueue(configuration: configuration)
        try db.write { try $0.execute(sql: "CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL); CREATE INDEX t_v ON t(v)") }
        #expect(try db.read { try Int.fetchOne($0, sql: "PRAGMA page_size") } == pageSize)
        let movesBefore = EmulatorDatabase.pageCacheScratchMoves(pageSize: pageSize)
        var rng = FuzzTests.Rng(state: 7)  // seeded: a failure replays
        var model: [String: String] = [:]
        for round in 0..<120 {
            // Random keys land all over both B-trees, so leaves split and siblings are rebalanced.
            var changes: [(String, String?)] = []
            for _ in 0..<60 {
                let key = "k\(rng.next() % 5_000)"
                let pick = rng.next() % 10
                changes.append((key, pick == 0 ? nil : String(repeating: "v\(rng.next() % 1_000)-", count: Int(rng.next() % 60) + 1)))
            }
            let rollBack = round % 7 == 3
            let inSavepoint = round % 5 == 1
            func apply(_ db: Database) throws {
                for (key, value) in changes {
                    if let value {
                        try db.execute(sql: "INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
                                       arguments: [key, value])
                    } else {
                        try db.execute(sql: "DELETE FROM t WHERE k = ?", arguments: [key])
                    }
                }
            }
            if inSavepoint {
                try db.write { db in try db.inSavepoint { try apply(db); return rollBack ? .rollback : .commit } }
            } else if rollBack {
                // The whole transaction rolls back: the pages it added leave the cache.
                #expect(throws: RolledBack.self) { try db.write { db in try apply(db); throw RolledBack() } }
            } else {
                try db.write { db in try apply(db) }
            }
            if !rollBack { for (key, value) in changes { model[key] = value } }
        }
        let stored = try db.read { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT k, v FROM t").map { (row: Row) -> (String, String) in (row["k"], row["v"]) })
        }
        #expect(stored == model)
        let check = try db.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") }
        #expect(check == ["ok"])
        if onFile {
            // A file's caches are SQLite's own: nothing moved.
            #expect(EmulatorDatabase.pageCacheScratchMoves(pageSize: pageSize) == movesBefore)
        } else {
            // Balances happened and took the scratch number next to the end.
            #expect(EmulatorDatabase.pageCacheScratchMoves(pageSize: pageSize) > movesBefore)
        }
    }

    struct RolledBack: Error {}
}
