import StripeEngine
import StripeWire

/// `GET /v1/balance`, computed from the charges the fake has made: each succeeded charge adds
/// its amount less Stripe's US card fee (2.9% + 30¢, rounded to the cent) to the balance of its
/// currency, `pending` for two days after the charge and `available` after (the test-mode card
/// 4000000000000077 skips pending, as on Stripe). The fee and the two days are this fake's
/// choice: Stripe's depend on the account's country, pricing and payout schedule.
enum Balance {
    static let pendingSeconds = 2 * 86400
    static let bypassPendingCard = "4000000000000077"

    static func register(_ r: inout APIRouter) {
        r.get("/v1/balance", retrieve)
    }

    static func fee(_ amount: Int) -> Int { Int((Double(amount) * 0.029).rounded()) + 30 }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue {
        let now = try req.clock.now()
        var available: [String: Int] = [:], pending: [String: Int] = [:]
        let defaultCurrency = try AccountObject.read(req.ledger)["default_currency"].stringValue ?? "usd"
        available[defaultCurrency] = 0
        pending[defaultCurrency] = 0
        for charge in try req.store.all(type: "charge", filters: [.field("status", equals: "succeeded")]) {
            let currency = charge["currency"].stringValue ?? defaultCurrency
            // What a partial capture released shows in `amount_refunded` but was never captured.
            let released = charge["captured"].boolValue == true ? (charge["amount"].intValue ?? 0) - (charge["amount_captured"].intValue ?? 0) : 0
            let captured = (charge["amount_captured"].intValue ?? 0) - ((charge["amount_refunded"].intValue ?? 0) - released)
            guard captured > 0 else { continue }
            let net = captured - fee(charge["amount_captured"].intValue ?? 0)
            let bypass = try charge["payment_method"].stringValue.map { try req.store.hidden($0)["number"].stringValue == bypassPendingCard } ?? false
            if bypass || (charge["created"].intValue ?? now) + pendingSeconds <= now {
                available[currency, default: 0] += net
                pending[currency, default: 0] += 0
            } else {
                pending[currency, default: 0] += net
                available[currency, default: 0] += 0
            }
        }
        func amounts(_ byCurrency: [String: Int]) -> JSONValue {
            .array(byCurrency.keys.sorted().map { c in
                ["amount": .int(byCurrency[c]!), "currency": .string(c), "source_types": ["card": .int(byCurrency[c]!)]]
            })
        }
        return ["object": "balance", "available": amounts(available), "livemode": false, "pending": amounts(pending),
                "refund_and_dispute_prefunding": ["available": amounts([defaultCurrency: 0]), "pending": amounts([defaultCurrency: 0])]]
    }
}
