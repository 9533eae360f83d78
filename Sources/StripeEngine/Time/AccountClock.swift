import GRDB

/// A tenant's notion of "now": wall time plus an offset, or frozen at a moment.
///
/// Each account has its own so parallel suites can move time independently; it lives in the
/// database so a file-backed fake keeps its time across restarts.
package struct AccountClock {
    package let db: Database
    package let account: String
    package let wall: any WallClock

    package struct State: Equatable {
        package var frozenTime: Int?
        package var offset: Int

        package init(frozenTime: Int? = nil, offset: Int) {
            self.frozenTime = frozenTime
            self.offset = offset
        }
    }

    package func state() throws -> State {
        let account = self.account
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT frozen_time, offset FROM account_clocks WHERE account = ?"),
                                         arguments: [account]) else { return State(frozenTime: nil, offset: 0) }
        // By position: a lookup by name compares column names case-insensitively, on every request.
        return State(frozenTime: row[0], offset: row[1])
    }

    /// Worked out by SQLite in one value: every request asks, and reading the row's two columns
    /// into a `Row` cost more than finding the object a `GET` returns; read with
    /// ``DirectLookup`` because every event emitted asks again.
    package func now() throws -> Int {
        let wallNow = wall.now()
        let account = self.account
        return try DirectLookup.int(db, sql: "SELECT COALESCE(frozen_time, ? + offset) FROM account_clocks WHERE account = ?",
                                    [.int(wallNow), .text(account)]) ?? wallNow
    }

    package func set(_ state: State) throws {
        let account = self.account
        try db.cachedStatement(sql: """
            INSERT INTO account_clocks (account, frozen_time, offset) VALUES (?, ?, ?)
            ON CONFLICT(account) DO UPDATE SET frozen_time = excluded.frozen_time, offset = excluded.offset
            """).execute(arguments: [account, state.frozenTime, state.offset])
    }

    package init(db: Database, account: String, wall: any WallClock) {
        self.db = db
        self.account = account
        self.wall = wall
    }
}

extension AccountClock {
    /// Forgets the account's clock (`POST /_emulator/reset`).
    package static func deleteAccount(_ db: Database, account: String) throws {
        try db.cachedStatement(sql: "DELETE FROM account_clocks WHERE account = ?").execute(arguments: [account])
    }
}
