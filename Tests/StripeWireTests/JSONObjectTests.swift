import Testing
@testable import StripeWire

/// ``JSONObject`` keeps members in rendering order; it must still behave as the dictionary it
/// replaced: one value per key, lookups by exact key, equality whatever the order of building.
@Suite struct JSONObjectTests {
    /// Keys that share their first eight bytes (settled on the whole key), non-ASCII keys
    /// (ordered by UTF-8 bytes) and the empty key.
    static let keys = ["customer", "customer_email", "customer_address", "customer_tax_ids", "custom", "id", "object", "é", "Z",
                       "a", "", "abcdefgh10", "abcdefgh2", "total", "total_excluding_tax", "metadata", "zeta"]

    @Test func membersAreKeptInByteOrderAndFoundByExactKey() {
        var o = JSONObject()
        for (i, k) in Self.keys.enumerated() { o[k] = .int(i) }
        #expect(o.keys == Self.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        for (i, k) in Self.keys.enumerated() { #expect(o[k] == .int(i)) }
        #expect(o["customer_"] == nil)
        #expect(o["customers"] == nil)
        #expect(o["e\u{301}"] == nil)   // é decomposed: other bytes, another key
        #expect(o.count == Self.keys.count)
    }

    @Test func setAndRemoveKeepOneValuePerKey() {
        var o: JSONObject = ["b": 1, "a": 2]
        o["b"] = 3
        o["c"] = nil
        o["zz"] = nil
        o["a"] = 4
        #expect(Array(o.map(\.key)) == ["a", "b"] && o["a"] == 4 && o["b"] == 3)
        o["a"] = nil
        #expect(o.keys == ["b"])
        o["n", default: .null] = ["x": 1]
        o["n", default: .null]["y"] = 2
        #expect(JSONValue.object(o) == ["b": 3, "n": ["x": 1, "y": 2]])
    }

    @Test func equalityAndHashIgnoreTheOrderOfBuilding() {
        let forward = JSONObject(Self.keys.map { ($0, JSONValue.string($0)) })
        let backward = JSONObject(Self.keys.reversed().map { ($0, JSONValue.string($0)) })
        var pieceByPiece = JSONObject()
        for k in Self.keys.shuffled() { pieceByPiece[k] = .string(k) }
        #expect(forward == backward && backward == pieceByPiece)
        #expect(forward.hashValue == pieceByPiece.hashValue)
        #expect(JSONObject([("k", 1), ("k", 2)]) == ["k": 2])   // the later pair wins
    }

    @Test func parsingKeepsTheLastOfRepeatedKeysAndSortsAnyOrder() throws {
        let v = try JSONParser.parse(#"{"z":1,"object":"x","id":"a","m":{"q":1,"b":2},"z":9}"#)
        #expect(v == ["id": "a", "object": "x", "m": ["b": 2, "q": 1], "z": 9])
        #expect(JSONWriter.string(v) == #"{"id":"a","object":"x","m":{"b":2,"q":1},"z":9}"#)
        // What the writer stores parses back to the same value and the same bytes.
        let stored = JSONWriter.data(v)
        #expect(JSONWriter.data(try JSONParser.parse(stored)) == stored)
    }

    @Test func dictionaryStyleHelpers() {
        let o: JSONObject = ["a": 1, "b": "x", "c": nil]
        #expect(o.filter { $0.value != .null }.keys == ["a", "b"])
        #expect(o.mapValues { $0 == .null } == ["a": false, "b": false, "c": true])
        #expect(JSONObject(["x": 1, "w": 2] as [String: JSONValue]).keys == ["w", "x"])
    }

    @Test func literalsOutOfOrderWithRepeatsKeepTheLastValue() {
        let o = JSONObject([("id", 1), ("object", 2), ("a", 3), ("z", 4), ("id", 5), ("b", 6), ("a", 7)])
        #expect(o.keys == ["a", "b", "id", "object", "z"])
        #expect(o == ["a": 7, "b": 6, "id": 5, "object": 2, "z": 4])
    }

    @Test func unionWalkVisitsEveryKeyOnceInOrder() {
        let a: JSONObject = ["a": 1, "c": 3, "customer": 4, "e": 5]
        let b: JSONObject = ["b": 2, "c": 30, "customer_email": 6, "e": 5]
        var seen: [String] = []
        a.forEachKey(unionWith: b) { key, x, y in seen.append("\(key):\(x?.intValue ?? -1):\(y?.intValue ?? -1)") }
        #expect(seen == ["a:1:-1", "b:-1:2", "c:3:30", "customer:4:-1", "customer_email:-1:6", "e:5:5"])
    }

    /// A document with its keys in reverse order (far from the order kept) is sorted whole:
    /// 20,000 members must not cost 20,000² moves.
    @Test func keysInReverseOrderParseInOrderAndKeepTheLastRepeat() throws {
        let keys = (0..<20_000).map { "k\(100_000 + $0)" }
        let body = keys.reversed().map { "\"\($0)\":1" }.joined(separator: ",") + #","k100007":2"#
        let parsed = try JSONParser.parse("{" + body + "}")
        let o = try #require(parsed.objectValue)
        #expect(o.keys == keys)
        #expect(o["k100007"] == 2 && o["k119999"] == 1)
    }
}
