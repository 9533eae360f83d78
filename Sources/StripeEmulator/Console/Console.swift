import Mustache
import StripeEngine
import StripeWire

/// The console: pages for people to look at one account of the fake and act on it, at
/// `/console` on the fake's own port (the banner prints the URL).
///
/// Every read and every button is a call to the fake's API or an `/_emulator/` control route
/// (``ConsoleAPI``), never engine code of its own. Plain HTML forms; post, redirect, get.
/// On loopback it lists the accounts it has seen; bound elsewhere
/// (``StripeEngine/EmulatorSettings/consoleRequiresKey``) it asks for the key and shows no list.
/// Either way a session is a cookie and every form carries the session's CSRF token.
struct Console: Sendable {
    let emulator: StripeEmulator

    static func isPath(_ path: String) -> Bool { path == "/console" || path.hasPrefix("/console/") }

    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in [("layout", ConsoleTemplates.layout), ("signin", ConsoleTemplates.signin),
                             ("overview", ConsoleTemplates.overview), ("list", ConsoleTemplates.list),
                             ("detail", ConsoleTemplates.detail), ("eventExtra", ConsoleTemplates.eventExtra),
                             ("time", ConsoleTemplates.time), ("progress", ConsoleTemplates.progress),
                             ("faults", ConsoleTemplates.faults)] {
            try! library.register(text, named: name)  // constants, rendered by the console tests
        }
        return library
    }()

    var exposed: Bool { emulator.settings.consoleRequiresKey }

    func handle(_ call: APICall) async -> APIResponse {
        let parts = call.path.split(separator: "/").map(String.init).dropFirst().map { $0 }
        let query = (try? FormDecoder().decode(call.query ?? "")) ?? [:]
        let form = call.method == "POST" ? ((try? FormDecoder().decode(call.body)) ?? [:]) : [:]
        if call.method == "POST", parts == ["signin"] { return await signIn(form) }
        if call.method == "GET", parts == ["open"], !exposed {
            // A link that opens an account (the banner prints one): loopback only, since the key is in the URL.
            var response = await signIn(query)
            if response.status == 303, let next = HostedPages.formString(query, "next"), Self.isPath(next), !next.hasPrefix("//") {
                response.headers = response.headers.map { $0.0 == "Location" ? ("Location", next) : $0 }
            }
            return response
        }
        guard let session = ConsoleSession(call) else {
            if call.method == "GET", parts.isEmpty { return await signInPage() }
            return Self.redirect("/console")
        }
        let view = ConsoleView(console: self, session: session, api: ConsoleAPI(emulator: emulator, account: session.account),
                               flash: HostedPages.formString(query, "flash"), error: HostedPages.formString(query, "error"))
        if call.method == "POST" {
            guard session.acceptsCSRF(HostedPages.formString(form, "csrf")) else {
                return await view.render(status: 403, title: "Refused", template: "overview", nav: "",
                                         ["counts": [] as [Any]], error: "This form is stale or came from another site (CSRF token missing or wrong). Reload the page and try again.")
            }
            return await ConsoleActions(view: view).perform(parts, form)
        }
        guard call.method == "GET" else { return HostedPages.notFound() }
        switch parts.first {
        case nil: return await view.overview()
        case "objects"?: return parts.count == 2 ? await view.detail(parts[1]) : HostedPages.notFound()
        case "time"?:
            if parts == ["time", "progress"] { return await view.progress() }
            return parts.count == 1 ? await view.time() : HostedPages.notFound()
        case "faults"?: return await view.faults()
        case let slug?:
            guard parts.count == 1, let list = ConsoleList.named(slug) else { return HostedPages.notFound() }
            return await view.list(list, q: HostedPages.formString(query, "q"), after: HostedPages.formString(query, "starting_after"))
        }
    }

    func signInPage(error: String? = nil, status: Int = 200) async -> APIResponse {
        var context: [String: Any] = ["showAccounts": !exposed]
        if !exposed {
            let accounts = (try? await emulator.database.writer.read { db in try ObjectStore.accounts(db) }) ?? []
            context["accounts"] = accounts.map { ["key": $0.account, "objects": $0.objects] }
            context["hasAccounts"] = !accounts.isEmpty
        }
        return Self.page(status: status, title: "Open the console", body: Self.render("signin", context), layout: ["error": error ?? ""])
    }

    func signIn(_ form: [String: FormValue]) async -> APIResponse {
        guard let key = HostedPages.formString(form, "key"), let account = try? APIKeys.account(from: "Bearer \(key)") else {
            return await signInPage(error: "That is not a test secret key (sk_test_... or rk_test_...).", status: 400)
        }
        var response = Self.redirect("/console")
        response.headers.append(("Set-Cookie", ConsoleSession(account: account).setCookie))
        return response
    }

    static func render(_ template: String, _ context: [String: Any]) -> String {
        library.render(TemplateContext.pruned(context), withTemplate: template) ?? ""
    }

    static func page(status: Int = 200, title: String, body: String, layout: [String: Any]) -> APIResponse {
        var context = layout
        context["title"] = title
        context["body"] = body
        let html = render("layout", context)
        return APIResponse(status: status, headers: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"),
                                                     ("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin")],
                           body: Array(html.utf8))
    }

    static func redirect(_ location: String) -> APIResponse {
        HostedPages.redirect(location)
    }
}
