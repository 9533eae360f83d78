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
        #expect(throws: References.Failure.self) { try References.resolve("${nostep:id}", outputs: outputs, env: [:]) }
        #expect(throws: References.Failure.self) { try References.resolve("${customer:nope}", outputs: outputs, env: [:]) }
    }
}
