import Testing
import StripeWire
@testable import StripeEmulator

/// Helpers for billing flows: a catalog, customers with cards, time, and the event log.
extension TestStripe {
    /// A monthly price (and its product) of the given amount.
    func monthlyPrice(_ amount: Int, name: String = "Pro", interval: String = "month") async -> String {
        let product = await post("/v1/products", [("name", name)])
        return await post("/v1/prices", [("product", product.id), ("currency", "usd"), ("unit_amount", String(amount)),
                                         ("recurring[interval]", interval)]).id
    }

    /// A customer whose default payment method is the given test card.
    func customer(card: String? = "pm_card_visa", extra: [(String, String)] = []) async -> String {
        var params = extra
        if let card { params += [("payment_method", card), ("invoice_settings[default_payment_method]", card)] }
        let c = await post("/v1/customers", params)
        precondition(c.status == 200, c.response.bodyString)
        return c.id
    }

    /// Every event type so far, oldest first.
    func eventTypes() async -> [String] { await allEvents().compactMap { $0["type"].stringValue } }

    /// Every event so far, oldest first (by `created`, then creation order).
    func allEvents() async -> [JSONValue] {
        var all: [JSONValue] = []
        var after: String? = nil
        while true {
            var params = [("limit", "100")]
            if let after { params.append(("starting_after", after)) }
            let page = await get("/v1/events", params)
            let data = page.json["data"].arrayValue ?? []
            all += data
            guard page.json["has_more"] == true, let last = data.last?["id"].stringValue else { break }
            after = last
        }
        return all.reversed()
    }

    func eventObjects() async -> [JSONValue] {
        let page = await get("/v1/events", [("limit", "100")])
        return (page.json["data"].arrayValue ?? []).reversed()
    }

    /// The event types appended while `body` ran.
    func events(during body: () async throws -> Void) async rethrows -> [String] {
        let before = Set(await allEvents().compactMap { $0["id"].stringValue })
        try await body()
        return await allEvents().filter { !before.contains($0["id"].stringValue ?? "") }.compactMap { $0["type"].stringValue }
    }

    @discardableResult
    func advance(_ by: String) async -> Reply {
        let r = await post("/_emulator/time/advance", [("by", by)])
        precondition(r.status == 200, r.response.bodyString)
        return r
    }

    func subscription(_ id: String) async -> JSONValue { await get("/v1/subscriptions/\(id)").json }
    func invoice(_ id: String) async -> JSONValue { await get("/v1/invoices/\(id)").json }
}

let paidAtCreation = ["customer.subscription.created", "invoice.created", "invoice.finalized", "payment_intent.created",
                      "charge.succeeded", "payment_intent.succeeded", "invoice.paid", "invoice.payment_succeeded",
                      "invoice_payment.paid", "invoice.updated"]
let renewalDraft = ["customer.subscription.updated", "invoice.created"]
let renewalPaid = ["invoice.finalized", "payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
                   "invoice.paid", "invoice.payment_succeeded", "invoice_payment.paid", "invoice.updated"]
let renewalFailed = ["invoice.finalized", "payment_intent.created", "charge.failed", "payment_intent.payment_failed",
                     "invoice.payment_failed", "invoice.updated", "customer.subscription.updated"]
let retryFailed = ["charge.failed", "payment_intent.payment_failed", "invoice.payment_failed", "invoice.updated"]
