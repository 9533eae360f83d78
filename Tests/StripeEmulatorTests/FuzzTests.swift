import Testing
import StripeWire
@testable import StripeEmulator

/// Seeded random and malformed requests against every route: never a crash, never a 5xx, always
/// a Stripe-shaped answer.
@Suite struct FuzzTests {
    struct Rng: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let names = ["email", "name", "metadata", "items", "expand", "card", "customer", "payment_method", "limit",
                        "starting_after", "recurring", "product", "currency", "unit_amount", "lookup_keys", "type",
                        "invoice_settings", "confirm", "query", "created", "active", "billing_details", "address"]
    static let values = ["", "x", "0", "-1", "99999999999999999999", "true", "pm_card_visa", "cus_x", "usd", "month",
                         "%FF", "%E2%82", "4242424242424242", "é", "[", "]", "&", "a%5Bb%5D"]

    func randomKey(_ rng: inout Rng) -> String {
        var key = Self.names[Int(rng.next() % UInt64(Self.names.count))]
        for _ in 0..<Int(rng.next() % 4) {
            switch rng.next() % 5 {
            case 0: key += "[]"
            case 1: key += "[\(rng.next() % 12)]"
            case 2: key += "[\(Self.names[Int(rng.next() % UInt64(Self.names.count))])]"
            case 3: key += "[\(rng.next())]"
            default: key += "["
            }
        }
        return key
    }

    @Test func randomRequestsNeverFailServerSide() async throws {
        let s = try TestStripe()
        let c = await s.post("/v1/customers")
        let routes = Routes.router().routes
        var rng = Rng(state: 7)
        for i in 0..<1500 {
            let route = routes[Int(rng.next() % UInt64(routes.count))]
            let path = "/" + route.pattern.map { $0.first == "{" ? (rng.next() % 2 == 0 ? c.id : "x_\(i)") : String($0) }.joined(separator: "/")
            var body: [UInt8] = []
            var parts: [String] = []
            for _ in 0..<Int(rng.next() % 6) {
                parts.append("\(randomKey(&rng))=\(Self.values[Int(rng.next() % UInt64(Self.values.count))])")
            }
            body = Array(parts.joined(separator: "&").utf8)
            if rng.next() % 10 == 0 { body += (0..<8).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
            let headers = ["Authorization": "Bearer \(s.key)"]
            let call = route.method == "POST"
                ? APICall(method: "POST", path: path, body: body, headers: headers)
                : APICall(method: route.method, path: path, query: String(decoding: body, as: UTF8.self), headers: headers)
            let r = await s.emulator.handle(call)
            #expect(r.status < 500, "\(route.method) \(path) \(String(decoding: body, as: UTF8.self)) -> \(r.bodyString)")
            let json = try JSONParser.parse(r.body)
            if r.status >= 400 {
                #expect(json["error"]["type"].stringValue != nil)
                #expect(json["error"]["message"].stringValue != nil)
            }
        }
    }

    @Test func deepBracketsAndHugeIndexesAre400() async throws {
        let s = try TestStripe()
        let deep = "metadata" + String(repeating: "[a]", count: 200) + "=1"
        let huge = "items[999999999999999999999999][price]=x"
        for body in [deep, huge, "items[5000000][price]=x", "a[=1", "%=1", "metadata[%C3]=x"] {
            let r = await s.emulator.handle(APICall(method: "POST", path: "/v1/customers", body: Array(body.utf8),
                                                    headers: ["Authorization": "Bearer \(s.key)"]))
            #expect(r.status == 400, "\(body)")
            #expect(try JSONParser.parse(r.body)["error"]["type"] == "invalid_request_error")
        }
    }
}
