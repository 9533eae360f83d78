import StripeEngine
import StripeWire

/// One HTTP request to the fake, independent of the server library, so the same code answers a
/// socket, an in-process test and the scenario runner.
public struct APICall: Sendable {
    public var method: String
    public var path: String
    public var query: String?
    public var body: [UInt8]
    public var headers: [String: String]

    public init(method: String, path: String, query: String? = nil, body: [UInt8] = [], headers: [String: String] = [:]) {
        self.method = method.uppercased()
        self.path = path
        self.query = query
        self.body = body
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, b in b })
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// The fake's answer: status, headers and the exact body bytes.
public struct APIResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    public var bodyString: String { String(decoding: body, as: UTF8.self) }
}

extension APIResponse {
    /// A Stripe-shaped error for a request refused before it reaches the API (the HTTP layer).
    static func refused(_ error: StripeError) -> APIResponse {
        APIResponse(status: error.status, headers: [("Content-Type", "application/json")], body: JSONWriter.data(error.json))
    }

    static func bodyTooLarge(limit: Int) -> APIResponse {
        refused(.invalidRequest("The request body is larger than \(limit) bytes.", status: 413))
    }

    static let connectRefused = refused(.invalidRequest("CONNECT is not supported: this is the Stripe API, not a proxy.", status: 405))

    static let malformedRequest = refused(.invalidRequest("The request could not be read as HTTP/1.1.", status: 400))
}
