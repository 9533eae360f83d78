import StripeWire

extension AppError {
    /// The app's answer when one of its own Stripe calls fails.
    ///
    /// Only what a retry can fix is a 502 "temporarily unavailable" (no answer, 429, 5xx): telling
    /// a user to try again after a 4xx would repeat the same refusal forever. A 4xx says the
    /// request does not fit Stripe's current state, so it becomes a 4xx of the app:
    /// - 402 (a card declined) stays 402 with Stripe's message, which is written for customers;
    /// - `resource_missing` (the customer or subscription the app knew was deleted in Stripe:
    ///   a 404 when the id is in the URL path, a 400 when it is a parameter) is a 409: the
    ///   app's mirror is behind Stripe, and the webhook that catches it up is on its way;
    /// - 409 (a request with the same idempotency key still in flight) stays 409;
    /// - 401/403 (the app's own key is wrong or lacks rights) is the app's fault, a 500 (never
    ///   retried by clients, and the details stay in the log);
    /// - any other 4xx (400 invalid request) is a 400 carrying Stripe's message.
    public init(_ failure: StripeCallError) {
        guard case .stripe(let e) = failure, !failure.isRetryable else {
            self.init(502, "stripe_unavailable", "Billing is temporarily unavailable. Try again.")
            return
        }
        if e.code == "resource_missing" || e.status == 404 {
            self.init(409, "billing_out_of_sync", "Your billing account changed in Stripe. Reload the billing page and try again.")
            return
        }
        switch e.status {
        case 402:
            self.init(402, "payment_failed", e.message)
        case 409:
            self.init(409, "conflict", "The same billing request is already being processed. Try again in a moment.")
        case 401, 403:
            self.init(500, "billing_misconfigured", "Billing is not configured correctly. Contact support.")
        default:
            self.init(400, "billing_request_refused", "Stripe refused the request: \(e.message)")
        }
    }
}
