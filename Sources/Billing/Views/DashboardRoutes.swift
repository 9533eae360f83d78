import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore
import StripeWire

/// `/dashboard/billing`: the server-rendered billing page (plan, trial countdown, usage bars,
/// plans to choose, invoices, manage billing). The browser session comes as a cookie (signed in
/// at `/auth/link` or `POST /api/auth/session`); every form carries the session's CSRF token
/// (``csrfField(_:)``) and every POST checks it (``redirecting(_:_:)``).
struct DashboardRoutes: Sendable {
    let app: BillingApp

    static let template: MustacheTemplate = try! MustacheTemplate(string: DashboardTemplate.page)  // constant, rendered by the dashboard tests

    func register(_ router: Router<AppRequestContext>) {
        router.get("/dashboard/billing") { req, _ -> Response in await self.page(req) }
        // Where a signed-out browser is sent (303 from the dashboard's pages and forms).
        router.get("/signin") { _, _ -> Response in
            self.html(200, "<h1>Sign in</h1><p>Open a sign-in link (<code>effinity token --link</code> prints one), or sign in with Firebase.</p>")
        }
        router.post("/dashboard/billing/choose") { req, _ -> Response in
            await self.redirecting(req) { caller, form in
                let plan = form["plan"]?.stringValue ?? ""
                let result = try await self.app.service.changePlan(org: caller.org, email: caller.email, planID: plan)
                return result["url"].stringValue ?? "/dashboard/billing?notice=plan_changed"
            }
        }
        router.post("/dashboard/billing/portal") { req, _ -> Response in
            await self.redirecting(req) { caller, _ in try await self.app.service.portalURL(org: caller.org) }
        }
    }

    /// The hidden input every dashboard form carries: the one place forms get their CSRF token.
    /// Rendered unescaped in the template (`{{{csrfField}}}`); the token is hex, so nothing in it needs escaping.
    static func csrfField(_ req: Request) -> String {
        guard case .cookie(let session)? = BillingApp.credential(req) else { return "" }
        return "<input type=\"hidden\" name=\"\(CSRFToken.field)\" value=\"\(CSRFToken.make(forSession: session))\">"
    }

    /// A dashboard form's POST: the form is read, the caller authenticated with the form's CSRF
    /// token (and Origin), billing permission checked, and the answer is a redirect.
    func redirecting(_ req: Request, _ body: @Sendable (Caller, [String: FormValue]) async throws -> String) async -> Response {
        do {
            let form = try FormDecoder().decode(Array(buffer: try await req.body.collect(upTo: 1 << 16)))
            let caller = try await app.authenticate(req, change: true, formCSRF: form[CSRFToken.field]?.stringValue)
            try BillingApp.require(.manageBilling, caller)
            var headers = HTTPFields()
            headers[.location] = try await body(caller, form)
            return Response(status: .seeOther, headers: headers)
        } catch let e as AppError where e.status == 401 {
            return Self.toSignIn()
        } catch let e as AppError {
            return message(e.status, e.message)
        } catch let e as StripeCallError {
            let mapped = AppError(e)
            return message(mapped.status, mapped.message)
        } catch let e as any HTTPResponseError where e.status == .contentTooLarge {
            return message(413, "The form is too large.")
        } catch {
            return message(502, "Billing is temporarily unavailable. Try again.")
        }
    }

    static let signInTemplate: MustacheTemplate = try! MustacheTemplate(string: DashboardTemplate.signIn)  // constant

    static let messageTemplate: MustacheTemplate = try! MustacheTemplate(string: DashboardTemplate.message)  // constant

    /// A short page with a (escaped) message and a way back.
    func message(_ status: Int, _ text: String) -> Response {
        html(status, Self.messageTemplate.render(["text": text]))
    }

    func html(_ status: Int, _ body: String) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "text/html; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: "<!doctype html><meta charset=utf-8><title>EFFINITY</title>\(body)")))
    }

    func page(_ req: Request) async -> Response {
        let caller: Caller
        do { caller = try await app.authenticate(req) } catch {
            app.service.metrics.recordError(status: 401, code: "unauthorized")
            return Self.toSignIn()
        }
        do {
            var context = try await self.context(caller, query: req.uri.queryParameters)
            context["csrfField"] = Self.csrfField(req)
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: Self.template.render(context))))
        } catch {
            let id = BillingApp.requestID(req)
            app.logger.error("dashboard failed", metadata: ["request_id": "\(id)", "error": "\(error)"])
            app.service.metrics.recordError(status: 500, code: "internal_error")
            return html(500, "<p>Something went wrong. Quote request id <code>\(id)</code> if you contact support.</p>")
        }
    }

    /// A visitor without a valid session goes to the sign-in page (a 303, so a browser follows it)
    /// and comes back to the dashboard afterwards.
    static func toSignIn() -> Response {
        var headers = HTTPFields()
        headers[.location] = "/signin?next=%2Fdashboard%2Fbilling"
        return Response(status: .seeOther, headers: headers)
    }

    func context(_ caller: Caller, query: Parameters) async throws -> [String: Any] {
        let service = app.service
        let now = service.clock.now()
        let (sub, invoices, properties, members, deadJobs) = try await service.store.read { tx in
            let sub = try tx.subscription(org: caller.org)
            // Stripe events about the org's customer that failed on every attempt (dead letters).
            let dead = try tx.jobs(status: .dead, orderKeys: sub?.stripeCustomerID.map { ["customer:" + $0] } ?? [], limit: 20)
            return (sub, try tx.invoices(org: caller.org), try tx.countProperties(org: caller.org), try tx.countMembers(org: caller.org), dead)
        }
        let catalog = service.policy.catalog
        let plan = sub.flatMap { service.policy.planInForce($0) } ?? catalog.freePlan
        let status = sub?.status ?? "none"
        let leads = sub.map { service.policy.leadUsage($0, now: now).used } ?? 0
        func usage(_ label: String, _ used: Int, _ limit: Int?) -> [String: Any] {
            let percent = limit.map { $0 == 0 ? 100 : min(100, used * 100 / $0) } ?? 0
            return ["label": label, "used": used, "limitText": limit.map(String.init) ?? "unlimited", "percent": percent,
                    "full": limit.map { used >= $0 } ?? false]
        }
        var context: [String: Any] = [
            "org": caller.org, "email": caller.email, "planName": plan.name, "canManage": Permission.manageBilling.allows(caller.role),
            "canSeeInvoices": Permission.viewInvoices.allows(caller.role),
            "hasCustomer": sub?.stripeCustomerID != nil,
            "statusText": status.replacingOccurrences(of: "_", with: " "),
            "statusClass": ["active": "", "trialing": "", "past_due": "warn"][status] ?? "bad",
            "usage": [usage("Leads this period", leads, plan.limits.leadsPerPeriod), usage("Properties", properties, plan.limits.properties),
                      usage("Seats", members, plan.limits.seats)],
            "hasInvoices": !invoices.isEmpty,
            "invoices": invoices.map { i -> [String: Any] in
                ["date": BillingService.date(i.createdAt), "number": i.number ?? i.stripeInvoiceID,
                 "amount": BillingService.money(i.amountDue, i.currency), "status": i.status, "url": i.hostedInvoiceURL ?? "",
                 "pdf": i.invoicePDF ?? ""]
            },
            "plans": catalog.plans.map { p -> [String: Any] in
                let limits = [p.limits.leadsPerPeriod.map { "\($0) leads" } ?? "Unlimited leads",
                              p.limits.properties.map { "\($0) properties" } ?? "unlimited properties",
                              p.limits.seats.map { "\($0) seats" } ?? "unlimited seats"].joined(separator: " · ")
                let isCurrent = p.id == plan.id && (plan.isFree || ["active", "trialing", "past_due"].contains(status))
                return ["id": p.id, "name": p.name, "price": BillingService.money(p.priceCents, p.currency), "period": p.billingPeriod,
                        "limitsText": limits,
                        "trialText": p.trialDays > 0 && sub?.stripeSubscriptionID == nil ? "\(p.trialDays)-day free trial" : "",
                        "current": isCurrent,
                        "actionLabel": !["active", "trialing", "past_due"].contains(status) ? "Choose"
                            : (p.monthlyPriceCents > plan.monthlyPriceCents ? "Upgrade" : (p.isFree ? "Downgrade to free" : "Downgrade"))]
            },
        ]
        if !deadJobs.isEmpty, caller.role.managesBilling {
            context["hasDeadJobs"] = true
            context["deadJobs"] = deadJobs.map { j -> [String: Any] in
                ["event": j.eventID ?? "job \(j.id)", "attempts": j.attempts, "error": j.lastError ?? "",
                 "date": BillingService.date(j.finishedAt ?? j.createdAt)]
            }
        }
        if let end = sub?.currentPeriodEnd {
            context["periodText"] = sub?.cancelAtPeriodEnd == true ? "Ends on \(BillingService.date(end))"
                : (status == "trialing" ? "Trial ends on \(BillingService.date(end))" : "Renews on \(BillingService.date(end))")
        } else {
            context["periodText"] = plan.isFree ? "Free forever · upgrade any time" : ""
        }
        if status == "trialing", let end = sub?.trialEnd { context["trialDaysLeft"] = max(0, (end - now + 86399) / 86400) }
        switch status {
        case "past_due": context["notice"] = "Your last payment failed. Update your card to keep your plan."; context["noticeClass"] = "bad"
        case "canceled", "incomplete_expired":
            context["notice"] = "Your subscription has ended; you are on the \(catalog.freePlan.name) plan. Choose a plan to upgrade."; context["noticeClass"] = "warn"
        case "unpaid": context["notice"] = "Your subscription is unpaid. Pay the open invoice in the portal to continue."; context["noticeClass"] = "bad"
        case "incomplete": context["notice"] = "Your first payment is not complete."; context["noticeClass"] = "warn"
        default: break
        }
        if query.get("checkout") == "success" { context["notice"] = "Thank you! Your subscription is being activated."; context["noticeClass"] = "good" }
        let checks: [(String, Int, Int?, KeyPath<PlanLimits, Int?>)] = [
            ("leads", leads, plan.limits.leadsPerPeriod, \.leadsPerPeriod), ("properties", properties, plan.limits.properties, \.properties),
            ("seats", members, plan.limits.seats, \.seats),
        ]
        for (name, used, limit, path) in checks {
            guard let limit, used >= limit, let next = catalog.upgrade(from: plan.id, for: path) else { continue }
            context["limitPrompt"] = "You have reached your \(plan.name) plan's limit of \(limit) \(name). Upgrade to \(next.name) for more."
            break
        }
        return context
    }
}
