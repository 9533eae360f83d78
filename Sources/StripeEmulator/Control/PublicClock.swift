import Foundation
import GRDB
import StripeEngine
import StripeWire

/// `GET /_emulator/clock/{alias}`: an account's virtual time without its key, so an app under
/// test can follow the scenario's clock with one request (the URL is `clock_url` in
/// `GET /_emulator/settings`; the alias is a hash of the key, as hosted pages use).
struct PublicClock: Sendable {
    let emulator: StripeEmulator

    static let prefix = "/_emulator/clock/"

    static func isClockPath(_ path: String) -> Bool { path.hasPrefix(prefix) }

    func handle(_ call: APICall) async -> APIResponse {
        let alias = String(call.path.dropFirst(Self.prefix.count))
        let headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
        guard call.method == "GET" else {
            return APIResponse(status: 405, headers: headers + [("Allow", "GET")],
                               body: JSONWriter.data(StripeError.invalidRequest("The clock is read with GET.").json))
        }
        let settings = emulator.settings
        do {
            let now: Int? = try await emulator.database.writer.read { db in
                guard let account = try AccountAlias.account(for: alias, db) else { return nil }
                return try AccountClock(db: db, account: account, wall: settings.wallClock).now()
            }
            guard let now else {
                return APIResponse(status: 404, headers: headers,
                                   body: JSONWriter.data(StripeError.invalidRequest("No account has the clock '\(alias)'.").json))
            }
            return APIResponse(status: 200, headers: headers + [("Effinity-Clock-Now", String(now))],
                               body: JSONWriter.data(["object": "emulator.clock", "now": .int(now)]))
        } catch {
            return APIResponse(status: 500, headers: headers, body: JSONWriter.data(StripeError(status: 500, type: .apiError, message: "The clock could not be read: \(error)").json))
        }
    }
}
