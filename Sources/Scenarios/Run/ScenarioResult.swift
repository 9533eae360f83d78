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
