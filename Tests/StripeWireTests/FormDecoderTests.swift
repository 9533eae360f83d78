import Testing
@testable import StripeWire

@Suite struct FormDecoderTests {
    let decoder = FormDecoder()

    @Test func nestedObjects() throws {
        let d = try decoder.decode("metadata[plan]=pro&trial_settings[end_behavior][missing_payment_method]=cancel")
        #expect(d["metadata"] == .dict(["plan": .string("pro")]))
        #expect(d["trial_settings"]?.dictValue?["end_behavior"]?.dictValue?["missing_payment_method"] == .string("cancel"))
    }

    @Test func indexedArraysFollowIndexOrder() throws {
        let d = try decoder.decode("items[1][price]=b&items[0][price]=a&items[0][quantity]=2&items[10][price]=c")
        let items = try #require(d["items"]?.arrayValue)
        #expect(items.count == 3)
        #expect(items[0] == .dict(["price": .string("a"), "quantity": .string("2")]))
        #expect(items[1] == .dict(["price": .string("b")]))
        #expect(items[2] == .dict(["price": .string("c")]))
    }

    @Test func emptyBracketArrays() throws {
        let d = try decoder.decode("expand[]=customer&expand[]=latest_invoice")
        #expect(d["expand"] == .array([.string("customer"), .string("latest_invoice")]))
        let objects = try decoder.decode("items[][price]=a&items[][quantity]=1&items[][price]=b")
        #expect(objects["items"] == .array([.dict(["price": "a", "quantity": "1"]), .dict(["price": "b"])]))
    }

    @Test func percentEncodedBracketsAndPlus() throws {
        let d = try decoder.decode("metadata%5Bnote%5D=hello+world%21&email=a%40b.test")
        #expect(d["metadata"] == .dict(["note": .string("hello world!")]))
        #expect(d["email"] == .string("a@b.test"))
    }

    @Test func emptyValueIsKeptAsEmptyString() throws {
        let d = try decoder.decode("description=&metadata=")
        #expect(d["description"] == .string(""))
        #expect(d["metadata"] == .string(""))
    }

    @Test func utf8Values() throws {
        let d = try decoder.decode("name=J%C3%BCrgen+%F0%9F%98%80")
        #expect(d["name"] == .string("Jürgen 😀"))
    }

    @Test(arguments: [
        ("a=1&a[b]=2", "a"),
        ("a[0]=1&a[]=2", "a"),
        ("a[0]=1&a[x]=2", "a"),
        ("a[b=1", "a[b"),
        ("a]=1", "a]"),
        ("[a]=1", "[a]"),
        ("a[99999999999999999999]=1", "a[99999999999999999999]"),
        ("a[10000]=1", "a[10000]"),
    ])
    func malformedNamesAreErrorsNamingTheParam(body: String, param: String) {
        #expect(throws: FormDecodingError.self) { try decoder.decode(body) }
        do { _ = try decoder.decode(body) } catch { #expect(error.param == param) }
    }

    @Test func tooDeep() {
        let key = "a" + String(repeating: "[b]", count: 40)
        #expect(throws: FormDecodingError.self) { try decoder.decode("\(key)=1") }
    }

    @Test func badPercentEncodingAndUTF8() {
        #expect(throws: FormDecodingError.self) { try decoder.decode("a=%ZZ") }
        #expect(throws: FormDecodingError.self) { try decoder.decode("a=%4") }
        #expect(throws: FormDecodingError.self) { try decoder.decode("a=%C3%28") }
        #expect(throws: FormDecodingError.self) { try decoder.decode([UInt8(ascii: "a"), UInt8(ascii: "="), 0xFF, 0xFE]) }
    }

    @Test func encoderRoundTrips() throws {
        let params: [String: FormValue] = [
            "items": .array([.dict(["price": "price_1", "quantity": "2"]), .dict(["price": "price 2&x"])]),
            "metadata": .dict(["k": "v=1"]),
            "expand": .array(["a", "b"]),
        ]
        let body = FormEncoder.encode(params)
        #expect(body.contains("items[0][price]=price_1"))
        #expect(try decoder.decode(body) == params)
    }

    /// Random bodies from a seeded generator: each either decodes to parameters that survive a
    /// round trip through ``FormEncoder`` (encode, decode again: the same parameters), or is a
    /// ``FormDecodingError`` of one of the decoder's kinds (a bad name names the parameter it
    /// quotes; a bad encoding names none). Both outcomes must occur, or the fuzz tests nothing.
    @Test func seededFuzzDecodesOrRefusesCleanly() throws {
        var rng = SplitMix(seed: 42)
        let alphabet = Array("ab[]0123456789=&%+xyz\u{00}é".utf8)
        var decoded = 0, nonEmpty = 0, refused = 0
        for n in 0..<5000 {
            let length = Int(rng.next() % 60)
            let bytes = (0..<length).map { _ in rng.next() % 7 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            let input = "input #\(n): \(bytes)"
            do {
                let params = try decoder.decode(bytes)
                decoded += 1
                if !params.isEmpty { nonEmpty += 1 }
                let again = try decoder.decode(FormEncoder.encode(params))
                #expect(again == params, "\(input) does not survive a round trip")
            } catch {
                refused += 1
                #expect(!error.message.isEmpty, "\(input)")
                if let param = error.param {
                    #expect(!param.isEmpty && error.message.contains(param), "\(input): '\(error.message)' does not name '\(param)'")
                    #expect(["Invalid", "Parameter "].contains { error.message.hasPrefix($0) }, "\(input): \(error.message)")
                } else {
                    #expect(["percent-encoding", "UTF-8", "Too many"].contains { error.message.contains($0) }, "\(input): \(error.message)")
                }
            }
        }
        // With seed 42: 247 of 361 decoded bodies hold parameters, 4,639 bodies are refused.
        #expect(nonEmpty > 150, "too few inputs decoded to parameters (\(nonEmpty) of \(decoded))")
        #expect(refused > 1000, "too few inputs refused (\(refused))")
    }
}

/// A tiny seeded generator so fuzz tests are reproducible.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
