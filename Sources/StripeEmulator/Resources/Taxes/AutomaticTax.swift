import StripeEngine
import StripeWire

/// Stripe Tax (`automatic_tax[enabled]=true`) computes tax from addresses and product tax codes
/// with Stripe's own tables; the fake does not, so it refuses the request by name rather than
/// answer an invoice with no tax. `automatic_tax[enabled]=false` is accepted.
enum AutomaticTax {
    static func refuse(_ req: inout APIRequest, _ path: [String] = ["automatic_tax"]) throws {
        guard req.params.has(path) else { return }
        if try req.params.bool(path + ["enabled"]) == true {
            throw StripeError.invalidRequest(
                "Stripe Tax (automatic_tax[enabled]=true) is not emulated by this fake Stripe. Use tax rates (default_tax_rates, tax_rates) instead.",
                param: Params.name(path + ["enabled"]))
        }
        if req.params.has(path + ["liability"]) {
            throw StripeError.invalidRequest("automatic_tax[liability] is not emulated (Stripe Tax is not emulated).",
                                             param: Params.name(path + ["liability"]))
        }
    }
}
