import Foundation
import StripeWire

/// `goldens/<scenario>.json`: every snapshot of a scenario, by snapshot name, as canonical
/// pretty JSON (sorted keys, two-space indent, trailing newline) so reviews read clean diffs.
public struct Goldens: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public func path(for scenario: String) -> String { "\(directory)/\(scenario).json" }

    public func read(_ scenario: String) throws -> JSONValue? {
        let p = path(for: scenario)
        guard FileManager.default.fileExists(atPath: p) else { return nil }
        return try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: p))))
    }

    public func write(_ scenario: String, _ value: JSONValue) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(Self.encode(value)).write(to: URL(fileURLWithPath: path(for: scenario)), options: .atomic)
    }

    public static func encode(_ value: JSONValue) -> [UInt8] { JSONWriter.data(value, pretty: true) }

    /// The golden of a run: its snapshots by name.
    static func document(_ snapshots: [(String, JSONValue)]) -> JSONValue {
        .object(Dictionary(snapshots, uniquingKeysWith: { _, last in last }))
    }

    /// Golden files whose scenario is not in `names` (a scenario deleted or renamed): the names,
    /// sorted. Only meaningful when `names` is the whole suite of this goldens folder.
    public func orphans(keeping names: Set<String>) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.filter { !names.contains($0) }.sorted()
    }

    /// Removes the golden of `scenario`.
    public func remove(_ scenario: String) throws {
        try FileManager.default.removeItem(atPath: path(for: scenario))
    }
}
