import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

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
    func post(url: String, headers: [(String, String)], body: [UInt8], timeout: TimeAmount) async -> WebhookTransportResult
}

/// Delivery over HTTP(S) with AsyncHTTPClient.
///
/// Its own client: connection attempts give up after a second (AsyncHTTPClient would otherwise
/// retry a refused connection until the whole timeout passes) and redirects are not followed,
/// as Stripe does not follow them.
public struct HTTPWebhookTransport: WebhookTransport {
    public init() {}

    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(1))
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public func post(url: String, headers: [(String, String)], body: [UInt8], timeout: TimeAmount) async -> WebhookTransportResult {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await Self.client.execute(request, timeout: timeout)
            _ = try? await response.body.collect(upTo: 1 << 20)
            return WebhookTransportResult(statusCode: Int(response.status.code))
        } catch {
            return WebhookTransportResult(error: "\(error)")
        }
    }
}
