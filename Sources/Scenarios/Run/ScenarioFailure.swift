/// Why a scenario step failed: a message for the report.
public struct ScenarioFailure: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ message: String) { description = message }
}
