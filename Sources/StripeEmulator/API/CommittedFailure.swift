import StripeEngine
import StripeWire

/// Thrown by a handler whose failure must keep its side effects: a declined card still leaves a
/// failed charge, a `requires_payment_method` intent and its events. The dispatcher commits the
/// transaction, then answers with the error.
struct CommittedFailure: Error {
    let error: StripeError
}
