import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import StripeEngine

/// Delivery over HTTP(S) with AsyncHTTPClient.
///
/// Its own client: one connection attempt per delivery attempt, as Stripe makes (a refused
/// connection fails the attempt at once instead of being retried by AsyncHTTPClient until the
/// connect timeout passes; the attempt is retried on Stripe's schedule), at most a second to
/// connect and redirects are not followed,
/// as Stripe does not follow them.
public struct HTTPWebhookTransport: WebhookTransport {
    public init() {}

    package static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(1))
        configuration.connectionPool.retryConnectionEstablishment = false
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
            var kept: [UInt8] = []
            do {
                for try await chunk in response.body where kept.count < WebhookTransportResult.bodyLimit {
                    kept += chunk.readableBytesView.prefix(WebhookTransportResult.bodyLimit - kept.count)
                }
            } catch {}
            return WebhookTransportResult(statusCode: Int(response.status.code), body: String(decoding: kept, as: UTF8.self))
        } catch {
            return WebhookTransportResult(error: "\(error)")
        }
    }
}
