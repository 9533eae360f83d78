import Foundation
import GRDB
import Testing
import StripeWire
@testable import StripeEmulator
@testable import StripeEngine

/// Time travel commits in chunks (at most 256 items or 20 ms each) and delivers webhooks between
/// them: a chunk must end between two instants, never inside one, or what the app has seen when
/// an instant's webhooks arrive would depend on the machine's speed.
@Suite struct SchedulerChunkTests {
    @Test func aChunkNeverEndsInsideAnInstant() async throws {
        let s = try TestStripe()
        var sessions: [String] = []
        for i in 0..<3 { sessions.append(await s.checkoutSession(amount: 500 + i, mode: "payment")["id"].stringValue!) }
        // All three expire at the same instant (24 h after creation); a fourth an hour later.
        _ = await s.advance("1h")
        let later = await s.checkoutSession(amount: 900, mode: "payment")["id"].stringValue!
        let settings = s.emulator.settings, account = s.key
        let expiry = TestStripe.start + 86400
        let chunk = try await s.emulator.database.writer.write { db in
            try Scheduler.runChunk(Ledger.automatic(db: db, account: account, settings: settings), clock: "", until: expiry + 7200, maxItems: 1)
        }
        // maxItems 1, yet the whole instant ran; the later item waits for the next chunk.
        #expect(chunk.ran == 3)
        #expect(chunk.lastDue == expiry)
        #expect(chunk.finished == false)
        for id in sessions { #expect(await s.get("/v1/checkout/sessions/\(id)").json["status"] == "expired") }
        #expect(await s.get("/v1/checkout/sessions/\(later)").json["status"] == "open")
    }
}
