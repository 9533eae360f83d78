/// An error in Stripe's wire shape: `{"error": {"type", "code", "decline_code", "message", "param", "doc_url"}}`.
///
/// Both sides need it: the emulator renders it, the app's client parses it back to decide what
/// went wrong (a decline, a missing object, a rate limit).
public struct StripeError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case apiError = "api_error"
        case cardError = "card_error"
        case idempotencyError = "idempotency_error"
        case invalidRequestError = "invalid_request_error"
    }

    public var status: Int
    public var type: Kind
    public var code: String?
    public var declineCode: String?
    public var message: String
    public var param: String?
    /// Further fields of the error object (`charge`, `payment_intent`, `payment_method`, `setup_intent`).
    public var extra: [String: JSONValue]
    /// The id a `resource_missing` error could not find (never rendered). The API layer answers
    /// 404 only when that id is in the URL path; an id named by a parameter is Stripe's 400.
    public var missingID: String?

    public init(status: Int, type: Kind, code: String? = nil, declineCode: String? = nil, message: String,
                param: String? = nil, extra: [String: JSONValue] = [:]) {
        self.status = status
        self.type = type
        self.code = code
        self.declineCode = declineCode
        self.message = message
        self.param = param
        self.extra = extra
    }

    public var description: String { "\(status) \(type.rawValue)\(code.map { "/\($0)" } ?? ""): \(message)" }

    public var docURL: String? {
        code.map { "https://stripe.com/docs/error-codes/\(String($0.map { $0 == "_" ? "-" : $0 }))" }
    }

    public var json: JSONValue {
        var e: [String: JSONValue] = ["type": .string(type.rawValue), "message": .string(message)]
        if let code { e["code"] = .string(code); e["doc_url"] = .from(docURL) }
        if let declineCode { e["decline_code"] = .string(declineCode) }
        if let param { e["param"] = .string(param) }
        for (k, v) in extra { e[k] = v }
        return ["error": .object(e)]
    }

    /// Reads an error back from a response body (the app's client side).
    public init?(status: Int, body: JSONValue) {
        let e = body["error"]
        guard let msg = e["message"].stringValue else { return nil }
        self.init(status: status, type: Kind(rawValue: e["type"].stringValue ?? "") ?? .apiError,
                  code: e["code"].stringValue, declineCode: e["decline_code"].stringValue, message: msg,
                  param: e["param"].stringValue)
    }
}

extension StripeError {
    public static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil,
                                      status: Int = 400) -> StripeError {
        StripeError(status: status, type: .invalidRequestError, code: code, message: message, param: param)
    }

    public static func missingParam(_ param: String) -> StripeError {
        invalidRequest("Missing required param: \(param).", param: param, code: "parameter_missing")
    }

    public static func unknownParam(_ param: String) -> StripeError {
        invalidRequest("Received unknown parameter: \(param)", param: param, code: "parameter_unknown")
    }

    public static func invalidValue(_ param: String, _ detail: String) -> StripeError {
        invalidRequest("Invalid \(param): \(detail)", param: param, code: "parameter_invalid_string")
    }

    /// `No such customer: 'cus_x'`, `resource_missing`: 404 for an object named in the URL path,
    /// 400 for one named by a parameter (see ``missingID`` and ``forRequestPath(_:)``).
    public static func noSuch(_ noun: String, _ id: String, param: String? = "id") -> StripeError {
        var e = invalidRequest("No such \(noun): '\(id)'", param: param, code: "resource_missing", status: 404)
        e.missingID = id
        return e
    }

    /// This error as Stripe answers it for a request whose URL path holds `pathIDs`: a missing
    /// object the path does not name was named by a parameter (`customer=cus_missing`), which
    /// Stripe answers 400, not 404.
    public func forRequestPath(_ pathIDs: [String]) -> StripeError {
        guard status == 404, let missingID, !pathIDs.contains(missingID) else { return self }
        var e = self
        e.status = 400
        return e
    }
}
