import GRDB
import StripeEngine
import StripeWire

/// The hosted invoice page and the invoice and credit-note PDFs, at the unguessable URLs
/// ``StripeEngine/DocumentLinks`` mints (`/i/{alias}/{id}/{token}`, `.../pdf`), opened without a key.
///
/// Paying goes through the control route `POST /_emulator/invoices/{id}/pay` (the customer
/// paying on-session, ``HostedPageControlRoutes/payInvoice(_:)``), called in-process with the
/// account's key: the page adds no payment path of its own.
struct InvoicePage: Sendable {
    let emulator: StripeEmulator

    static func isPath(_ path: String) -> Bool { path.hasPrefix("/i/") }

    /// The object a link names, once its alias and token check out.
    struct Target {
        let account: String
        let object: JSONValue
        let base: String
    }

    func handle(_ call: APICall) async -> APIResponse {
        let parts = call.path.split(separator: "/").map(String.init)
        guard parts.count >= 4, parts.count <= 5 else { return HostedPages.notFound() }
        let rest = parts.count == 5 ? parts[4] : nil
        do {
            guard let target = try await resolve(alias: parts[1], id: parts[2], token: parts[3]) else { return HostedPages.notFound() }
            switch (call.method, rest) {
            case ("GET", "pdf"?):
                return try await pdf(target)
            case ("GET", nil):
                guard target.object["object"] == "invoice" else { return HostedPages.notFound() }
                return try await page(target, flash: call.query?.contains("paid=1") == true ? "Thank you: this invoice is paid." : nil)
            case ("POST", nil):
                guard target.object["object"] == "invoice" else { return HostedPages.notFound() }
                let form = (try? FormDecoder().decode(call.body)) ?? [:]
                let test = HostedPages.formString(form, "test_card")
                var fields: [(String, String)] = []
                if let card = test ?? HostedPages.formString(form, "card") { fields.append(("card", card)) }
                if test == nil {
                    if let exp = HostedPages.formString(form, "exp") { fields.append(("exp", exp)) }
                    if let cvc = HostedPages.formString(form, "cvc") { fields.append(("cvc", cvc)) }
                }
                return try await pay(target, fields)
            case ("POST", "challenge"?):
                let form = (try? FormDecoder().decode(call.body)) ?? [:]
                guard let pm = HostedPages.formString(form, "card"), pm.hasPrefix("pm_") else { return try await page(target) }
                let outcome = HostedPages.formString(form, "outcome") == "complete" ? "complete" : "fail"
                return try await pay(target, [("card", pm), ("authentication", outcome)])
            default:
                return HostedPages.notFound()
            }
        } catch {
            emulator.logger.error("invoice page failed: \(error)")
            return HostedPages.page(status: 500, title: "Error", template: "message",
                                    ["heading": "Something went wrong", "text": "The emulator could not render this page. See its log."])
        }
    }

    func resolve(alias: String, id: String, token: String) async throws -> Target? {
        try await emulator.database.writer.read { db in
            guard let account = try AccountAlias.account(for: alias, db), DocumentLinks.verify(token, account: account, id: id),
                  let row = try ObjectStore(db: db, account: account).find(id), !row.deleted,
                  row.type == "invoice" || row.type == "credit_note" else { return nil }
            return Target(account: account, object: row.object, base: DocumentLinks.path(alias: alias, account: account, id: id))
        }
    }

    /// A read-only ledger on the target's account, for rendering.
    func reading<T: Sendable>(_ target: Target, _ body: @escaping @Sendable (Ledger) throws -> T) async throws -> T {
        try await emulator.reading(account: target.account, body)
    }

    func pdf(_ target: Target) async throws -> APIResponse {
        let object = target.object
        let document = try await reading(target) { ledger in
            object["object"] == "invoice" ? try BillingDocument.invoice(object, ledger) : try BillingDocument.creditNote(object, ledger)
        }
        return Self.pdfResponse(document)
    }

    /// A PDF answered inline, named after the document ("Invoice-INV-0001.pdf").
    static func pdfResponse(_ document: BillingDocument) -> APIResponse {
        let name = "\(document.kind.replacingOccurrences(of: " ", with: "-"))-\(document.number)"
            .filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
        return APIResponse(status: 200, headers: [("Content-Type", "application/pdf"), ("Cache-Control", "no-store"),
                                                  ("Content-Disposition", "inline; filename=\"\(name).pdf\"")],
                           body: document.pdf())
    }

    /// Pays through the control route; success goes back to the page (post, redirect, get).
    func pay(_ target: Target, _ fields: [(String, String)]) async throws -> APIResponse {
        let id = target.object["id"].stringValue!
        let response = await emulator.handle(APICall(method: "POST", path: "/_emulator/invoices/\(id)/pay",
                                                     body: Array(FormEncoder.encode(fields.map { ($0.0, FormValue.string($0.1)) }).utf8),
                                                     headers: ["Authorization": "Bearer \(target.account)",
                                                               "Content-Type": "application/x-www-form-urlencoded"]))
        if response.status == 200 { return HostedPages.redirect(target.base + "?paid=1") }
        let error = (try? JSONParser.parse(response.body))?["error"] ?? .null
        let message = error["message"].stringValue ?? "The payment could not be made."
        let fresh = try await resolve(target) ?? target
        if error["code"] == "authentication_required", let pm = try await pendingPaymentMethod(fresh) {
            return HostedPages.page(title: "Authenticate", template: "challenge", [
                "last4": try await reading(fresh) { try $0.store.find(pm)?.object["card"]["last4"].stringValue ?? "" },
                "action": target.base + "/challenge", "paymentMethod": pm,
                "dueToday": PriceMath.money(fresh.object["amount_remaining"].intValue ?? 0, fresh.object["currency"].stringValue ?? "usd"),
            ])
        }
        return try await page(fresh, error: message, status: response.status)
    }

    func resolve(_ target: Target) async throws -> Target? {
        let parts = target.base.split(separator: "/").map(String.init)
        return try await resolve(alias: parts[1], id: parts[2], token: parts[3])
    }

    /// The card waiting for its 3D Secure challenge: the payment method of the invoice's latest intent.
    func pendingPaymentMethod(_ target: Target) async throws -> String? {
        let piID = target.object["payments"]["data"].arrayValue?.last?["payment"]["payment_intent"].stringValue
        return try await reading(target) { ledger in
            guard let piID, let pi = try ledger.store.find(piID)?.object, pi["status"] == "requires_action" else { return nil }
            return pi["payment_method"].stringValue
        }
    }

    func page(_ target: Target, error: String? = nil, flash: String? = nil, status: Int = 200) async throws -> APIResponse {
        let invoice = target.object
        let base = target.base
        return try await reading(target) { ledger in
            let document = try BillingDocument.invoice(invoice, ledger)
            let account = try AccountObject.read(ledger)
            let currency = document.currency
            let state = invoice["status"].stringValue ?? "draft"
            let remaining = invoice["amount_remaining"].intValue ?? 0
            var context: [String: Any] = [
                "merchant": document.seller.first ?? "", "number": document.number, "status": state,
                "statusClass": state == "paid" ? "good" : (state == "open" ? "bad" : ""),
                "headline": state == "paid" ? "\(PriceMath.money(invoice["amount_paid"].intValue ?? 0, currency)) paid"
                                            : PriceMath.money(remaining, currency),
                "pdfURL": base + "/pdf", "action": base, "amountDue": PriceMath.money(remaining, currency),
                "rows": document.rows.map { row -> [String: Any] in
                    ["description": row.description, "detail": row.detail ?? "", "quantity": row.quantity.map(String.init) ?? "",
                     "amount": document.money(row.amount)]
                },
                "totals": document.totals.map { ["label": $0.label, "amount": document.money($0.amount), "emphasized": $0.emphasized] },
                "payable": state == "open" || state == "uncollectible", "testCards": HostedPages.testCards,
                "dueText": document.status ?? "", "error": error ?? "", "flash": flash ?? "",
            ]
            switch state {
            case "paid": (context["closedHeading"], context["closedText"]) = ("Paid", "Nothing is due on this invoice.")
            case "void": (context["closedHeading"], context["closedText"]) = ("Void", "This invoice was voided; nothing is due.")
            default: (context["closedHeading"], context["closedText"]) = ("Draft", "This invoice is not finalized yet.")
            }
            let attempts = try Self.attempts(invoice, ledger)
            context["attempts"] = attempts
            context["hasAttempts"] = !attempts.isEmpty
            if let pm = try Invoicing.paymentMethod(for: invoice, ledger), let card = try ledger.store.find(pm)?.object["card"],
               let last4 = card["last4"].stringValue {
                context["cardOnFile"] = "\(card["brand"].stringValue ?? "card") ending in \(last4)"
            }
            return HostedPages.page(status: status, title: "Invoice \(document.number)", template: "invoice",
                                    brandColor: account["settings"]["branding"]["primary_color"].stringValue,
                                    TemplateContext.pruned(context))
        }
    }

    /// Every charge made for the invoice, oldest first: renewals' automatic tries and the customer's own.
    static func attempts(_ invoice: JSONValue, _ ledger: Ledger) throws -> [[String: Any]] {
        let id = invoice["id"].stringValue ?? ""
        let intents = try ledger.store.all(type: "invoice_payment", filters: [.field("invoice", equals: .string(id))])
            .compactMap { $0["payment"]["payment_intent"].stringValue }
        var rows: [[String: Any]] = []
        for pi in intents {
            for charge in try ledger.store.all(type: "charge", filters: [.field("payment_intent", equals: .string(pi))]) {
                let card = charge["payment_method_details"]["card"]
                let ok = charge["status"] == "succeeded"
                rows.append([
                    "date": PriceMath.date(charge["created"].intValue ?? 0),
                    "card": card["last4"].stringValue.map { "\(card["brand"].stringValue ?? "card") ···· \($0)" } ?? "",
                    "amount": PriceMath.money(charge["amount"].intValue ?? 0, charge["currency"].stringValue ?? "usd"),
                    "result": ok ? "Succeeded" : (charge["status"].stringValue == "pending" ? "Pending" : "Failed"),
                    "resultClass": ok ? "good" : "bad", "reason": ok ? "" : (charge["failure_message"].stringValue ?? ""),
                ])
            }
        }
        return rows
    }
}
