import Foundation
import HTTPTypes
import Testing
import StripeWire
@testable import Billing

/// The role table, route by route: each route answers 403 exactly to the roles its
/// ``Permission`` leaves out, and README's table says the same as ``Permission/allows(_:)``.
@Suite(.timeLimit(.minutes(2))) struct PermissionTests {
    struct Route: Sendable, CustomStringConvertible {
        let method: HTTPRequest.Method
        let path: String
        let body: JSONValue?
        let permission: Permission
        var description: String { "\(method) \(path)" }
    }

    /// Every authenticated API route (bodies that do nothing harmful when allowed).
    static let routes: [Route] = [
        Route(method: .get, path: "/api/billing/subscription", body: nil, permission: .viewPlan),
        Route(method: .get, path: "/api/billing/usage", body: nil, permission: .viewPlan),
        Route(method: .get, path: "/api/billing/invoices", body: nil, permission: .viewInvoices),
        Route(method: .post, path: "/api/billing/subscription", body: ["plan": "free"], permission: .manageBilling),
        Route(method: .post, path: "/api/billing/upgrade", body: ["plan": "free"], permission: .manageBilling),
        Route(method: .post, path: "/api/billing/portal", body: [:], permission: .manageBilling),
        Route(method: .get, path: "/api/leads", body: nil, permission: .useCRM),
        Route(method: .post, path: "/api/leads", body: ["name": "Buyer"], permission: .useCRM),
        Route(method: .get, path: "/api/leads/lead_none", body: nil, permission: .useCRM),
        Route(method: .get, path: "/api/properties", body: nil, permission: .useCRM),
        Route(method: .post, path: "/api/properties", body: ["title": "Loft"], permission: .useCRM),
        Route(method: .get, path: "/api/properties/prop_none", body: nil, permission: .useCRM),
        Route(method: .get, path: "/api/members", body: nil, permission: .viewMembers),
        Route(method: .post, path: "/api/members", body: ["email": "new@perm.test", "role": "member"], permission: .inviteMembers),
        Route(method: .patch, path: "/api/members/usr_none", body: ["role": "admin"], permission: .manageRoles),
        Route(method: .delete, path: "/api/members/usr_none", body: nil, permission: .manageRoles),
        Route(method: .post, path: "/api/auth/revoke", body: ["token": "eff_unknown"], permission: .viewPlan),
    ]

    @Test func everyRouteAnswers403ExactlyToTheRolesItsPermissionLeavesOut() async throws {
        try await AppEnv.run { env in
            for role in Role.allCases {
                for route in Self.routes {
                    // A fresh org per call, so one route's effect (a member added) does not change another's answer.
                    let org = "perm-\(role.rawValue)-\(abs(route.description.hashValue) % 1_000_000)"
                    let token = try await env.token("\(role.rawValue)@\(org).test", org: org, role: role)
                    if role != .owner { _ = try await env.service.ensureMember(email: "boss@\(org).test", org: org, role: .owner) }
                    let r = try await env.call(route.method, route.path, token: token, route.body)
                    // 403 `forbidden` is the role check; a plan limit's 403 (`limit_reached`) is not.
                    let refused = r.status == 403 && r.json["error"]["code"] == "forbidden"
                    #expect(refused == !route.permission.allows(role), "\(role) \(route): \(r.status) \(JSONWriter.string(r.json))")
                }
            }
        }
    }

    @Test func theDashboardShowsBillingActionsAndInvoicesOnlyToThoseAllowed() async throws {
        try await AppEnv.run { env in
            for role in Role.allCases {
                let session = try await env.browserSession("\(role.rawValue)@dash.test", org: "dash", role: role)
                let page = String(buffer: try await env.app.execute(uri: "/dashboard/billing", method: .get,
                                                                    headers: [.cookie: "effinity_session=\(session)"]).body)
                #expect(page.contains("/dashboard/billing/choose") == Permission.manageBilling.allows(role), "\(role)")
                #expect(page.contains("<h2>Invoices</h2>") == Permission.viewInvoices.allows(role), "\(role)")
            }
        }
    }

    /// README's "Roles" table, row by row, against ``Permission/allows(_:)``.
    @Test func theReadmeRoleTableIsTheCode() throws {
        let readme = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        let rows = readme.split(separator: "\n").filter { $0.hasPrefix("| `") && $0.contains("` |") }
            .map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } }
            .filter { Permission(rawValue: $0[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))) != nil }
        #expect(rows.count == Permission.allCases.count)
        for row in rows {
            let permission = try #require(Permission(rawValue: row[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))))
            for (i, role) in [Role.owner, .admin, .member].enumerated() {
                #expect((row[i + 1] == "yes") == permission.allows(role), "README row \(permission), \(role): \(row[i + 1])")
            }
        }
    }
}
