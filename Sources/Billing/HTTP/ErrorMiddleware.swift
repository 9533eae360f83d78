import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import StripeWire

/// Gives every request an id and turns what no route answered into the app's error JSON.
///
/// The id is the caller's `X-Request-Id` (up to 64 letters, digits, `-` and `_`, so a proxy's id
/// follows the request through) or a new `req_…`; the handlers find it in the request's
/// `X-Request-Id` header, log it with every error, and the response carries it as `Request-Id`.
/// A path no route matches is a JSON 404, and an error a route let escape is a 500 with a
/// generic body; both are logged and counted like the routes' own errors.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: AppMetrics
    let logger: Logger

    static var header: HTTPField.Name { HTTPField.Name("X-Request-Id")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let id = Self.accepted(request.headers[Self.header]) ?? "req_" + BillingService.token(16)
        var head = request.head
        head.headerFields[Self.header] = id
        let tagged = Request(head: head, body: request.body)
        var response: Response
        do {
            response = try await next(tagged, context)
        } catch let error as any HTTPResponseError where error.status == .notFound {
            metrics.recordError(status: 404, code: "route_not_found")
            logger.notice("no such route", metadata: ["request_id": "\(id)", "path": "\(request.uri.path)", "method": "\(request.method)"])
            response = BillingApp.json(404, ["error": ["status": 404, "code": "route_not_found",
                                                       "message": .string("There is no \(request.method) \(request.uri.path)."),
                                                       "request_id": .string(id)]])
        } catch let error as any HTTPResponseError where error.status.code < 500 {
            let code = Int(error.status.code)
            metrics.recordError(status: code, code: "http_\(code)")
            logger.notice("request refused", metadata: ["request_id": "\(id)", "path": "\(request.uri.path)", "status": "\(code)"])
            response = BillingApp.json(code, ["error": ["status": .int(code), "code": .string("http_\(code)"),
                                                        "message": .string(error.status.reasonPhrase), "request_id": .string(id)]])
        } catch {
            metrics.recordError(status: 500, code: "internal_error")
            logger.error("unexpected error", metadata: ["request_id": "\(id)", "error": "\(error)", "path": "\(request.uri.path)"])
            response = BillingApp.json(500, BillingApp.internalError(id))
        }
        response.headers[HTTPField.Name("Request-Id")!] = id
        return response
    }

    /// A caller's request id when it is safe to log and echo.
    static func accepted(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.count <= 64,
              value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        return value
    }
}
