import Foundation
import Testing
@testable import StripeWire

/// ``JSONWriter`` against a plain reference writer kept here (the rules spelled out once, without
/// any of the writer's shortcuts): member order, string escapes at every position of the
/// eight-byte scan, numbers, pretty output, and seeded random documents.
@Suite struct JSONWriterTests {
    /// The writer's rules, slowly: `id` and `object` first, then keys in UTF-8 byte order;
    /// `"`, `\`, newline, return and tab escaped by name, other bytes below 0x20 as `\u00XX`.
    static func reference(_ v: JSONValue, indent: Int? = nil) -> String {
        func pad(_ n: Int?) -> String { n.map { "\n" + String(repeating: "  ", count: $0) } ?? "" }
        let inner = indent.map { $0 + 1 }
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d):
            guard d.isFinite else { return "null" }
            return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .string(let s): return quote(s)
        case .array(let a):
            if a.isEmpty { return "[]" }
            return "[" + a.map { pad(inner) + reference($0, indent: inner) }.joined(separator: ",") + pad(indent) + "]"
        case .object(let o):
            if o.isEmpty { return "{}" }
            let keys = o.keys.sorted { a, b in
                func rank(_ k: String) -> Int { k == "id" ? 0 : k == "object" ? 1 : 2 }
                if rank(a) != rank(b) { return rank(a) < rank(b) }
                return a.utf8.lexicographicallyPrecedes(b.utf8)
            }
            let colon = indent == nil ? ":" : ": "
            return "{" + keys.map { pad(inner) + quote($0) + colon + reference(o[$0]!, indent: inner) }.joined(separator: ",") + pad(indent) + "}"
        }
    }

    static func quote(_ s: String) -> String {
        "\"" + s.unicodeScalars.map { scalar -> String in
            switch scalar.value {
            case 0x22: return "\\\""
            case 0x5C: return "\\\\"
            case 0x0A: return "\\n"
            case 0x0D: return "\\r"
            case 0x09: return "\\t"
            case 0..<0x20: return String(format: "\\u%04x", scalar.value)
            default: return String(scalar)
            }
        }.joined() + "\""
    }

    static func written(_ v: JSONValue, pretty: Bool = false) -> String { String(decoding: JSONWriter.data(v, pretty: pretty), as: UTF8.self) }

    /// Every byte that must be escaped, at every offset of strings from 0 to 24 bytes long,
    /// so each lands in a full eight-byte word, in the tail, and on word edges.
    @Test func escapesAtEveryPositionOfTheWordScan() {
        let specials: [Character] = ["\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1}", "\u{1F}", "\u{7F}", "é", " ", "!", "#", "[", "]"]
        for length in 0...24 {
            for at in 0..<max(length, 1) {
                for special in specials {
                    var chars = Array(repeating: Character("a"), count: length)
                    if length > 0 { chars[at] = special }
                    let s = String(chars)
                    #expect(Self.written(.string(s)) == Self.quote(s), "length \(length) at \(at): \(s.debugDescription)")
                }
            }
        }
        for b in UInt8(0)...UInt8(0x7F) {
            let s = String(decoding: [0x61, b, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, b], as: UTF8.self)
            #expect(Self.written(.string(s)) == Self.quote(s), "byte \(b)")
        }
    }

    @Test func numbersAndLiterals() {
        let values: [JSONValue] = [.int(0), .int(7), .int(-7), .int(.max), .int(.min), .int(1_000_000_000_000_000_000),
                                   .double(1.5), .double(-0.0), .double(2), .double(1e15), .double(1e300), .double(.infinity),
                                   .double(.nan), .double(0.1), .null, .bool(true), .bool(false)]
        for v in values { #expect(Self.written(v) == Self.reference(v), "\(v)") }
        #expect(Self.written(.int(.min)) == "-9223372036854775808")
    }

    /// `id` and `object` lead, also among keys that share their first bytes or their
    /// eight-byte prefix (the writer finds the two by prefix and length).
    @Test func idAndObjectLeadAmongLookalikeKeys() {
        let keys = ["object", "objects", "object\u{0}", "objec", "obj", "id", "id\u{0}", "ids", "i", "", "a", "zz", "objectobject", "identity"]
        for n in 0...keys.count {
            var o = JSONObject()
            for (i, k) in keys.prefix(n).enumerated() { o[k] = .int(i) }
            let v = JSONValue.object(o)
            #expect(Self.written(v) == Self.reference(v))
            #expect(Self.written(v, pretty: true) == Self.reference(v, indent: 0) + "\n")
        }
        #expect(Self.written(["a": 1, "object": "x", "id": "y"]) == #"{"id":"y","object":"x","a":1}"#)
    }

    /// Random documents from a fixed seed: compact, pretty, appended to bytes already held, and
    /// with stored bytes for list elements, all as the reference writes them.
    @Test func randomDocumentsMatchTheReference() {
        var g = SplitMix(seed: 0x5EED)  // the target's seeded generator (FormDecoderTests.swift)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz_ \"\\\n\t\u{1}é😀0123456789".unicodeScalars)
        func string() -> String {
            String(String.UnicodeScalarView((0..<Int(g.next() % 20)).map { _ in alphabet[Int(g.next() % UInt64(alphabet.count))] }))
        }
        func value(_ depth: Int) -> JSONValue {
            switch g.next() % (depth > 3 ? 5 : 7) {
            case 0: return .null
            case 1: return .bool(g.next() % 2 == 0)
            case 2: return .int(Int(truncatingIfNeeded: g.next()) >> Int(g.next() % 64))
            case 3: return .double(Double(Int(g.next() % 2_000_001) - 1_000_000) / 64)
            case 4: return .string(string())
            case 5: return .array((0..<Int(g.next() % 6)).map { _ in value(depth + 1) })
            default:
                var o = JSONObject()
                for _ in 0..<Int(g.next() % 12) {
                    let key = g.next() % 5 == 0 ? ["id", "object", "ids", "objects"][Int(g.next() % 4)] : string()
                    o[key] = value(depth + 1)
                }
                return .object(o)
            }
        }
        for _ in 0..<2_000 {
            let v = value(0)
            let expected = Self.reference(v)
            #expect(Self.written(v) == expected)
            #expect(Self.written(v, pretty: true) == Self.reference(v, indent: 0) + "\n")
            var held: [UInt8] = Array("prefix:".utf8)
            JSONWriter.append(v, to: &held)
            #expect(String(decoding: held, as: UTF8.self) == "prefix:" + expected)
            let list: JSONValue = ["object": "list", "data": .array([v, v]), "has_more": false]
            let stored = JSONWriter.data(list) { element in element == v ? Array(expected.utf8) : nil }
            #expect(String(decoding: stored, as: UTF8.self) == Self.reference(list))
        }
    }

    /// Documents larger than the writer's first buffer grow it without losing bytes.
    @Test func largeDocumentsGrowTheBuffer() {
        let big = JSONValue.array((0..<5_000).map { i in ["id": .string("obj_\(i)"), "n": .int(i), "s": .string(String(repeating: "x", count: i % 100))] })
        #expect(Self.written(big) == Self.reference(big))
        let long = JSONValue.string(String(repeating: "abcdefgh", count: 10_000) + "\"")
        #expect(Self.written(long) == Self.reference(long))
    }
}
