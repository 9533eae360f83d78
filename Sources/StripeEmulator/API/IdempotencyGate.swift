import StripeEngine
import StripeWire

/// Stripe's idempotency keys: the first request with a key runs; a retry with the same
/// parameters gets the stored status and body (same ids, see ``IdempotencyKeys``); different
/// parameters get a 400 `idempotency_error`; a retry while the first is still running gets a 409.
final class IdempotencyGate: Sendable {
    private let inFlight = InFlightKeys()

    /// Claims a key for the duration of a request; false when another request holds it.
    func claim(account: String, key: String) -> Bool { inFlight.claim(account, key) }

    func release(account: String, key: String) { inFlight.release(account, key) }

    static func mismatch(_ key: String) -> StripeError {
        StripeError(status: 400, type: .idempotencyError,
                    message: "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '\(key)' if you meant to execute a different request.")
    }

    static func conflict() -> StripeError {
        StripeError(status: 409, type: .invalidRequestError, code: "idempotency_key_in_use",
                    message: "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): please try again later.")
    }
}
