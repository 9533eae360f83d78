import Foundation
import GRDB
import Mustache
import StripeEngine
import StripeWire

/// The hosted Checkout and Billing Portal pages: server-rendered HTML, plain forms, no
/// JavaScript, so they work in any browser and with curl. Their actions go through the same
/// engine calls as the control API (``CheckoutEngine``, ``PortalActions``).
///
/// Routes (the alias names the account, see ``AccountAlias``):
/// `GET|POST /c/pay/{alias}/{session}`, `POST .../challenge`, `GET .../cancel`,
/// `GET|POST /p/session/{alias}/{portal session}`; the hosted invoice page and PDFs are ``InvoicePage``.
struct HostedPages: Sendable {
    let emulator: StripeEmulator

    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in [("layout", PageTemplates.layout), ("testCards", PageTemplates.testCards), ("cardFields", PageTemplates.cardFields),
                             ("checkout", PageTemplates.checkout), ("challenge", PageTemplates.challenge),
                             ("message", PageTemplates.message), ("portal", PageTemplates.portal),
                             ("invoice", PageTemplates.invoice)] {
            try! library.register(text, named: name)  // the templates are constants checked by the page tests
        }
        return library
    }()

    static let testCards: [[String: String]] = [
        ["label": "Visa 4242", "value": "4242424242424242", "note": "Succeeds"],
        ["label": "Declined 0002", "value": "4000000000000002", "note": "Generic decline"],
        ["label": "Insufficient funds 9995", "value": "4000000000009995", "note": "Declined: insufficient funds"],
        ["label": "Fails later 0341", "value": "4000000000000341", "note": "Saves, then every charge fails"],
        ["label": "3D Secure 3184", "value": "4000002760003184", "note": "Asks for authentication"],
        ["label": "Mastercard 4444", "value": "5555555555554444", "note": "Succeeds"],
    ]

    static func isPagePath(_ path: String) -> Bool {
        path.hasPrefix("/c/pay/") || path.hasPrefix("/p/session/") || InvoicePage.isPath(path)
    }

    func handle(_ call: APICall) async -> APIResponse {
        if InvoicePage.isPath(call.path) { return await InvoicePage(emulator: emulator).handle(call) }
        do {
            let parts = call.path.split(separator: "/").map(String.init)
            guard parts.count >= 4 else { return Self.notFound() }
            let alias = parts[2], id = parts[3], rest = Array(parts.dropFirst(4))
            let form = call.method == "POST" ? (try? FormDecoder().decode(call.body)) ?? [:] : [:]
            let query = (try? FormDecoder().decode(call.query ?? "")) ?? [:]
            let settings = emulator.settings
            return try await emulator.database.writer.write { db in
                guard let account = try AccountAlias.account(for: alias, db) else { return Self.notFound() }
                let ledger = Ledger(db: db, account: account, ids: IDMinter(mode: settings.idMode, db: db, account: account),
                                    settings: settings, request: .automatic)
                if parts[0] == "c" {
                    return try CheckoutPage(ledger: ledger, sessionID: id, alias: alias)
                        .respond(method: call.method, rest: rest, form: form)
                }
                return try PortalPage(ledger: ledger, sessionID: id, alias: alias)
                    .respond(method: call.method, rest: rest, form: form, query: query)
            }
        } catch {
            emulator.logger.error("hosted page failed: \(error)")
            return Self.page(status: 500, title: "Error", template: "message",
                             ["heading": "Something went wrong", "text": "The emulator could not render this page. See its log."])
        }
    }

    static func render(_ template: String, _ context: [String: Any]) -> String {
        library.render(context, withTemplate: template) ?? ""
    }

    /// `brandColor`: the account's `settings.branding.primary_color` (a checked `#rrggbb`), as
    /// Stripe's hosted pages use it.
    static func page(status: Int = 200, title: String, template: String, brandColor: String? = nil, _ context: [String: Any]) -> APIResponse {
        let body = render(template, context)
        var layout: [String: Any] = ["title": title, "body": body]
        if let brandColor, brandColor.count == 7, brandColor.hasPrefix("#"), brandColor.dropFirst().allSatisfy(\.isHexDigit) {
            layout["brandColor"] = brandColor
        }
        let html = render("layout", layout)
        return APIResponse(status: status, headers: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")],
                           body: Array(html.utf8))
    }

    static func redirect(_ location: String) -> APIResponse {
        APIResponse(status: 303, headers: [("Location", location), ("Content-Type", "text/html; charset=utf-8")],
                    body: Array("<a href=\"\(location.markupEscaped)\">Continue</a>".utf8))
    }

    static func notFound() -> APIResponse {
        page(status: 404, title: "Not found", template: "message",
             ["heading": "This page does not exist", "text": "The link may be wrong, or the session belongs to another emulator."])
    }

    static func formString(_ form: [String: FormValue], _ key: String) -> String? {
        guard let s = form[key]?.stringValue?.trimmingCharacters(in: .whitespaces), !s.isEmpty else { return nil }
        return s
    }
}
