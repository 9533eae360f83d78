/// A precise complaint about a scenario file: which file, where in it (a JSON path like
/// `fixtures[2].params.customer`), and what is wrong. Validation collects all of them before
/// anything runs; the CLI prints them and exits with status 2.
public struct ScenarioError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let path: String
    public let message: String

    public init(file: String, path: String, message: String) {
        self.file = file
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? "\(file): \(message)" : "\(file): \(path): \(message)" }
}

/// Every problem found in one or more files.
public struct ScenarioErrors: Error, Sendable, CustomStringConvertible {
    public let errors: [ScenarioError]
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
