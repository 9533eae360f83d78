import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import StripeEngine

/// Delivery over HTTP(S) with AsyncHTTPClient.
///
/// Its own client: connection attempts give up after 250 ms (AsyncHTTPClient would otherwise
/// retry a refused connection until the whole timeout passes; receivers are local or near, and a
/// refused endpoint should cost its own delivery little) and redirects are not followed,
/// as Stripe does not follow them.
public struct HTTPWebhookTransport: WebhookTransport {
    public init() {}

    package static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .milliseconds(250))
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public func post(url: String, headers: [(String, String)], body: [UInt8], timeout: Duration) async -> WebhookTransportResult {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await Self.client.execute(request, timeout: .nanoseconds(Int64(timeout / .nanoseconds(1))))
            _ = try? await response.body.collect(upTo: 1 << 20)
            return WebhookTransportResult(statusCode: Int(response.status.code))
        } catch {
            return WebhookTransportResult(error: "\(error)")
        }
    }
}
