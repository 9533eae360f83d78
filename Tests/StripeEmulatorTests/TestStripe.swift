import StripeWire
@testable import StripeEmulator

/// An in-process fake Stripe for one test: its own in-memory database, a fixed clock and a
/// fresh API key, called without a socket.
struct TestStripe {
    let emulator: StripeEmulator
    let key: String

    static let start = 1_800_000_000  // 2027-01-15

    init(idMode: IDMode = .random, now: Int = TestStripe.start, database: EmulatorDatabase? = nil, strictClocks: Bool = false,
         workLimit: Int = 20_000, eventRetentionDays: Int = EventRetention.stripeDays) throws {
        emulator = StripeEmulator(database: try database ?? .inMemory(),
                                  settings: EmulatorSettings(idMode: idMode, wallClock: FixedWallClock(now), strictClocks: strictClocks,
                                                             workLimitPerRequest: workLimit, eventRetentionDays: eventRetentionDays))
        key = "sk_test_" + IDMinter.randomToken(16)
    }

    init(emulator: StripeEmulator, key: String) {
        self.emulator = emulator
        self.key = key
    }

    struct Reply {
        let status: Int
        let json: JSONValue
        let response: APIResponse
        var error: JSONValue { json["error"] }
        var id: String { json["id"].stringValue ?? "" }
    }

    func call(_ method: String, _ path: String, _ params: [(String, String)] = [], key: String? = nil,
              headers: [String: String] = [:]) async -> Reply {
        let encoded = params.map { "\($0.0)=\(FormEncoder.escape($0.1))" }.joined(separator: "&")
        var h = headers
        if h["Authorization"] == nil { h["Authorization"] = "Bearer \(key ?? self.key)" }
        let call: APICall
        if method == "POST" {
            call = APICall(method: method, path: path, body: Array(encoded.utf8), headers: h)
        } else {
            call = APICall(method: method, path: path, query: encoded, headers: h)
        }
        let r = await emulator.handle(call)
        return Reply(status: r.status, json: (try? JSONParser.parse(r.body)) ?? .null, response: r)
    }

    func post(_ path: String, _ params: [(String, String)] = [], key: String? = nil, idempotencyKey: String? = nil) async -> Reply {
        await call("POST", path, params, key: key, headers: idempotencyKey.map { ["Idempotency-Key": $0] } ?? [:])
    }

    func get(_ path: String, _ params: [(String, String)] = []) async -> Reply { await call("GET", path, params) }
    func delete(_ path: String, _ params: [(String, String)] = []) async -> Reply { await call("DELETE", path, params) }

    /// Moves this tenant's clock, as the control API will.
    func setNow(_ t: Int) async throws {
        let key = self.key
        try await emulator.database.writer.write { db in
            try AccountClock(db: db, account: key, wall: FixedWallClock(0)).set(.init(frozenTime: t, offset: 0))
        }
    }
}
