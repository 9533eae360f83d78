import StripeEngine
import StripeWire

/// Resources every Stripe account has but the fake never creates (payouts, balance
/// transactions, transfers, application fees, files, shipping rates, tax codes, country specs,
/// entitlement features, product features): the list answers an empty list in Stripe's shape,
/// so a sync that walks every list goes on; a retrieve is Stripe's 404; a create is a 400 that
/// says the resource is not emulated, never a silent success.
enum NotEmulated {
    /// (list path, object noun as Stripe names it in "No such …", what it is called, whether Stripe lets an integration create one)
    static let resources: [(path: String, noun: String, what: String, creatable: Bool)] = [
        ("/v1/payouts", "payout", "Payouts", true),
        ("/v1/balance_transactions", "balance transaction", "Balance transactions", false),
        ("/v1/transfers", "transfer", "Transfers", true),
        ("/v1/application_fees", "application fee", "Application fees", false),
        ("/v1/files", "file", "Files", true),
        ("/v1/shipping_rates", "shipping rate", "Shipping rates", true),
        ("/v1/tax_codes", "tax code", "Tax codes", false),
        ("/v1/country_specs", "country spec", "Country specs", false),
        ("/v1/entitlements/features", "feature", "Entitlement features", true),
    ]

    static func register(_ r: inout APIRouter) {
        for resource in resources {
            r.get(resource.path) { req in
                _ = try req.listPage()
                return emptyList(resource.path)
            }
            r.get(resource.path + "/{id}") { req in throw StripeError.noSuch(resource.noun, req.pathParam()) }
            if resource.creatable { r.post(resource.path, refuseCreate(resource.noun, resource.what)) }
        }
        r.get("/v1/products/{product}/features") { req in
            _ = try req.store.get(req.pathParam(), type: "product", param: "product")
            _ = try req.listPage()
            return emptyList("/v1/products/\(req.pathParam())/features")
        }
        r.post("/v1/products/{product}/features", refuseCreate("product feature", "Product features (entitlements)"))
    }

    static func emptyList(_ url: String) -> JSONValue {
        ["object": "list", "data": [], "has_more": false, "url": .string(url)]
    }

    static func refuseCreate(_ noun: String, _ what: String) -> APIRouter.Handler {
        { req in
            throw StripeError.invalidRequest(
                "\(what) are not emulated by this fake Stripe: it answers their lists as empty, and cannot create a \(noun).",
                param: nil)
        }
    }
}
