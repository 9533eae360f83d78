/// Decodes `application/x-www-form-urlencoded` bodies and query strings with Stripe's bracket
/// notation.
///
/// Accepts what every Stripe client sends: nested objects (`metadata[plan]=pro`), arrays both as
/// `expand[]=a&expand[]=b` (curl, Ruby, PHP) and as `items[0][price]=x` (the Python SDK, array
/// order taken from the indexes), brackets raw or percent-encoded, and `+` for spaces. Anything
/// malformed is a ``FormDecodingError`` naming the parameter, never a crash.
public struct FormDecoder: Sendable {
    /// Limits that keep hostile input cheap.
    public var maxDepth = 12
    public var maxIndex = 9_999
    public var maxPairs = 10_000

    public init() {}

    enum Segment: Equatable { case key(String), index(Int), append }

    public func decode(_ body: String) throws(FormDecodingError) -> [String: FormValue] {
        try decode(Array(body.utf8))
    }

    public func decode(_ bytes: [UInt8]) throws(FormDecodingError) -> [String: FormValue] {
        var pairs: [(path: [Segment], raw: String, value: String)] = []
        for part in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            if pairs.count >= maxPairs { throw FormDecodingError("Too many parameters (more than \(maxPairs)).", param: nil) }
            let eq = part.firstIndex(of: UInt8(ascii: "="))
            let rawKey = eq.map { part[part.startIndex..<$0] } ?? part[...]
            let rawValue = eq.map { part[($0 + 1)...] } ?? []
            let key = try Self.percentDecode(rawKey, what: "parameter name")
            let value = try Self.percentDecode(rawValue, what: "value of '\(key)'")
            if key.isEmpty { continue }
            pairs.append((try parseKey(key), key, value))
        }
        guard case .dict(let d) = try build(pairs.map { ($0.path[...], $0.raw, $0.value) }, name: "") else {
            return [:]
        }
        return d
    }

    func parseKey(_ key: String) throws(FormDecodingError) -> [Segment] {
        guard let open = key.firstIndex(of: "[") else {
            if key.contains("]") { throw FormDecodingError("Invalid parameter name: \(key)", param: key) }
            return [.key(key)]
        }
        let base = String(key[key.startIndex..<open])
        if base.isEmpty { throw FormDecodingError("Invalid parameter name: \(key)", param: key) }
        var segments: [Segment] = [.key(base)]
        var rest = key[open...]
        while !rest.isEmpty {
            guard rest.first == "[", let close = rest.firstIndex(of: "]") else {
                throw FormDecodingError("Invalid parameter name: \(key)", param: key)
            }
            let inner = rest[rest.index(after: rest.startIndex)..<close]
            if inner.contains("[") { throw FormDecodingError("Invalid parameter name: \(key)", param: key) }
            if inner.isEmpty {
                segments.append(.append)
            } else if inner.allSatisfy({ $0.isASCII && $0.isNumber }) {
                guard inner.count <= 6, let n = Int(inner), n <= maxIndex else {
                    throw FormDecodingError("Invalid array index in \(key): indexes go up to \(maxIndex).", param: key)
                }
                segments.append(.index(n))
            } else {
                segments.append(.key(String(inner)))
            }
            rest = rest[rest.index(after: close)...]
            if segments.count > maxDepth {
                throw FormDecodingError("Parameter \(key) is nested too deeply (more than \(maxDepth) levels).", param: key)
            }
        }
        return segments
    }

    typealias Pair = (path: ArraySlice<Segment>, raw: String, value: String)

    func build(_ pairs: [Pair], name: String) throws(FormDecodingError) -> FormValue {
        // A leaf: every pair ends here.
        if pairs.allSatisfy({ $0.path.isEmpty }) { return .string(pairs.last?.value ?? "") }
        if pairs.contains(where: { $0.path.isEmpty }) {
            throw FormDecodingError("Invalid parameter \(name): it is given both as a value and as an object or array.", param: name)
        }
        let firsts = pairs.map { $0.path.first! }
        let keyed = firsts.allSatisfy { if case .key = $0 { return true } else { return false } }
        if keyed {
            var order: [String] = []
            var groups: [String: [Pair]] = [:]
            for p in pairs {
                guard case .key(let k) = p.path.first! else { continue }
                if groups[k] == nil { order.append(k) }
                groups[k, default: []].append((p.path.dropFirst(), p.raw, p.value))
            }
            var dict: [String: FormValue] = [:]
            for k in order {
                dict[k] = try build(groups[k]!, name: name.isEmpty ? k : "\(name)[\(k)]")
            }
            return .dict(dict)
        }
        let indexed = firsts.allSatisfy { if case .index = $0 { return true } else { return false } }
        if indexed {
            var groups: [Int: [Pair]] = [:]
            for p in pairs {
                guard case .index(let n) = p.path.first! else { continue }
                groups[n, default: []].append((p.path.dropFirst(), p.raw, p.value))
            }
            var items: [FormValue] = []
            for n in groups.keys.sorted() { items.append(try build(groups[n]!, name: "\(name)[\(n)]")) }
            return .array(items)
        }
        let appended = firsts.allSatisfy { $0 == .append }
        guard appended else {
            throw FormDecodingError("Invalid array \(name): mixes `\(name)[]` with indexed or named entries.", param: name)
        }
        // `a[]=x&a[]=y` appends scalars; `a[][k]=1&a[][j]=2&a[][k]=3` starts a new element when a key repeats.
        var elements: [[Pair]] = []
        var seen: [Set<String>] = []
        for p in pairs {
            let rest = p.path.dropFirst()
            let head: String? = rest.first.map { seg in
                switch seg { case .key(let k): return k; case .index(let i): return "#\(i)"; case .append: return "[]" }
            }
            if let head, head != "[]", let last = seen.last, !last.contains(head) {
                elements[elements.count - 1].append((rest, p.raw, p.value))
                seen[seen.count - 1].insert(head)
            } else {
                elements.append([(rest, p.raw, p.value)])
                seen.append(head.map { [$0] } ?? [])
            }
        }
        var items: [FormValue] = []
        for (i, e) in elements.enumerated() { items.append(try build(e, name: "\(name)[\(i)]")) }
        return .array(items)
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }

    /// `what` names the part in an error message; built only for an error (every value of every
    /// request is decoded here).
    static func percentDecode(_ bytes: ArraySlice<UInt8>, what: @autoclosure () -> String) throws(FormDecodingError) -> String {
        if !bytes.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) {
            guard let s = String(validating: bytes, as: UTF8.self) else {
                throw FormDecodingError("Invalid UTF-8 in the \(what()).", param: nil)
            }
            return s
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(0x20); i += 1
            } else if b == UInt8(ascii: "%") {
                guard i + 2 < bytes.endIndex, let h = hexValue(bytes[i + 1]), let l = hexValue(bytes[i + 2]) else {
                    throw FormDecodingError("Invalid percent-encoding in the \(what()).", param: nil)
                }
                out.append(h << 4 | l); i += 3
            } else {
                out.append(b); i += 1
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else {
            throw FormDecodingError("Invalid UTF-8 in the \(what()).", param: nil)
        }
        return s
    }
}

/// Why a form body could not be decoded; rendered by the emulator as a 400 `invalid_request_error`.
public struct FormDecodingError: Error, Sendable, Equatable {
    public let message: String
    public let param: String?
    public init(_ message: String, param: String?) { self.message = message; self.param = param }
}
