import Testing
@testable import StripeWire

@Suite struct JSONTests {
    @Test func rendersIdAndObjectFirstThenSortedKeys() {
        let v: JSONValue = ["zeta": 1, "object": "customer", "alpha": nil, "id": "cus_1"]
        #expect(JSONWriter.string(v) == #"{"id":"cus_1","object":"customer","alpha":null,"zeta":1}"#)
    }

    @Test func sortsKeysByBytesBeyondTheEightBytePrefix() {
        let keys = ["abcdefgh2", "abcdefgh", "abcdefg", "abcdefgh10", "b", "Z", "a_b", "é", "ab", "metadata", "metadat"]
        let v = JSONValue.object(Dictionary(uniqueKeysWithValues: keys.map { ($0, JSONValue.int(0)) }))
        let sorted = keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        #expect(JSONWriter.string(v) == "{" + sorted.map { "\"\($0)\":0" }.joined(separator: ",") + "}")
    }

    @Test(arguments: [0, 7, -7, 10, 1_800_000_000, -1_234_567_890_123, Int.max, Int.min])
    func writesIntegers(_ i: Int) throws {
        #expect(JSONWriter.string(.int(i)) == String(i))
        #expect(try JSONParser.parse(JSONWriter.data(.int(i))) == .int(i))
    }

    @Test func membersChangeInPlaceWithTheSameMeaning() {
        var v: JSONValue = ["a": ["b": 1], "keep": "x"]
        let before = v
        v["a"]["b"] = 2
        v["a"]["c"] = "new"
        v["missing"]["deep"] = 3          // a member of null stays unset; the key is set to null
        v["n"] = nil
        #expect(v == ["a": ["b": 2, "c": "new"], "keep": "x", "missing": nil, "n": nil])
        #expect(before == ["a": ["b": 1], "keep": "x"])   // the copy taken before is untouched
        var s: JSONValue = "text"
        s["x"] = 1                           // not an object: nothing to set
        #expect(s == "text")
        #expect(v[path: "a.c"] == "new")
        #expect(v[path: "a.zz.q"] == .null)
    }

    @Test func escapesStrings() {
        let v: JSONValue = .string("a\"b\\c\nd\u{01}é")
        #expect(JSONWriter.string(v) == #""a\"b\\c\nd\u0001é""#)
        // Past 15 bytes a string is no longer stored inline: the same, plain and escaped.
        let long: JSONValue = .string("in_1234567890abcdefghij \"quoted\"\ttab\r\u{1F}é")
        #expect(JSONWriter.string(long) == #""in_1234567890abcdefghij \"quoted\"\ttab\r\u001fé""#)
        let plain: JSONValue = .string("https://example.test/invoices/in_1234567890")
        #expect(JSONWriter.string(plain) == #""https://example.test/invoices/in_1234567890""#)
    }

    @Test func parsesWhatItWrites() throws {
        let v: JSONValue = ["a": [1, 2.5, true, false, nil, "x"], "b": ["c": ["d": "é\n\u{1F600}"]], "n": -42]
        #expect(try JSONParser.parse(JSONWriter.data(v)) == v)
        #expect(try JSONParser.parse(JSONWriter.data(v, pretty: true)) == v)
    }

    @Test func parsesEscapesAndSurrogates() throws {
        #expect(try JSONParser.parse(#""\u00e9\ud83d\ude00\/""#) == .string("é😀/"))
    }

    @Test(arguments: ["", "{", "[1,", #"{"a" 1}"#, "tru", "01x", #""abc"#, "[1] 2", "-"])
    func rejectsInvalid(_ text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(text) }
    }

    @Test func boundsDepth() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(deep) }
    }
}
