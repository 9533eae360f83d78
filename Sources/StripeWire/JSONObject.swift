/// The members of a JSON object, kept in key order (by UTF-8 bytes): the order the writer
/// renders them in, after `id` and `object`.
///
/// Stripe objects are read, changed and rendered over and over (a year of renewals renders
/// every invoice several times), and a hash table had to be sorted on every rendering and rebuilt
/// on every parse. Kept sorted, an object renders in one pass, and parsing the JSON this writer
/// stored (already in key order) appends each member without hashing. Lookups are a binary
/// search over at most a hundred or so keys, on an integer made of each key's first eight bytes.
///
/// Its API is the part of `Dictionary` that this project's JSON code uses, so code reads the
/// same either way. Keys are ordered by their UTF-8 bytes.
public struct JSONObject: Sendable, Hashable {
    @usableFromInline
    struct Member: Sendable, Hashable {
        @usableFromInline let prefix: UInt64
        @usableFromInline let key: String
        @usableFromInline var value: JSONValue

        @inlinable init(_ key: String, _ value: JSONValue) {
            self.prefix = JSONObject.prefix(of: key)
            self.key = key
            self.value = value
        }
    }

    @usableFromInline var members: [Member]

    public init() { members = [] }

    /// Later pairs win over earlier ones with the same key, as in a JSON document.
    public init<S: Sequence>(_ pairs: S) where S.Element == (String, JSONValue) {
        members = []
        members.reserveCapacity(pairs.underestimatedCount)
        for (k, v) in pairs { members.append(Member(k, v)) }
        normalize()
    }

    public init(_ dictionary: [String: JSONValue]) {
        members = dictionary.map { Member($0.key, $0.value) }
        members.sort(by: Self.precedes)
    }

    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }

    /// The keys, in byte order.
    public var keys: [String] { members.map(\.key) }

    public subscript(key: String) -> JSONValue? {
        get {
            let (found, at) = position(of: key)
            // Spelled out: `found ? value : nil` would make `nil` a JSON null (JSONValue is
            // nil-literal expressible) and every missing key would read as present.
            if found { return members[at].value }
            return Optional<JSONValue>.none
        }
        set {
            let (found, at) = position(of: key)
            switch (found, newValue) {
            case (true, let value?): members[at].value = value
            case (true, nil): members.remove(at: at)
            case (false, let value?): members.insert(Member(key, value), at: at)
            case (false, nil): break
            }
        }
    }

    public subscript(key: String, default defaultValue: @autoclosure () -> JSONValue) -> JSONValue {
        get { self[key] ?? defaultValue() }
        // In place, as Dictionary's: nested sets (`o["a"]["b"] = x`) change the member's storage.
        _modify {
            let (found, at) = position(of: key)
            if !found { members.insert(Member(key, defaultValue()), at: at) }
            yield &members[at].value
        }
    }

    public func mapValues<T>(_ transform: (JSONValue) throws -> T) rethrows -> [String: T] {
        var out: [String: T] = [:]
        out.reserveCapacity(members.count)
        for m in members { out[m.key] = try transform(m.value) }
        return out
    }

    public func filter(_ isIncluded: ((key: String, value: JSONValue)) throws -> Bool) rethrows -> JSONObject {
        var copy = JSONObject()
        copy.members = try members.filter { try isIncluded(($0.key, $0.value)) }
        return copy
    }

    /// Adds a member. In key order (a parsed stored document, a diff walked in order) that is a
    /// plain append; out of order it is placed where it belongs; a repeated key replaces the
    /// earlier one.
    @inlinable
    public mutating func append(_ key: String, _ value: JSONValue) {
        let member = Member(key, value)
        if let last = members.last, !Self.precedes(last, member) {
            self[key] = value
        } else {
            members.append(member)
        }
    }

    // MARK: Order

    /// The first eight UTF-8 bytes of a key, big-endian and zero-padded: integer order is byte
    /// order on that prefix (keys that share it are settled on their whole bytes).
    @inlinable
    static func prefix(of key: String) -> UInt64 {
        if let p = key.utf8.withContiguousStorageIfAvailable({ bytes -> UInt64 in
            var p: UInt64 = 0
            let n = Swift.min(bytes.count, 8)
            for i in 0..<n { p = p << 8 | UInt64(bytes[i]) }
            return n == 8 ? p : p << UInt64((8 - n) * 8)
        }) { return p }
        var p: UInt64 = 0
        var n = 0
        for b in key.utf8 {
            if n == 8 { break }
            p = p << 8 | UInt64(b)
            n += 1
        }
        return n == 8 ? p : p << UInt64((8 - n) * 8)
    }

    /// Byte order of two different keys that share their prefix.
    @inlinable
    static func bytesPrecede(_ a: String, _ b: String) -> Bool {
        let fast = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y -> Bool in
                let n = Swift.min(x.count, y.count)
                for i in 0..<n where x[i] != y[i] { return x[i] < y[i] }
                return x.count < y.count
            }
        }
        if let fast, let result = fast { return result }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    @inlinable
    static func precedes(_ a: Member, _ b: Member) -> Bool {
        if a.prefix != b.prefix { return a.prefix < b.prefix }
        return a.key != b.key && bytesPrecede(a.key, b.key)
    }

    /// Where `key` is, or where it would be inserted.
    @inlinable
    func position(of key: String) -> (found: Bool, at: Int) {
        let p = Self.prefix(of: key)
        var low = 0, high = members.count
        while low < high {
            let mid = (low + high) >> 1
            let m = members[mid]
            if m.prefix < p || (m.prefix == p && m.key != key && Self.bytesPrecede(m.key, key)) {
                low = mid + 1
            } else {
                high = mid
            }
        }
        return (low < members.count && members[low].prefix == p && members[low].key == key, low)
    }

    /// Where the members `id` and `object` are (-1 where absent), which the writer renders
    /// first: two binary searches comparing integers, then the length of the key found.
    @inlinable
    var leadingPositions: (id: Int, object: Int) {
        (position(prefix: 0x6964_0000_0000_0000, length: 2), position(prefix: 0x6F62_6A65_6374_0000, length: 6))
    }

    /// The member whose key is the one of `length` bytes (at most eight) with this prefix, or -1.
    /// Keys sharing a prefix are in byte order, so a key padded by the prefix's zeros comes first.
    @inlinable
    func position(prefix p: UInt64, length: Int) -> Int {
        var low = 0, high = members.count
        while low < high {
            let mid = (low + high) >> 1
            if members[mid].prefix < p { low = mid + 1 } else { high = mid }
        }
        return low < members.count && members[low].prefix == p && members[low].key.utf8.count == length ? low : -1
    }

    /// Sorts members appended in any order; the last of equal keys wins. Code writes its
    /// literals mostly in key order (with `id` and `object` first), and stored JSON is in key
    /// order but for those two, so members out of place are moved into the sorted run by a binary
    /// search; input far from sorted (a hostile document) is sorted whole instead, so it costs
    /// n log n and not n².
    mutating func normalize() {
        var sortedRun = 1
        while sortedRun < members.count, Self.precedes(members[sortedRun - 1], members[sortedRun]) { sortedRun += 1 }
        guard sortedRun < members.count else { return }
        var out = Array(members[..<sortedRun])
        out.reserveCapacity(members.count)
        var moved = 0
        let budget = 8 * members.count + 64
        for m in members[sortedRun...] {
            var low = 0, high = out.count
            while low < high {
                let mid = (low + high) >> 1
                if Self.precedes(m, out[mid]) { high = mid } else { low = mid + 1 }
            }
            // out[low - 1] does not follow m: it is the same key unless it precedes m.
            if low > 0, !Self.precedes(out[low - 1], m) {
                out[low - 1] = m
            } else {
                moved += out.count - low
                if moved > budget { sortWhole(); return }
                out.insert(m, at: low)
            }
        }
        members = out
    }

    private mutating func sortWhole() {
        let indexed = members.enumerated().sorted { a, b in
            Self.precedes(a.element, b.element) || (!Self.precedes(b.element, a.element) && a.offset < b.offset)
        }
        var out: [Member] = []
        out.reserveCapacity(indexed.count)
        for (_, m) in indexed {
            if let last = out.last, !Self.precedes(last, m) { out[out.count - 1] = m } else { out.append(m) }
        }
        members = out
    }

    /// Walks the union of two objects' keys in order, with each side's value (nil where the
    /// key is absent): one pass, no hashing (`previous_attributes` diffs every update).
    public func forEachKey(unionWith other: JSONObject, _ body: (String, JSONValue?, JSONValue?) throws -> Void) rethrows {
        var i = 0, j = 0
        let a = members, b = other.members
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && Self.precedes(a[i], b[j])) {
                try body(a[i].key, a[i].value, nil)
                i += 1
            } else if i == a.count || Self.precedes(b[j], a[i]) {
                try body(b[j].key, nil, b[j].value)
                j += 1
            } else {
                try body(a[i].key, a[i].value, b[j].value)
                i += 1
                j += 1
            }
        }
    }
}

extension JSONObject: Sequence {
    public typealias Element = (key: String, value: JSONValue)

    public struct Iterator: IteratorProtocol {
        var base: IndexingIterator<[Member]>
        public mutating func next() -> (key: String, value: JSONValue)? {
            guard let m = base.next() else { return nil }
            return (m.key, m.value)
        }
    }

    public func makeIterator() -> Iterator { Iterator(base: members.makeIterator()) }
    public var underestimatedCount: Int { members.count }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self.init(elements) }
}

extension JSONValue {
    /// An object from a dictionary built by code (its members are put in key order once).
    public static func object(_ dictionary: [String: JSONValue]) -> JSONValue { .object(JSONObject(dictionary)) }
}
