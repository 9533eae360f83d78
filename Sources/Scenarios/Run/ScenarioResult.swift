import StripeWire

/// How one scenario ended, for the summary, JUnit and JSON reports.
public struct ScenarioResult: Sendable {
    public enum Status: String, Sendable {
        case passed, failed
        /// Passed, and its golden file was written (`--update`).
        case updated
        /// Not run: `--fail-fast` stopped the run after an earlier failure.
        case skipped
    }

    public let name: String
    public let file: String
    public let status: Status
    /// What went wrong: a step failure, or the golden differences.
    public let messages: [String]
    public let seconds: Double
    /// The snapshots taken, by name (what the golden holds).
    public let snapshots: JSONValue
    /// The fixture `env` block, resolved.
    public let env: [(String, String)]

    public var passed: Bool { status != .failed }

    /// A failure of the scenario's machinery rather than of its checks (a crash, a timeout, a
    /// world that did not start, an invalid file): JUnit's `error` instead of `failure`.
    public var isError: Bool {
        guard status == .failed, let first = messages.first else { return false }
        return ["the scenario's worker", "timed out", "could not start", "invalid scenario"].contains { first.hasPrefix($0) }
    }
}

extension ScenarioResult {
    /// The name an invalid file is reported under: its file name without `.json`.
    public static func nameOfInvalid(_ file: String) -> String { ScenarioParser.defaultName(file) }

    public init(name: String, file: String, status: Status, messages: [String], seconds: Double) {
        self.init(name: name, file: file, status: status, messages: messages, seconds: seconds, snapshots: [:], env: [])
    }

    /// The result as the JSON report and worker processes carry it.
    public var json: JSONValue { json(snapshots: true) }

    /// `snapshots: false` leaves them out (the JSON report keeps them for failures only, unless
    /// `--json-snapshots all`).
    public func json(snapshots withSnapshots: Bool) -> JSONValue {
        var o: JSONValue = ["name": .string(name), "file": .string(file), "status": .string(status.rawValue), "seconds": .double(seconds),
                            "messages": .array(messages.map { .string(Reports.stripANSI($0)) }),
                            "env": .object(Dictionary(env.map { ($0.0, JSONValue.string($0.1)) }, uniquingKeysWith: { a, _ in a }))]
        if withSnapshots { o["snapshots"] = snapshots }
        return o
    }

    /// A result read back from ``json`` (nil when it is not one).
    public init?(json: JSONValue) {
        guard let name = json["name"].stringValue, let file = json["file"].stringValue,
              let status = json["status"].stringValue.flatMap(Status.init(rawValue:)) else { return nil }
        let seconds: Double
        if case .double(let d) = json["seconds"] { seconds = d } else { seconds = Double(json["seconds"].intValue ?? 0) }
        var env: [(String, String)] = []
        if case .object(let o) = json["env"] {
            o.forEachKey(unionWith: JSONObject()) { key, value, _ in env.append((key, value?.stringValue ?? "")) }
        }
        self.init(name: name, file: file, status: status, messages: json["messages"].arrayValue?.compactMap(\.stringValue) ?? [],
                  seconds: seconds, snapshots: json["snapshots"], env: env)
    }
}
