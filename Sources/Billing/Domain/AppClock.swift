import Foundation

/// The app's one clock, injected so scenarios can move it with the fake's.
public protocol AppClock: Sendable {
    func now() -> Int
}

public struct SystemAppClock: AppClock {
    public init() {}
    public func now() -> Int { Int(Date().timeIntervalSince1970) }
}

/// A clock tests and scenarios move by hand.
public final class ManualAppClock: AppClock, @unchecked Sendable {
    private let lock = NSLock()
    private var time: Int
    public init(_ time: Int) { self.time = time }
    public func now() -> Int { lock.lock(); defer { lock.unlock() }; return time }
    public func set(_ t: Int) { lock.lock(); time = t; lock.unlock() }
}

/// A refusal the API turns into a 4xx: status, a machine code, a message, and per-field messages.
public struct AppError: Error, Sendable, Equatable {
    public var status: Int
    public var code: String
    public var message: String
    public var fields: [String: String]
    public var upgrade: BillingPolicy.UpgradePrompt?
    /// Seconds before a retry can succeed (a 429's `Retry-After`).
    public var retryAfter: Int?

    public init(_ status: Int, _ code: String, _ message: String, fields: [String: String] = [:], upgrade: BillingPolicy.UpgradePrompt? = nil,
                retryAfter: Int? = nil) {
        self.retryAfter = retryAfter
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.upgrade = upgrade
    }

    public static func validation(_ fields: [String: String]) -> AppError {
        AppError(400, "invalid_request", "Some fields are invalid.", fields: fields)
    }

    public static let unauthorized = AppError(401, "unauthorized", "Sign in first: send a session token as `Authorization: Bearer <token>`.")
    public static let forbidden = AppError(403, "forbidden", "Only owners and admins can manage billing.")
    public static func notFound(_ what: String) -> AppError { AppError(404, "not_found", "No such \(what).") }

    public init(_ refusal: BillingPolicy.Refusal) {
        switch refusal {
        case .paymentRequired(let message): self.init(402, "payment_required", message)
        case .limitReached(let prompt): self.init(403, "limit_reached", prompt.message, upgrade: prompt)
        }
    }
}
