/// Serializes a ``JSONValue`` to UTF-8 bytes.
///
/// Hand-written because rendering is on the hot path of every response and must be
/// deterministic: `id` and `object` first, then keys in byte order.
public enum JSONWriter {
    public static func data(_ value: JSONValue, pretty: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        write(value, into: &out, indent: pretty ? 0 : nil)
        if pretty { out.append(0x0A) }
        return out
    }

    public static func string(_ value: JSONValue, pretty: Bool = false) -> String {
        String(decoding: data(value, pretty: pretty), as: UTF8.self)
    }

    /// Appends a value (compact), for callers that assemble a document around bytes they
    /// already hold; they must emit members in this writer's order themselves.
    public static func append(_ value: JSONValue, to out: inout [UInt8]) {
        write(value, into: &out, indent: nil)
    }

    /// Decimal digits of an integer, without an intermediate String.
    static func writeInt(_ i: Int, into out: inout [UInt8]) {
        if i == 0 { out.append(UInt8(ascii: "0")); return }
        if i == .min { out.append(contentsOf: String(i).utf8); return }
        var v = i
        if v < 0 { out.append(UInt8(ascii: "-")); v = -v }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // up to 24 digits, stored in reverse
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            while v > 0 {
                buf[count] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                count += 1
            }
            for k in stride(from: count - 1, through: 0, by: -1) { out.append(buf[k]) }
        }
    }

    private static func newline(_ out: inout [UInt8], _ indent: Int?) {
        guard let indent else { return }
        out.append(0x0A)
        for _ in 0..<indent { out.append(0x20); out.append(0x20) }
    }

    static func write(_ value: JSONValue, into out: inout [UInt8], indent: Int?) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): writeInt(i, into: &out)
        case .double(let d):
            if d.isFinite {
                if d == d.rounded() && abs(d) < 1e15 { out.append(contentsOf: String(Int(d)).utf8) }
                else { out.append(contentsOf: String(d).utf8) }
            } else { out.append(contentsOf: "null".utf8) }
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            if a.isEmpty { out.append(UInt8(ascii: "]")); return }
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(&out, indent.map { $0 + 1 })
                write(v, into: &out, indent: indent.map { $0 + 1 })
            }
            newline(&out, indent)
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            writeObject(o, into: &out, indent: indent) { value, out in write(value, into: &out, indent: indent.map { $0 + 1 }) }
        }
    }

    /// An object's members in this writer's order, each value written by `writeValue`.
    @inline(__always)
    private static func writeObject(_ o: JSONObject, into out: inout [UInt8], indent: Int?,
                                    _ writeValue: (JSONValue, inout [UInt8]) -> Void) {
        out.append(UInt8(ascii: "{"))
        if o.isEmpty { out.append(UInt8(ascii: "}")); return }
        var first = true
        let inner = indent.map { $0 + 1 }
        // Members are kept in key order (see ``JSONObject``): `id` and `object` lead, the
        // rest follow as they are.
        let (hasID, idAt) = o.position(of: "id")
        let (hasObject, objectAt) = o.position(of: "object")
        if hasID { writeMember(o.members[idAt], first: &first, inner: inner, into: &out, writeValue) }
        if hasObject { writeMember(o.members[objectAt], first: &first, inner: inner, into: &out, writeValue) }
        for i in o.members.indices where !(hasID && i == idAt) && !(hasObject && i == objectAt) {
            writeMember(o.members[i], first: &first, inner: inner, into: &out, writeValue)
        }
        newline(&out, indent)
        out.append(UInt8(ascii: "}"))
    }

    @inline(__always)
    private static func writeMember(_ m: JSONObject.Member, first: inout Bool, inner: Int?, into out: inout [UInt8],
                                    _ writeValue: (JSONValue, inout [UInt8]) -> Void) {
        if !first { out.append(UInt8(ascii: ",")) }
        first = false
        newline(&out, inner)
        writeString(m.key, into: &out)
        out.append(UInt8(ascii: ":"))
        if inner != nil { out.append(0x20) }
        writeValue(m.value, &out)
    }

    /// `value` compact, with each element of its top-level arrays (a list's `data`) for which
    /// `stored` has bytes written as those bytes: a page of objects read as they were stored is
    /// sent without serializing each object again. `stored` must return exactly what this writer
    /// would write for the element.
    public static func data(_ value: JSONValue, storedElements stored: (JSONValue) -> [UInt8]?) -> [UInt8] {
        guard case .object(let o) = value else { return data(value) }
        var out: [UInt8] = []
        out.reserveCapacity(16_384)
        writeObject(o, into: &out, indent: nil) { member, out in
            guard case .array(let elements) = member else { write(member, into: &out, indent: nil); return }
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if let bytes = stored(element) { out.append(contentsOf: bytes) } else { write(element, into: &out, indent: nil) }
            }
            out.append(UInt8(ascii: "]"))
        }
        return out
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        // `withUTF8` gives a native string's bytes in place (a small one's from the stack), so
        // the scan is over a buffer and the copy a `memcpy`: keys and ids are almost all plain.
        var s = s
        s.withUTF8 { bytes in
            var plain = true
            for b in bytes where b < 0x20 || b == 0x22 || b == 0x5C {
                plain = false
                break
            }
            out.append(0x22)
            if plain { out.append(contentsOf: bytes) } else { writeEscaped(bytes, into: &out) }
            out.append(0x22)
        }
    }

    private static func writeEscaped(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(b)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(b)
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 0xF)])
            default: out.append(b)
            }
        }
    }
}
