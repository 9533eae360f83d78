/// What happened to one HTTP delivery: the receiver's status code, or why there was none.
public struct WebhookTransportResult: Sendable, Equatable {
    public var statusCode: Int?
    public var error: String?

    public init(statusCode: Int? = nil, error: String? = nil) {
        self.statusCode = statusCode
        self.error = error
    }

    public var succeeded: Bool { statusCode.map { (200..<300).contains($0) } ?? false }
}

/// How signed deliveries reach receivers. The server uses HTTP; tests can script the answers.
public protocol WebhookTransport: Sendable {
    func post(url: String, headers: [(String, String)], body: [UInt8], timeout: Duration) async -> WebhookTransportResult
}
