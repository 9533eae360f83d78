/// What happened to one HTTP delivery: the receiver's status code, or why there was none.
public struct WebhookTransportResult: Sendable, Equatable {
    public var statusCode: Int?
    public var error: String?
    /// The start of what the receiver answered (at most ``bodyLimit`` bytes), for the delivery
    /// log: a receiver's 400 usually says why.
    public var body: String?

    /// How much of a receiver's answer the log keeps.
    public static let bodyLimit = 2048

    public init(statusCode: Int? = nil, error: String? = nil, body: String? = nil) {
        self.statusCode = statusCode
        self.error = error
        self.body = body
    }

    public var succeeded: Bool { statusCode.map { (200..<300).contains($0) } ?? false }
}

/// How signed deliveries reach receivers. The server uses HTTP; tests can script the answers.
public protocol WebhookTransport: Sendable {
    func post(url: String, headers: [(String, String)], body: [UInt8], timeout: Duration) async -> WebhookTransportResult
}
