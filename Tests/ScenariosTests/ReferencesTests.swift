import Testing
import StripeWire
@testable import Scenarios

@Suite struct ReferencesTests {
    let outputs: [String: JSONValue] = [
        "customer": ["id": "cus_1", "balance": 0, "sources": ["data": [["id": "card_1"]]]],
        "price": ["id": "price_1", "unit_amount": 2000],
    ]

    @Test func parsesFixtureReferences() throws {
        #expect(try References.parse("${customer:id}") == [.init(name: "customer", path: "id", fallback: nil)])
        #expect(try References.parse("a ${x:y.z|none} b ${.env:HOME}").count == 2)
        #expect(throws: References.Failure.self) { try References.parse("${customer}") }
        #expect(throws: References.Failure.self) { try References.parse("${customer:id") }
    }

    @Test func resolvesKeepingTypesForWholeValues() throws {
        #expect(try References.resolve("${customer:id}", outputs: outputs, env: [:]) == "cus_1")
        #expect(try References.resolve("${price:unit_amount}", outputs: outputs, env: [:]) == 2000)
        #expect(try References.resolve("pay ${price:unit_amount} for ${customer:id}", outputs: outputs, env: [:]) == "pay 2000 for cus_1")
        #expect(try References.resolve("${customer:sources.data[0].id}", outputs: outputs, env: [:]) == "card_1")
        #expect(try References.resolve("${customer:sources.data.0.id}", outputs: outputs, env: [:]) == "card_1")
    }

    @Test func defaultsAndEnvironment() throws {
        #expect(try References.resolve("${customer:missing|fallback}", outputs: outputs, env: [:]) == "fallback")
        #expect(try References.resolve("${.env:KEY}", outputs: outputs, env: ["KEY": "v"]) == "v")
        #expect(try References.resolve("${.env:NOPE|d}", outputs: outputs, env: [:]) == "d")
        #expect(throws: References.Failure.self) { try References.resolve("${.env:NOPE}", outputs: outputs, env: [:]) }
        // As the Stripe CLI does, a reference it cannot fill stays as written.
        #expect(try References.resolve("${nostep:id}", outputs: outputs, env: [:]) == "${nostep:id}")
        #expect(try References.resolve("id=${customer:nope}!", outputs: outputs, env: [:]) == "id=${customer:nope}!")
    }

    @Test func builtinsAndClocks() throws {
        let uuid = try References.resolve("${generate-uuid}", outputs: outputs, env: [:]).stringValue ?? ""
        #expect(uuid.count == 36 && uuid.split(separator: "-").count == 5)
        #expect(try References.resolve("${generate-uuid}", outputs: outputs, env: [:]) != References.resolve("${generate-uuid}", outputs: outputs, env: [:]))
        // 1_800_000_000 is 2027-01-15T08:00:00Z.
        #expect(try References.resolve("${time-now-RFC3339}", outputs: outputs, env: [:], times: (0, 1_800_000_000)) == "2027-01-15T08:00:00Z")
        #expect(try References.resolve("${.now}", outputs: outputs, env: [:], times: (5, 1_800_000_000)) == 1_800_000_000)
        #expect(try References.resolve("${.start}", outputs: outputs, env: [:], times: (5, 1_800_000_000)) == 5)
        #expect(try References.resolve("${.clock:clk}", outputs: outputs, env: [:], clocks: ["clk": 42]) == 42)
        #expect(try References.resolve("${.clock:clk+1h}", outputs: outputs, env: [:], clocks: ["clk": 42]) == 3642)
        #expect(throws: References.Failure.self) { try References.resolve("${.clock:other}", outputs: outputs, env: [:], clocks: [:]) }
        #expect(try References.parse("${generate-uuid} ${.now}").map(\.name) == ["generate-uuid", ".now"])
    }
}
