import StripeEngine
import StripeWire

/// `/v1/account` (the tenant's own account) and `/v1/accounts` (connected accounts: a platform
/// without any, so an empty list, and the own account by its id).
enum Account {
    static func register(_ r: inout APIRouter) {
        r.get("/v1/account", retrieve)
        r.post("/v1/account", update)
        r.get("/v1/accounts", list)
        r.get("/v1/accounts/{account}", retrieveByID)
        r.post("/v1/accounts", NotEmulated.refuseCreate("account", "Connect accounts"))
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue { try AccountObject.read(req.ledger) }

    static func retrieveByID(_ req: inout APIRequest) throws -> JSONValue {
        let id = req.pathParam()
        guard id == AccountObject.id(forKey: req.account) else { throw StripeError.noSuch("account", id, param: "account") }
        return try AccountObject.read(req.ledger)
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        _ = try req.listPage()
        return NotEmulated.emptyList("/v1/accounts")
    }

    /// `POST /v1/account`: the account's own business profile and settings (what a standard
    /// account may change about itself; its country and currency are fixed).
    static func update(_ req: inout APIRequest) throws -> JSONValue {
        var changes: [String: JSONValue] = [:]
        func text(_ key: String, _ path: [String]) throws {
            if let v = try req.params.string(path) { changes[key] = v.isEmpty ? .null : .string(v) }
        }
        try text("display_name", ["business_profile", "name"])
        try text("url", ["business_profile", "url"])
        try text("support_email", ["business_profile", "support_email"])
        try text("support_phone", ["business_profile", "support_phone"])
        try text("support_url", ["business_profile", "support_url"])
        try text("product_description", ["business_profile", "product_description"])
        try text("mcc", ["business_profile", "mcc"])
        try text("email", ["email"])
        if let name = try req.params.string("settings", "dashboard", "display_name") { changes["display_name"] = name.isEmpty ? .null : .string(name) }
        try text("timezone", ["settings", "dashboard", "timezone"])
        try text("primary_color", ["settings", "branding", "primary_color"])
        try text("secondary_color", ["settings", "branding", "secondary_color"])
        if let d = try req.params.string("settings", "payments", "statement_descriptor") {
            guard d.count <= 22, d.count >= 5 || d.isEmpty else {
                throw StripeError.invalidRequest("The statement descriptor must be between 5 and 22 characters.",
                                                 param: "settings[payments][statement_descriptor]")
            }
            changes["statement_descriptor"] = d.isEmpty ? .null : .string(d)
        }
        if let email = changes["email"]?.stringValue { try EmailAddress.check(email, param: "email") }
        if let email = changes["support_email"]?.stringValue { try EmailAddress.check(email, param: "business_profile[support_email]") }
        if req.params.has("metadata") {
            changes["metadata"] = try Metadata.apply(&req.params, to: try AccountObject.read(req.ledger)["metadata"])
        }
        return try AccountObject.update(changes, req.ledger)
    }
}
