import StripeWire

/// How one scenario ended, for the summary, JUnit and JSON reports.
public struct ScenarioResult: Sendable {
    public enum Status: String, Sendable {
        case passed, failed
        /// Passed, and its golden file was written (`--update`).
        case updated
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
}

extension ScenarioResult {
    public init(name: String, file: String, status: Status, messages: [String], seconds: Double) {
        self.init(name: name, file: file, status: status, messages: messages, seconds: seconds, snapshots: [:], env: [])
    }

    /// The result as the JSON report and worker processes carry it.
    public var json: JSONValue {
        ["name": .string(name), "file": .string(file), "status": .string(status.rawValue), "seconds": .double(seconds),
         "messages": .array(messages.map { .string(Reports.stripANSI($0)) }), "snapshots": snapshots,
         "env": .object(Dictionary(env.map { ($0.0, JSONValue.string($0.1)) }, uniquingKeysWith: { a, _ in a }))]
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
