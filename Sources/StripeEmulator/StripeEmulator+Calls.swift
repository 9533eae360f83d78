import StripeEngine
import StripeWire

extension StripeEmulator {
    /// Why an in-process call did not answer 200: the status and Stripe's error body.
    public struct CallFailure: Error, CustomStringConvertible, Sendable {
        public let status: Int
        public let body: String
        public let request: String
        public var description: String { "\(request) failed (\(status)): \(body)" }
    }

    /// An in-process API call as `key` (a form body; a query after `?` in the path) that must
    /// answer 200, parsed. For wiring and benchmarks, which treat any refusal as fatal. With
    /// `version`, the call pins that API version (`Stripe-Version`).
    @discardableResult
    public func must(_ method: String, _ path: String, _ body: String = "", key: String, version: String? = nil) async throws -> JSONValue {
        let parts = path.split(separator: "?", maxSplits: 1).map(String.init)
        var headers = ["Authorization": "Bearer \(key)"]
        if let version { headers["Stripe-Version"] = version }
        let r = await handle(APICall(method: method, path: parts[0], query: parts.count > 1 ? parts[1] : nil, body: Array(body.utf8),
                                     headers: headers))
        guard r.status == 200 else {
            throw CallFailure(status: r.status, body: r.bodyString, request: "\(method) \(path)" + (version.map { " at \($0)" } ?? ""))
        }
        return try JSONParser.parse(r.body)
    }
}
