import Billing
import Foundation
import StripeWire

/// The project file's rules for its tables in a snapshot: columns left out (`ignore_columns`),
/// secrets shown as `<redacted>` (`redact_columns`), generated ids replaced by `<id N>` in order
/// of first appearance (`aliases`), and ISO-8601 times turned into Unix seconds so the
/// ``Normalizer`` writes them as offsets like Unix times.
struct ProjectTableRules: Sendable {
    let ignore: Set<String>
    let redact: Set<String>
    /// The patterns of generated ids (`uuid` is a canonical UUID).
    let aliases: [String]

    init(_ spec: Project.DatabaseSpec) {
        ignore = Set(spec.ignoreColumns)
        redact = Set(spec.redactColumns)
        aliases = spec.aliases.map { $0 == "uuid" ? "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$" : $0 }
    }

    func apply(_ dumps: [TableDump]) -> [TableDump] {
        let expressions = aliases.compactMap { try? NSRegularExpression(pattern: $0) }
        var names: [String: String] = [:]
        func alias(_ s: String) -> String? {
            if let known = names[s] { return known }
            let range = NSRange(s.startIndex..., in: s)
            guard expressions.contains(where: { $0.firstMatch(in: s, range: range) != nil }) else { return nil }
            let name = "<id \(names.count + 1)>"
            names[s] = name
            return name
        }
        func matches(_ set: Set<String>, _ table: String, _ column: String) -> Bool {
            set.contains("\(table).\(column)") || set.contains("*.\(column)")
        }
        // Tables in name order, rows in dump order, columns in name order: the first appearance is stable.
        return dumps.sorted { $0.table < $1.table }.map { dump in
            TableDump(table: dump.table, rows: dump.rows.map { row in
                guard case .object(let o) = row else { return row }
                var out: [String: JSONValue] = [:]
                for column in o.keys.sorted() where !matches(ignore, dump.table, column) {
                    let value = o[column]!
                    if matches(redact, dump.table, column), value != .null {
                        out[column] = "<redacted>"
                    } else if case .string(let s) = value {
                        out[column] = alias(s).map { .string($0) } ?? Self.isoTime(s).map { .int($0) } ?? value
                    } else {
                        out[column] = value
                    }
                }
                return .object(out)
            })
        }
    }

    /// `2027-01-01T09:30:00Z`, `2027-01-01 09:30:00`, with fractions or a `+00:00` zone, as Unix
    /// seconds; nil for anything else.
    static func isoTime(_ s: String) -> Int? {
        let chars = Array(s.utf8)
        guard chars.count >= 19, chars.count <= 35, chars[4] == UInt8(ascii: "-"), chars[10] == UInt8(ascii: "T") || chars[10] == UInt8(ascii: " ")
        else { return nil }
        guard let base = ScenarioTime.parse(String(decoding: chars[0..<10], as: UTF8.self) + "T" + String(decoding: chars[11..<19], as: UTF8.self) + "Z")
        else { return nil }
        var rest = chars[19...]
        if rest.first == UInt8(ascii: ".") {
            rest = rest.dropFirst()
            guard rest.first.map({ $0 >= 48 && $0 <= 57 }) == true else { return nil }
            while let c = rest.first, c >= 48, c <= 57 { rest = rest.dropFirst() }
        }
        if rest.isEmpty || Array(rest) == Array("Z".utf8) { return base }
        let zone = Array(rest).filter { $0 != UInt8(ascii: ":") }
        guard zone.count == 5, zone[0] == UInt8(ascii: "+") || zone[0] == UInt8(ascii: "-"),
              let hh = Int(String(decoding: zone[1..<3], as: UTF8.self)), let mm = Int(String(decoding: zone[3..<5], as: UTF8.self))
        else { return nil }
        let offset = (hh * 3600 + mm * 60) * (zone[0] == UInt8(ascii: "+") ? 1 : -1)
        return base - offset
    }
}
