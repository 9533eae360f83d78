import StripeEngine
import StripeWire

/// The private page API Stripe's own Checkout client calls (and the CLI's
/// `checkout.session.completed` fixture): `GET /v1/payment_pages/{session}` describes the page,
/// `POST /v1/payment_pages/{session}/confirm` pays it with a payment method, completing the
/// session through ``CheckoutEngine`` exactly as the hosted page does.
///
/// Stripe does not document this API; the answer carries what its client reads (the session,
/// its line items and totals, the intent) under `object: checkout.session`, as Stripe's
/// mobile SDK fixtures show.
enum PaymentPages {
    static func register(_ r: inout APIRouter) {
        r.get("/v1/payment_pages/{session}", retrieve)
        r.post("/v1/payment_pages/{session}/confirm", confirm)
    }

    static func session(_ req: APIRequest) throws -> JSONValue {
        let id = req.pathParam()
        guard let row = try req.store.find(id), row.type == "checkout.session" else {
            throw StripeError.noSuch("payment page", id)
        }
        return row.object
    }

    static func render(_ session: JSONValue, _ req: APIRequest) throws -> JSONValue {
        let id = session["id"].stringValue!
        let items = try req.store.hidden(id)["line_items"].arrayValue ?? []
        var intent: JSONValue = nil
        if let pi = session["payment_intent"].stringValue { intent = try req.store.find(pi)?.object ?? .string(pi) }
        var setup: JSONValue = nil
        if let si = session["setup_intent"].stringValue { setup = try req.store.find(si)?.object ?? .string(si) }
        return [
            "id": .string("ppage_" + String(id.dropFirst("cs_test_".count).prefix(24))), "object": "checkout.session",
            "session_id": .string(id), "amount_total": session["amount_total"], "cancel_url": session["cancel_url"],
            "currency": session["currency"], "customer": session["customer"], "customer_email": session["customer_email"],
            "expires_at": session["expires_at"],
            "line_item_group": [
                "currency": session["currency"], "line_items": .array(items), "subtotal": session["amount_subtotal"],
                "total": session["amount_total"], "total_details": session["total_details"],
            ],
            "livemode": false, "mode": session["mode"], "payment_intent": intent, "payment_method_types": session["payment_method_types"],
            "payment_status": session["payment_status"], "setup_intent": setup, "status": session["status"],
            "success_url": session["success_url"], "url": session["url"],
        ]
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue {
        try render(try session(req), req)
    }

    /// Pays the page. `expected_amount` must match what the page shows (Stripe refuses a stale
    /// page the same way). A declined card answers 402 with the failed intent; a card that needs
    /// 3D Secure answers the page with the intent in `requires_action`, pointing at the hosted page.
    static func confirm(_ req: inout APIRequest) throws -> JSONValue {
        let session = try session(req)
        let id = session["id"].stringValue!
        let pm = try req.params.nonEmpty("payment_method")
        if let expected = try req.params.int("expected_amount"), expected != session["amount_total"].intValue ?? 0 {
            throw StripeError.invalidRequest(
                "The expected_amount (\(expected)) does not match the amount this page charges (\(session["amount_total"].intValue ?? 0)); reload the page.",
                param: "expected_amount", code: "checkout_amount_mismatch")
        }
        _ = try req.params.choice("expected_payment_method_type", in: ["card"])
        let email = try req.params.nonEmpty("email")
        if let email { try EmailAddress.check(email, param: "email") }
        _ = try req.params.string("eid")
        _ = try req.params.string("key")
        _ = try req.params.string("return_url")
        let payment: CheckoutEngine.Payment
        if let pm {
            if let (name, magic) = TestCards.magic(forID: pm) {
                payment = .card(Card.fromMagic(name, magic, now: req.now))
            } else {
                _ = try req.store.get(pm, type: "payment_method", noun: "PaymentMethod", param: "payment_method")
                payment = .paymentMethod(pm)
            }
        } else {
            payment = .none
        }
        if case .none = payment, CheckoutEngine.needsCard(session) { throw StripeError.missingParam("payment_method") }
        let ledger = req.ledger
        switch try CheckoutEngine.complete(id, payment: payment, email: email, name: nil, authenticated: false, ledger) {
        case .completed(let done):
            return try render(done, req)
        case .declined(let decline):
            let after = try req.store.find(id)?.object ?? session
            var extra: [String: JSONValue] = [:]
            if let pi = after["payment_intent"].stringValue, let intent = try req.store.find(pi)?.object {
                extra["payment_intent"] = intent
                extra["charge"] = intent["latest_charge"]
            }
            throw CommittedFailure(error: decline.error(extra: extra))
        case .requiresAuthentication:
            var page = try render(session, req)
            page["payment_intent"] = [
                "object": "payment_intent", "amount": session["amount_total"], "currency": session["currency"],
                "status": "requires_action",
                "next_action": ["type": "redirect_to_url", "redirect_to_url": ["return_url": session["success_url"], "url": session["url"]]],
            ]
            return page
        }
    }
}
