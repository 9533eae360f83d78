import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore
import StripeWire

/// `/dashboard/crm`: add a lead, a property or a member from the browser. The forms post to the
/// same service calls as `/api/leads`, `/api/properties` and `/api/members`; when one hits the
/// plan's limit the page opens the upgrade modal, naming the plan that allows more.
struct CRMRoutes: Sendable {
    let app: BillingApp

    static let template: MustacheTemplate = try! MustacheTemplate(string: CRMTemplate.page)  // constant, rendered by the CRM tests

    enum Kind: String, CaseIterable {
        case leads, properties, members
    }

    func register(_ router: Router<AppRequestContext>) {
        router.get("/dashboard/crm") { req, _ -> Response in
            await self.respond(req) { caller in
                try await self.page(caller, csrf: DashboardRoutes.csrfField(req), notice: req.uri.queryParameters.get("added").map { "Added \($0)." })
            }
        }
        for kind in Kind.allCases {
            // A state change from a cookie session: the form's CSRF token and the Origin are checked.
            router.post(RouterPath("/dashboard/crm/\(kind.rawValue)")) { req, _ -> Response in
                await self.respond(req, change: true) { caller, form in
                    try await self.create(kind, caller: caller, form: form, csrf: DashboardRoutes.csrfField(req))
                }
            }
        }
    }

    /// Creates the resource and redirects (post, redirect, get); a refusal re-renders the page
    /// with the modal (a limit) or the message (a missing field, a 402), in its status.
    func create(_ kind: Kind, caller: Caller, form: [String: FormValue], csrf: String) async throws -> Response {
        func field(_ name: String) -> String? {
            guard let v = form[name]?.stringValue?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return String(v.prefix(500))
        }
        let service = app.service
        do {
            let added: String
            switch kind {
            case .leads:
                guard let name = field("name") else { throw AppError.validation(["name": "Required."]) }
                added = try await service.createLead(org: caller.org, name: name, email: field("email")).name
            case .properties:
                guard let title = field("title") else { throw AppError.validation(["title": "Required."]) }
                added = try await service.createProperty(org: caller.org, title: title, address: field("address")).title
            case .members:
                try BillingApp.require(.inviteMembers, caller)
                guard let email = field("email"), email.contains("@") else { throw AppError.validation(["email": "Must be an email address."]) }
                added = try await service.addMember(org: caller.org, email: email, role: .member).email
            }
            var headers = HTTPFields()
            headers[.location] = "/dashboard/crm?added=" + FormEncoder.escape(added)
            return Response(status: .seeOther, headers: headers)
        } catch let e as AppError {
            return try await page(caller, csrf: csrf, error: e, status: e.status)
        }
    }

    /// `csrf`: the session's hidden CSRF field, carried by every form of the page.
    func page(_ caller: Caller, csrf: String, notice: String? = nil, error: AppError? = nil, status: Int = 200) async throws -> Response {
        let usage = try await app.service.usage(org: caller.org)
        let catalog = app.service.policy.catalog
        let planName = catalog.plans.first { $0.id == usage["plan"].stringValue }?.name ?? catalog.freePlan.name
        func resource(_ kind: Kind, _ title: String, _ key: String, _ fields: [DashboardForm.Field], _ submit: String) -> [String: Any] {
            let entry = usage[key]
            return ["title": title, "used": entry["used"].intValue ?? 0, "limitText": entry["limit"].intValue.map(String.init) ?? "unlimited",
                    "planName": planName,
                    "form": DashboardForm.render(action: "/dashboard/crm/\(kind.rawValue)", fields: fields, submit: submit, csrf: csrf,
                                                 idPrefix: "\(kind.rawValue)-")]
        }
        var resources = [
            resource(.leads, "Leads", "leads", [.init(name: "name", label: "Name"), .init(name: "email", label: "Email", type: "email", required: false)], "Add lead"),
            resource(.properties, "Properties", "properties", [.init(name: "title", label: "Title"), .init(name: "address", label: "Address", required: false)], "Add property"),
        ]
        if Permission.inviteMembers.allows(caller.role) {
            resources.append(resource(.members, "Members", "seats", [.init(name: "email", label: "Email", type: "email")], "Add member"))
        }
        var context: [String: Any] = ["org": caller.org, "email": caller.email, "resources": resources]
        if let notice { context["notice"] = notice }
        if let error, let prompt = error.upgrade {
            let suggested = prompt.suggestedPlan.flatMap { id in catalog.plans.first { $0.id == id } }
            var limit: [String: Any] = ["title": "You have reached a limit of your plan", "message": prompt.message]
            if let suggested, Permission.manageBilling.allows(caller.role) {
                limit["upgradeForm"] = DashboardForm.render(action: "/dashboard/billing/choose",
                                                            fields: [.init(name: "plan", label: "", value: suggested.id, hidden: true)],
                                                            submit: "Upgrade to \(suggested.name)", csrf: csrf)
            }
            context["limit"] = limit
        } else if let error {
            context["error"] = error.fields.isEmpty ? error.message
                : error.message + " " + error.fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: " ")
        }
        return Response(status: .init(code: status), headers: [.contentType: "text/html; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: Self.template.render(context))))
    }

    func respond(_ req: Request, _ body: @Sendable (Caller) async throws -> Response) async -> Response {
        await respond(req, change: false) { caller, _ in try await body(caller) }
    }

    /// Authenticates (for a change: with the form's CSRF token and the Origin), then answers;
    /// refusals are pages in their status.
    func respond(_ req: Request, change: Bool, _ body: @Sendable (Caller, [String: FormValue]) async throws -> Response) async -> Response {
        let dashboard = DashboardRoutes(app: app)
        let caller: Caller, form: [String: FormValue]
        do {
            form = change ? try FormDecoder().decode(Array(buffer: try await req.body.collect(upTo: 1 << 16))) : [:]
            caller = try await app.authenticate(req, change: change, formCSRF: form[CSRFToken.field]?.stringValue)
            try BillingApp.require(.useCRM, caller)
        } catch let e as AppError where e.status != 401 {
            return dashboard.message(e.status, e.message)
        } catch {
            return dashboard.html(401, "<h1>Sign in</h1><p>Open a sign-in link (<code>effinity token --link</code> prints one), or sign in with Firebase.</p>")
        }
        do {
            return try await body(caller, form)
        } catch let e as AppError {
            return dashboard.message(e.status, e.message)
        } catch {
            return dashboard.message(500, "Something went wrong.")
        }
    }
}
