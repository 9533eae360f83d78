/// Serializes a ``JSONValue`` to UTF-8 bytes.
///
/// Hand-written because rendering is on the hot path of every response and must be
/// deterministic: `id` and `object` first, then keys in byte order.
///
/// It writes into a ``JSONOutput`` (raw memory it grows itself) rather than appending to an
/// array byte by byte: every append to an array checks uniqueness and capacity, and a year of
/// renewals renders hundreds of megabytes of JSON (`effinity bench clock` reports the rate).
public enum JSONWriter {
    public static func data(_ value: JSONValue, pretty: Bool = false) -> [UInt8] {
        var out = JSONOutput(capacity: 2048)
        write(value, into: &out, indent: pretty ? 0 : nil)
        if pretty { out.byte(0x0A) }
        return out.array()
    }

    public static func string(_ value: JSONValue, pretty: Bool = false) -> String {
        String(decoding: data(value, pretty: pretty), as: UTF8.self)
    }

    /// Appends a value (compact), for callers that assemble a document around bytes they
    /// already hold; they must emit members in this writer's order themselves.
    public static func append(_ value: JSONValue, to out: inout [UInt8]) {
        var o = JSONOutput(capacity: 256)
        writeCompact(value, into: &o)
        o.append(to: &out)
    }

    /// Decimal digits of an integer, without an intermediate String.
    static func writeInt(_ i: Int, into out: inout JSONOutput) {
        if i == 0 { out.byte(UInt8(ascii: "0")); return }
        if i == .min { out.literal("-9223372036854775808"); return }
        var v = i
        out.reserve(21)
        if v < 0 { out.byte(UInt8(ascii: "-")); v = -v }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // up to 24 digits, stored in reverse
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            while v > 0 {
                buf[count] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
                v /= 10
                count += 1
            }
            for k in stride(from: count - 1, through: 0, by: -1) { out.byte(buf[k]) }
        }
    }

    private static func newline(_ out: inout JSONOutput, _ indent: Int?) {
        guard let indent else { return }
        out.byte(0x0A)
        for _ in 0..<indent { out.byte(0x20); out.byte(0x20) }
    }

    static func write(_ value: JSONValue, into out: inout JSONOutput, indent: Int?) {
        guard indent != nil else { return writeCompact(value, into: &out) }
        switch value {
        case .null: out.literal("null")
        case .bool(let b): if b { out.literal("true") } else { out.literal("false") }
        case .int(let i): writeInt(i, into: &out)
        case .double(let d): writeDouble(d, into: &out)
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            out.byte(UInt8(ascii: "["))
            if a.isEmpty { out.byte(UInt8(ascii: "]")); return }
            let inner = indent.map { $0 + 1 }
            var first = true
            for v in a {
                if !first { out.byte(UInt8(ascii: ",")) }
                first = false
                newline(&out, inner)
                write(v, into: &out, indent: inner)
            }
            newline(&out, indent)
            out.byte(UInt8(ascii: "]"))
        case .object(let o):
            writeObject(o, into: &out, indent: indent) { value, out in write(value, into: &out, indent: indent.map { $0 + 1 }) }
        }
    }

    /// `write` without indentation (every stored object and API answer): no indentation to
    /// carry down, nothing between members but commas.
    static func writeCompact(_ value: JSONValue, into out: inout JSONOutput) {
        switch value {
        case .string(let s): writeString(s, into: &out)
        case .object(let o):
            writeObject(o, into: &out, indent: nil) { value, out in writeCompact(value, into: &out) }
        case .int(let i): writeInt(i, into: &out)
        case .null: out.literal("null")
        case .bool(let b): if b { out.literal("true") } else { out.literal("false") }
        case .array(let a):
            out.byte(UInt8(ascii: "["))
            var first = true
            for v in a {
                if !first { out.byte(UInt8(ascii: ",")) }
                first = false
                writeCompact(v, into: &out)
            }
            out.byte(UInt8(ascii: "]"))
        case .double(let d): writeDouble(d, into: &out)
        }
    }

    /// A whole number below 10^15 as an integer, any other finite number as Swift prints it,
    /// and a non-finite one as null (JSON has no NaN or infinity).
    private static func writeDouble(_ d: Double, into out: inout JSONOutput) {
        guard d.isFinite else { return out.literal("null") }
        if d == d.rounded() && abs(d) < 1e15 { writeInt(Int(d), into: &out) } else { out.bytes(String(d)) }
    }

    /// An object's members in this writer's order, each value written by `writeValue`.
    @inline(__always)
    private static func writeObject(_ o: JSONObject, into out: inout JSONOutput, indent: Int?,
                                    _ writeValue: (JSONValue, inout JSONOutput) -> Void) {
        out.byte(UInt8(ascii: "{"))
        if o.isEmpty { out.byte(UInt8(ascii: "}")); return }
        var first = true
        let inner = indent.map { $0 + 1 }
        // Members are kept in key order (see ``JSONObject``): `id` and `object` lead, the
        // rest follow as they are.
        let (idAt, objectAt) = o.leadingPositions
        if idAt >= 0 { writeMember(o.members[idAt], first: &first, inner: inner, into: &out, writeValue) }
        if objectAt >= 0 { writeMember(o.members[objectAt], first: &first, inner: inner, into: &out, writeValue) }
        for i in o.members.indices where i != idAt && i != objectAt {
            writeMember(o.members[i], first: &first, inner: inner, into: &out, writeValue)
        }
        newline(&out, indent)
        out.byte(UInt8(ascii: "}"))
    }

    @inline(__always)
    private static func writeMember(_ m: JSONObject.Member, first: inout Bool, inner: Int?, into out: inout JSONOutput,
                                    _ writeValue: (JSONValue, inout JSONOutput) -> Void) {
        if !first { out.byte(UInt8(ascii: ",")) }
        first = false
        newline(&out, inner)
        writeString(m.key, into: &out)
        out.byte(UInt8(ascii: ":"))
        if inner != nil { out.byte(0x20) }
        writeValue(m.value, &out)
    }

    /// `value` compact, with each element of its top-level arrays (a list's `data`) for which
    /// `stored` has bytes written as those bytes: a page of objects read as they were stored is
    /// sent without serializing each object again. `stored` must return exactly what this writer
    /// would write for the element.
    public static func data(_ value: JSONValue, storedElements stored: (JSONValue) -> [UInt8]?) -> [UInt8] {
        guard case .object(let o) = value else { return data(value) }
        var out = JSONOutput(capacity: 16_384)
        writeObject(o, into: &out, indent: nil) { member, out in
            guard case .array(let elements) = member else { writeCompact(member, into: &out); return }
            out.byte(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.byte(UInt8(ascii: ",")) }
                if let bytes = stored(element) { out.bytes(bytes) } else { writeCompact(element, into: &out) }
            }
            out.byte(UInt8(ascii: "]"))
        }
        return out.array()
    }

    static func writeString(_ s: String, into out: inout JSONOutput) {
        // A native or small string's bytes in place (a small one's from the stack): copied as
        // they are scanned, and only a string that needs escaping is written again escaped.
        if let done = s.utf8.withContiguousStorageIfAvailable({ out.quoted($0) }) {
            if !done { writeEscaped(Array(s.utf8), into: &out) }
            return
        }
        let bytes = Array(s.utf8)
        if !bytes.withUnsafeBufferPointer({ out.quoted($0) }) { writeEscaped(bytes, into: &out) }
    }

    private static func writeEscaped(_ bytes: [UInt8], into out: inout JSONOutput) {
        out.byte(0x22)
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""): out.byte(UInt8(ascii: "\\")); out.byte(b)
            case UInt8(ascii: "\\"): out.byte(UInt8(ascii: "\\")); out.byte(b)
            case 0x0A: out.byte(UInt8(ascii: "\\")); out.byte(UInt8(ascii: "n"))
            case 0x0D: out.byte(UInt8(ascii: "\\")); out.byte(UInt8(ascii: "r"))
            case 0x09: out.byte(UInt8(ascii: "\\")); out.byte(UInt8(ascii: "t"))
            case 0..<0x20:
                out.literal("\\u00")
                out.byte(hexDigits[Int(b >> 4)]); out.byte(hexDigits[Int(b & 0xF)])
            default: out.byte(b)
            }
        }
        out.byte(0x22)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}

/// The bytes ``JSONWriter`` renders, in memory it owns and grows: one capacity check per
/// write instead of an array's uniqueness and capacity checks per byte.
struct JSONOutput: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = Swift.max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// Room for `extra` more bytes.
    @inline(__always)
    mutating func reserve(_ extra: Int) {
        if count &+ extra > capacity { grow(count + extra) }
    }

    private mutating func grow(_ needed: Int) {
        let newCapacity = Swift.max(needed, capacity * 2)
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = newCapacity
    }

    @inline(__always)
    mutating func byte(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count &+= 1
    }

    mutating func bytes(_ b: UnsafeBufferPointer<UInt8>) {
        guard let from = b.baseAddress, !b.isEmpty else { return }
        reserve(b.count)
        (base + count).update(from: from, count: b.count)
        count &+= b.count
    }

    mutating func bytes(_ b: [UInt8]) { b.withUnsafeBufferPointer { bytes($0) } }

    mutating func literal(_ s: StaticString) {
        bytes(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    mutating func bytes(_ s: String) {
        var s = s
        s.withUTF8 { bytes($0) }
    }

    /// Writes `b` as a JSON string if none of its bytes needs escaping (the quotes included)
    /// and says so; writes nothing and answers false otherwise. Eight bytes at a time: a word
    /// has a byte to escape when one is below 0x20, a quote or a backslash (SWAR tests, exact
    /// for every byte value).
    @inline(__always)
    mutating func quoted(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = b.count
        reserve(n &+ 2)
        let to = base + count
        to[0] = 0x22
        var i = 0
        if let from = b.baseAddress {
            let raw = UnsafeRawPointer(from), out = UnsafeMutableRawPointer(to + 1)
            while i &+ 8 <= n {
                let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if Self.needsEscape(w) { return false }
                out.storeBytes(of: w, toByteOffset: i, as: UInt64.self)
                i &+= 8
            }
            while i < n {
                let x = from[i]
                if x < 0x20 || x == 0x22 || x == 0x5C { return false }
                to[i &+ 1] = x
                i &+= 1
            }
        }
        to[n &+ 1] = 0x22
        count &+= n &+ 2
        return true
    }

    @inline(__always)
    private static func needsEscape(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let quote = w ^ 0x2222_2222_2222_2222, backslash = w ^ 0x5C5C_5C5C_5C5C_5C5C
        let control = (w &- 0x20 &* ones) & ~w
        let zeros = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
        return (control | zeros) & highs != 0
    }

    /// The bytes as an array (one copy).
    consuming func array() -> [UInt8] {
        let n = count, from = base
        return [UInt8](unsafeUninitializedCapacity: n) { buffer, initialized in
            buffer.baseAddress?.update(from: from, count: n)
            initialized = n
        }
    }

    /// Appends the bytes to an array.
    func append(to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
    }
}
