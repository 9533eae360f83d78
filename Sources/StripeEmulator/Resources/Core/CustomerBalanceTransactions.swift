import StripeEngine
import StripeWire

/// `/v1/customers/{customer}/balance_transactions`: credit and debit a customer's balance by hand
/// (`adjustment`), and read the ledger the engine keeps (invoices, credit notes).
enum CustomerBalanceTransactions {
    static func register(_ r: inout APIRouter) {
        r.post("/v1/customers/{customer}/balance_transactions", create)
        r.read("/v1/customers/{customer}/balance_transactions", list)
        r.read("/v1/customers/{customer}/balance_transactions/{id}", retrieve)
        r.post("/v1/customers/{customer}/balance_transactions/{id}", update)
    }

    static func create(_ req: inout APIRequest) throws -> JSONValue {
        var customer = try Customers.live(req.pathParam(), req, param: "customer")
        guard let amount = try req.params.int("amount") else { throw StripeError.missingParam("amount") }
        guard amount != 0 else { throw StripeError.invalidRequest("Invalid amount: must not be zero.", param: "amount") }
        guard let currency = try req.params.currency("currency")?.lowercased() else { throw StripeError.missingParam("currency") }
        let before = customer
        let txn = try CustomerBalance.record(&customer, amount: amount, currency: currency, type: "adjustment",
                                             now: try req.ledger.now(for: customer), req.ledger,
                                             description: try req.params.nonEmpty("description"),
                                             metadata: try Metadata.apply(&req.params, to: [:]))
        try req.store.update(customer)
        try req.ledger.emitUpdate(.customerUpdated, before: before, after: customer)
        return txn
    }

    static func get(_ req: APIRequest) throws -> JSONValue {
        let customer = try Customers.live(req.pathParam(0), req, param: "customer")
        let txn = try req.store.get(req.pathParam(1), type: "customer_balance_transaction", noun: "customer balance transaction")
        guard txn["customer"] == customer["id"] else { throw StripeError.noSuch("customer balance transaction", req.pathParam(1)) }
        return txn
    }

    static func retrieve(_ req: inout APIRequest) throws -> JSONValue { try get(req) }

    /// Only the description and metadata of a transaction can change.
    static func update(_ req: inout APIRequest) throws -> JSONValue {
        var txn = try get(req)
        try txn.setString("description", from: &req.params)
        txn["metadata"] = try Metadata.apply(&req.params, to: txn["metadata"])
        try req.store.update(txn)
        return txn
    }

    static func list(_ req: inout APIRequest) throws -> JSONValue {
        let customer = try Customers.live(req.pathParam(), req, param: "customer")
        var (page, filters) = try req.listPage()
        filters.append(.field("customer", equals: customer["id"]))
        if let i = try req.params.nonEmpty("invoice") { filters.append(.field("invoice", equals: .string(i))) }
        return try req.store.list(type: "customer_balance_transaction", filters: filters, page: page,
                                  url: "/v1/customers/\(req.pathParam())/balance_transactions", noun: "customer_balance_transaction")
    }
}
