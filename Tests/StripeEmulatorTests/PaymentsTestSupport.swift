import Testing
import StripeWire
@testable import StripeEmulator

/// Helpers for refund, capture and dispute tests: a one-off card payment, and running the work
/// that is due now (a test card's refund settling, a dispute being decided).
extension TestStripe {
    /// A confirmed payment intent of `amount` cents paid with `card` (a `pm_card_*` id).
    func pay(_ amount: Int, card: String = "pm_card_visa", extra: [(String, String)] = []) async -> Reply {
        let r = await post("/v1/payment_intents", [("amount", String(amount)), ("currency", "usd"), ("payment_method", card),
                                                   ("confirm", "true")] + extra)
        precondition(r.status == 200, r.response.bodyString)
        return r
    }

    func charge(_ id: String) async -> JSONValue { await get("/v1/charges/\(id)").json }

    /// Runs the work due now on the account clock and delivers, as the server's background loop does.
    func runDue() async throws { try await emulator.drainDeliveries(account: key) }
}
