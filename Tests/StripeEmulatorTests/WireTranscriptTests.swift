import Foundation
import Testing
import StripeWire
@testable import StripeEmulator
@testable import StripeEngine

/// The bytes a client receives, pinned across a billing story: every response of the story,
/// then every event and object read back, at the newest version and at 2022-11-15, each as its
/// status, length and SHA-256 in `Goldens/wire_transcript.tsv`.
///
/// Why: changing how objects are stored and rendered (typed state, events kept as an object
/// version plus `previous_attributes`, #27) must leave what readers receive byte for byte as it
/// is. A change that means to alter the output regenerates the file with
/// `EFFINITY_UPDATE_WIRE_TRANSCRIPT=1 swift test --filter WireTranscriptTests` and shows the
/// new lines in its diff; on a mismatch the test writes the whole transcript, bodies included,
/// to a temporary file and names it.
@Suite struct WireTranscriptTests {
    struct Entry: Equatable {
        let label: String
        let status: Int
        let body: [UInt8]

        var line: String { "\(label)\t\(status)\t\(body.count)\t\(Digest.hex(Digest.sha256(body)))" }
    }

    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Goldens/wire_transcript.tsv")

    @Test func theBytesReadersReceiveAreUnchanged() async throws {
        let first = try await Self.transcript()
        // The story is deterministic (sequential ids, a fixed clock): a second run in the same
        // process gives the same bytes, so a mismatch with the golden is a change, not noise.
        let second = try await Self.transcript()
        #expect(first.map(\.line) == second.map(\.line))
        #expect(first.count > 150)

        let lines = first.map(\.line)
        if ProcessInfo.processInfo.environment["EFFINITY_UPDATE_WIRE_TRANSCRIPT"] == "1" {
            try (lines.joined(separator: "\n") + "\n").write(to: Self.golden, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: Self.golden, encoding: .utf8).split(separator: "\n").map(String.init)
        if lines != expected {
            let dump = FileManager.default.temporaryDirectory.appendingPathComponent("effinity-wire-transcript-\(UUID().uuidString).txt")
            let text = first.map { "### \($0.line)\n\(String(decoding: $0.body, as: UTF8.self))\n" }.joined()
            try text.write(to: dump, atomically: true, encoding: .utf8)
            let firstDifference = zip(lines, expected).first { $0 != $1 }
            Issue.record("""
                The transcript differs from \(Self.golden.lastPathComponent) (\(lines.count) lines, golden \(expected.count)); \
                first difference: \(firstDifference.map { "got \($0.0), golden \($0.1)" } ?? "in the line count"). \
                Whole transcript with bodies: \(dump.path)
                """)
        }
    }

    /// The story: a catalog, a coupon, three customers (one whose card starts failing), a
    /// month and a half of renewals and retries, an upgrade with proration, a refund, a
    /// cancellation at period end; then every event and object read back.
    static func transcript() async throws -> [Entry] {
        let start = TestStripe.start
        let emulator = StripeEmulator(database: try .inMemory(),
                                      settings: EmulatorSettings(idMode: .sequential, wallClock: FixedWallClock(start),
                                                                 eventRetentionDays: 0))
        let s = TestStripe(emulator: emulator, key: "sk_test_wiretranscript")
        var entries: [Entry] = []
        func record(_ label: String, _ reply: TestStripe.Reply) -> JSONValue {
            entries.append(Entry(label: label, status: reply.status, body: reply.response.body))
            return reply.json
        }
        func post(_ label: String, _ path: String, _ params: [(String, String)] = []) async -> String {
            record("POST \(label)", await s.post(path, params))["id"].stringValue ?? ""
        }
        func get(_ label: String, _ path: String, _ params: [(String, String)] = [], version: String? = nil) async -> JSONValue {
            let reply = await s.call("GET", path, params, headers: version.map { ["Stripe-Version": $0] } ?? [:])
            return record("GET \(label)\(version.map { " @\($0)" } ?? "")", reply)
        }

        let product = await post("product", "/v1/products", [("name", "Team")])
        let monthly = await post("price monthly", "/v1/prices", [("product", product), ("currency", "usd"), ("unit_amount", "2000"),
                                                                 ("recurring[interval]", "month")])
        let bigger = await post("price bigger", "/v1/prices", [("product", product), ("currency", "usd"), ("unit_amount", "5000"),
                                                               ("recurring[interval]", "month")])
        let coupon = await post("coupon", "/v1/coupons", [("percent_off", "25"), ("duration", "repeating"), ("duration_in_months", "2")])
        var customers: [String] = []
        for (i, card) in ["pm_card_visa", "pm_card_mastercard", "pm_card_visa"].enumerated() {
            customers.append(await post("customer \(i)", "/v1/customers", [("email", "c\(i)@wire.test"), ("payment_method", card),
                                                                           ("invoice_settings[default_payment_method]", card)]))
        }
        let withCoupon = await post("subscription with coupon", "/v1/subscriptions",
                                    [("customer", customers[0]), ("items[0][price]", monthly), ("discounts[0][coupon]", coupon)])
        let toUpgrade = await post("subscription to upgrade", "/v1/subscriptions", [("customer", customers[1]), ("items[0][price]", monthly)])
        let failing = await post("subscription that will fail", "/v1/subscriptions",
                                 [("customer", customers[2]), ("items[0][price]", monthly), ("expand[0]", "latest_invoice")])
        let bad = await post("attach failing card", "/v1/payment_methods/pm_card_chargeCustomerFail/attach", [("customer", customers[2])])
        _ = await post("failing card as default", "/v1/customers/\(customers[2])", [("invoice_settings[default_payment_method]", bad)])
        _ = await post("advance 10 days", "/_emulator/time/advance", [("by", "10d")])
        let item = await get("upgrade's item", "/v1/subscriptions/\(toUpgrade)")["items"]["data"][0]["id"].stringValue ?? ""
        _ = await post("upgrade with proration", "/v1/subscriptions/\(toUpgrade)",
                       [("items[0][id]", item), ("items[0][price]", bigger), ("proration_behavior", "always_invoice")])
        let intents = await get("first customer's payment intents", "/v1/payment_intents", [("customer", customers[0])])
        let intent = try #require(intents["data"][0]["id"].stringValue)
        _ = await post("partial refund", "/v1/refunds", [("payment_intent", intent), ("amount", "500")])
        _ = await post("cancel at period end", "/v1/subscriptions/\(withCoupon)", [("cancel_at_period_end", "true")])
        _ = await post("advance to the renewals", "/_emulator/time/advance", [("by", "21d2h")])
        _ = await post("advance through a retry", "/_emulator/time/advance", [("by", "3d1h")])
        _ = await post("update after the cancellation (400)", "/v1/subscriptions/\(withCoupon)", [("cancel_at_period_end", "false")])
        _ = await post("advance a month", "/_emulator/time/advance", [("by", "1mo")])
        _ = await get("failing subscription", "/v1/subscriptions/\(failing)")

        // Everything read back: each event alone and in pages, each object alone and listed.
        let events = await s.allEvents()
        for event in events {
            let id = event["id"].stringValue ?? ""
            _ = await get("event \(id)", "/v1/events/\(id)")
        }
        let lists: [(path: String, noun: String, params: [(String, String)])] = [
            ("/v1/events", "events", []), ("/v1/customers", "customers", []), ("/v1/subscriptions", "subscriptions", [("status", "all")]),
            ("/v1/invoices", "invoices", []), ("/v1/payment_intents", "payment intents", []), ("/v1/charges", "charges", []),
            ("/v1/refunds", "refunds", []), ("/v1/invoiceitems", "invoice items", []),
        ]
        for (path, noun, params) in lists {
            let page = await get("list \(noun)", path, [("limit", "100")] + params)
            for object in page["data"].arrayValue ?? [] where noun != "events" {
                let id = object["id"].stringValue ?? ""
                _ = await get("\(noun) \(id)", "\(path)/\(id)")
            }
        }
        // One older version, rendered from the same state.
        for path in ["/v1/invoices", "/v1/subscriptions", "/v1/charges", "/v1/events"] {
            _ = await get("list \(path)", path, [("limit", "100")], version: "2022-11-15")
        }
        return entries
    }
}
