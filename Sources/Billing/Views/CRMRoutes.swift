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

    func register(_ router: Router<BasicRequestContext>) {
        router.get("/dashboard/crm") { req, _ -> Response in
            await self.respond(req) { caller in
                try await self.page(caller, notice: req.uri.queryParameters.get("added").map { "Added \($0)." })
            }
        }
        for kind in Kind.allCases {
            router.post(RouterPath("/dashboard/crm/\(kind.rawValue)")) { req, _ -> Response in
                await self.respond(req) { caller in
                    let form = try FormDecoder().decode(Array(buffer: try await req.body.collect(upTo: 1 << 16)))
                    return try await self.create(kind, caller: caller, form: form)
                }
            }
        }
    }

    /// Creates the resource and redirects (post, redirect, get); a refusal re-renders the page
    /// with the modal (a limit) or the message (a missing field, a 402), in its status.
    func create(_ kind: Kind, caller: Caller, form: [String: FormValue]) async throws -> Response {
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
                guard caller.role.managesBilling else { throw AppError(403, "forbidden", "Only owners and admins can add members.") }
                guard let email = field("email"), email.contains("@") else { throw AppError.validation(["email": "Must be an email address."]) }
                added = try await service.addMember(org: caller.org, email: email, role: .member).email
            }
            var headers = HTTPFields()
            headers[.location] = "/dashboard/crm?added=" + FormEncoder.escape(added)
            return Response(status: .seeOther, headers: headers)
        } catch let e as AppError {
            return try await page(caller, error: e, status: e.status)
        }
    }

    func page(_ caller: Caller, notice: String? = nil, error: AppError? = nil, status: Int = 200) async throws -> Response {
        let usage = try await app.service.usage(org: caller.org)
        let catalog = app.service.policy.catalog
        let planName = catalog.plans.first { $0.id == usage["plan"].stringValue }?.name ?? catalog.freePlan.name
        func resource(_ kind: Kind, _ title: String, _ key: String, _ fields: [DashboardForm.Field], _ submit: String) -> [String: Any] {
            let entry = usage[key]
            return ["title": title, "used": entry["used"].intValue ?? 0, "limitText": entry["limit"].intValue.map(String.init) ?? "unlimited",
                    "planName": planName,
                    "form": DashboardForm.render(action: "/dashboard/crm/\(kind.rawValue)", fields: fields, submit: submit, idPrefix: "\(kind.rawValue)-")]
        }
        var resources = [
            resource(.leads, "Leads", "leads", [.init(name: "name", label: "Name"), .init(name: "email", label: "Email", type: "email", required: false)], "Add lead"),
            resource(.properties, "Properties", "properties", [.init(name: "title", label: "Title"), .init(name: "address", label: "Address", required: false)], "Add property"),
        ]
        if caller.role.managesBilling {
            resources.append(resource(.members, "Members", "seats", [.init(name: "email", label: "Email", type: "email")], "Add member"))
        }
        var context: [String: Any] = ["org": caller.org, "email": caller.email, "resources": resources]
        if let notice { context["notice"] = notice }
        if let error, let prompt = error.upgrade {
            let suggested = prompt.suggestedPlan.flatMap { id in catalog.plans.first { $0.id == id } }
            var limit: [String: Any] = ["title": "You have reached a limit of your plan", "message": prompt.message]
            if let suggested, caller.role.managesBilling {
                limit["upgradeForm"] = DashboardForm.render(action: "/dashboard/billing/choose",
                                                            fields: [.init(name: "plan", label: "", value: suggested.id, hidden: true)],
                                                            submit: "Upgrade to \(suggested.name)")
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
        let dashboard = DashboardRoutes(app: app)
        let caller: Caller
        do { caller = try await app.authenticate(req) } catch {
            return dashboard.html(401, "<h1>Sign in</h1><p>Open the link printed by <code>effinity dev</code> (it ends in <code>?token=…</code>).</p>")
        }
        do {
            return try await body(caller)
        } catch let e as AppError {
            return dashboard.message(e.status, e.message)
        } catch {
            return dashboard.message(500, "Something went wrong.")
        }
    }
}
