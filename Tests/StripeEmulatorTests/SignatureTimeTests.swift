import Foundation
import Testing
import StripeWire
@testable import StripeEmulator

/// What an app under test needs from the fake to follow (or ignore) its virtual clock: signatures
/// on the real time when asked, the virtual time in a delivery header, and a clock URL without a key.
@Suite struct SignatureTimeTests {
    @Test func realSignaturesKeepTheEventOnTheVirtualClock() async throws {
        let t = ScriptedTransport()
        let s = try TestStripe(transport: t)
        let (_, secret) = await s.endpoint()
        let settings = await s.post("/_emulator/settings", [("webhook_signature_time", "real")])
        #expect(settings.json["webhook_signature_time"] == "real")
        _ = await s.post("/v1/customers", [("email", "real@x.test")])
        let before = Int(Date().timeIntervalSince1970)
        #expect(await s.drain() == 1)
        let after = Int(Date().timeIntervalSince1970)
        let d = try #require(t.received.first)
        let signedAt = try #require(Int(d.signature.split(separator: ",")[0].dropFirst(2)))
        #expect((before...after).contains(signedAt))
        // An SDK verifier on the machine's clock (300 s tolerance) accepts it; the event stays virtual.
        try WebhookSignature.verify(payload: d.body, header: d.signature, secret: secret, now: after)
        #expect(d.event["created"] == .int(TestStripe.start))
        #expect(d.headers.first { $0.0 == "Effinity-Clock-Now" }?.1 == String(TestStripe.start))
    }

    @Test func accountSignaturesAreTheDefaultAndABadValueIsRefused() async throws {
        let t = ScriptedTransport()
        let s = try TestStripe(transport: t)
        _ = await s.endpoint()
        #expect(await s.get("/_emulator/settings").json["webhook_signature_time"] == "account")
        let bad = await s.post("/_emulator/settings", [("webhook_signature_time", "wall")])
        #expect(bad.status == 400)
        #expect(bad.error["param"] == "webhook_signature_time")
        _ = await s.post("/v1/customers", [("email", "acct@x.test")])
        _ = await s.drain()
        #expect(t.received.first?.signature.hasPrefix("t=\(TestStripe.start),v1=") == true)
    }

    @Test func theClockURLAnswersWithoutAKey() async throws {
        let s = try TestStripe(transport: ScriptedTransport())
        let url = try #require(await s.get("/_emulator/settings").json["clock_url"].stringValue)
        let path = try #require(URL(string: url)?.path)
        _ = await s.post("/_emulator/time/advance", [("seconds", "86400")])
        let r = await s.emulator.handle(APICall(method: "GET", path: path, query: nil, body: [], headers: [:]))
        #expect(r.status == 200)
        let json = try JSONParser.parse(r.body)
        #expect(json["now"] == .int(TestStripe.start + 86400))
        #expect(r.headers.contains { $0.0 == "Effinity-Clock-Now" && $0.1 == String(TestStripe.start + 86400) })
        let unknown = await s.emulator.handle(APICall(method: "GET", path: "/_emulator/clock/nope", query: nil, body: [], headers: [:]))
        #expect(unknown.status == 404)
    }
}
