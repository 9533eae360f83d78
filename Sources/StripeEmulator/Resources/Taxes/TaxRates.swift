import StripeEngine
import StripeWire

/// `/v1/tax_rates`: manual tax rates, inclusive or exclusive, applied to subscriptions
/// (`default_tax_rates`, `items[][tax_rates]`), invoices and invoice items. A rate's percentage
/// and inclusiveness cannot change once created, as on Stripe; archive it (`active=false`) instead.
enum TaxRates {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/tax_rates", create)
        r.read("/v1/tax_rates", list)
        r.read("/v1/tax_rates/{id}", retrieve)
        r.post("/v1/tax_rates/{id}", update)
    }

    static let taxTypes = ["amusement_tax", "communications_tax", "gst", "hst", "igst", "jct", "lease_tax", "pst", "qst", "retail_delivery_fee",
                           "rst", "sales_tax", "service_tax", "vat"]

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        let name = try req.params.requiredString("display_name")
        guard let raw = try req.params.string("percentage") else { throw StripeError.missingParam("percentage") }
        guard let percentage = Double(raw), percentage >= 0, percentage <= 100 else {
            throw StripeError.invalidRequest("Invalid percentage: must be a number between 0 and 100.", param: "percentage")
        }
        guard let inclusive = try req.params.bool("inclusive") else { throw StripeError.missingParam("inclusive") }
        var rate: JSONValue = [
            "id": .string(try req.newID("txr")), "object": "tax_rate", "active": true, "country": nil, "created": .int(req.now),
            "description": nil, "display_name": .string(name), "effective_percentage": nil, "flat_amount": nil,
            "inclusive": .bool(inclusive), "jurisdiction": nil, "jurisdiction_level": nil, "livemode": false, "metadata": [:],
            "percentage": percentage == percentage.rounded() ? .int(Int(percentage)) : .double(percentage),
            "rate_type": "percentage", "state": nil, "tax_type": nil,
        ]
        rate["effective_percentage"] = rate["percentage"]
        try apply(&req, to: &rate)
        try req.store.insert(rate, type: "tax_rate")
        try req.ledger.emit(.taxRateCreated, rate)
        return rate
    }

    /// The fields create and update share.
    static func apply(_ req: inout APIRequest, to rate: inout JSONValue) throws {
        try rate.setBool("active", from: &req.params)
        if let c = try req.params.string("country") {
            guard c.isEmpty || (c.count == 2 && c.allSatisfy { $0.isASCII && $0.isLetter }) else {
                throw StripeError.invalidRequest("Invalid country: must be a two-letter ISO code.", param: "country")
            }
            rate["country"] = c.isEmpty ? .null : .string(c.uppercased())
        }
        for f in ["description", "jurisdiction", "state"] { try rate.setString(f, from: &req.params) }
        if let n = try req.params.string("display_name") {
            guard !n.isEmpty else { throw StripeError.invalidRequest("display_name cannot be empty.", param: "display_name") }
            rate["display_name"] = .string(n)
        }
        if let l = try req.params.choice("jurisdiction_level", in: ["city", "country", "county", "district", "multiple", "state"]) {
            rate["jurisdiction_level"] = .string(l)
        }
        if let t = try req.params.choice("tax_type", in: taxTypes) { rate["tax_type"] = .string(t) }
        rate["metadata"] = try Metadata.apply(&req.params, to: rate["metadata"])
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue {
        try req.store.get(req.pathParam(), type: "tax_rate", noun: "tax rate")
    }

    static func update(_ req: inout APIRequest) throws -> JSONValue {
        var rate = try req.store.get(req.pathParam(), type: "tax_rate", noun: "tax rate")
        for fixed in ["percentage", "inclusive"] where req.params.has(fixed) {
            throw StripeError.invalidRequest("A tax rate's \(fixed) cannot be changed. Create a new tax rate and archive this one.", param: fixed)
        }
        let before = rate
        try apply(&req, to: &rate)
        try req.store.update(rate)
        try req.ledger.emitUpdate(.taxRateUpdated, before: before, after: rate)
        return rate
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        var (page, filters) = try req.listPage()
        if let a = try req.params.bool("active") { filters.append(.field("active", equals: .bool(a))) }
        if let i = try req.params.bool("inclusive") { filters.append(.field("inclusive", equals: .bool(i))) }
        return try req.store.list(type: "tax_rate", filters: filters, page: page, url: "/v1/tax_rates", noun: "tax_rate")
    }

    /// `tax_rates[]` / `default_tax_rates[]`: active rates by id (full objects, as Stripe embeds
    /// them); nil when absent, [] when cleared with an empty string.
    static func read(_ req: inout APIRequest, _ path: [String]) throws -> [JSONValue]? {
        guard let ids = try req.params.strings(path) else { return nil }
        let name = Params.name(path)
        var seen: Set<String> = []
        return try ids.map { id in
            let rate = try req.store.get(id, type: "tax_rate", noun: "tax rate", param: name)
            guard rate["active"] == true else {
                throw StripeError.invalidRequest("Tax rate \(id) is archived (inactive) and cannot be applied.", param: name)
            }
            guard seen.insert(id).inserted else {
                throw StripeError.invalidRequest("The tax rate \(id) was given more than once.", param: name)
            }
            return rate
        }
    }
}
