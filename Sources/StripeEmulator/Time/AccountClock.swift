import GRDB

/// A tenant's notion of "now": wall time plus an offset, or frozen at a moment.
///
/// Each account has its own so parallel suites can move time independently; it lives in the
/// database so a file-backed fake keeps its time across restarts.
struct AccountClock {
    let db: Database
    let account: String
    let wall: any WallClock

    struct State: Equatable {
        var frozenTime: Int?
        var offset: Int
    }

    func state() throws -> State {
        let account = self.account
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT frozen_time, offset FROM account_clocks WHERE account = ?"),
                                         arguments: [account]) else { return State(frozenTime: nil, offset: 0) }
        return State(frozenTime: row["frozen_time"], offset: row["offset"])
    }

    func now() throws -> Int {
        let s = try state()
        return s.frozenTime ?? (wall.now() + s.offset)
    }

    func set(_ state: State) throws {
        let account = self.account
        try db.cachedStatement(sql: """
            INSERT INTO account_clocks (account, frozen_time, offset) VALUES (?, ?, ?)
            ON CONFLICT(account) DO UPDATE SET frozen_time = excluded.frozen_time, offset = excluded.offset
            """).execute(arguments: [account, state.frozenTime, state.offset])
    }
}
