import HTTPTypes
import Hummingbird
import NIOCore
import StripeEngine
import StripeWire

/// Serves a ``StripeEmulator`` over Hummingbird: collects the body, hands the call over, writes
/// back the exact status, headers and bytes.
public struct StripeHTTPResponder: HTTPResponder {
    public typealias Context = BasicRequestContext
    public let emulator: StripeEmulator
    /// Bodies larger than this are refused with a Stripe-shaped 413.
    public var maxBodySize = 4 << 20

    public init(emulator: StripeEmulator) { self.emulator = emulator }

    public func respond(to request: Request, context: Context) async throws -> Response {
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBodySize)
        } catch {
            return Self.response(.bodyTooLarge(limit: maxBodySize))
        }
        let call = APICall(method: request.method.rawValue, path: request.uri.path, query: request.uri.query,
                           body: Array(buffer: body), headers: headers)
        return Self.response(await emulator.handle(call))
    }

    static func response(_ r: APIResponse) -> Response {
        var fields = HTTPFields()
        for (name, value) in r.headers {
            if let n = HTTPField.Name(name) { fields.append(HTTPField(name: n, value: value)) }
        }
        return Response(status: .init(code: r.status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: r.body)))
    }
}
