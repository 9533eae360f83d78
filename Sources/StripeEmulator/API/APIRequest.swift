import GRDB
import StripeEngine
import StripeWire

/// Everything a resource handler may use: the tenant's objects, clock and id minting, all bound
/// to the one transaction the request runs in.
struct APIRequest {
    let method: String
    let path: String
    let account: String
    let requestID: String
    let idempotencyKey: String?
    /// The account clock's time when the request began (read through ``now``).
    private let startedAt: Int
    var params: Params
    let pathParams: [String]
    let db: Database
    let ids: IDMinter
    let settings: EmulatorSettings
    /// The API version the request is read and answered at (its `Stripe-Version`, else the
    /// account's default): parameters that older versions spelled differently follow it.
    var version: APIVersion = .current
    /// The parsed objects of the request's transaction, shared with its ``ledger``.
    let cache = ObjectCache()

    init(method: String, path: String, account: String, requestID: String, idempotencyKey: String?, now: Int, params: Params,
         pathParams: [String], db: Database, ids: IDMinter, settings: EmulatorSettings) {
        self.method = method
        self.path = path
        self.account = account
        self.requestID = requestID
        self.idempotencyKey = idempotencyKey
        self.startedAt = now
        self.params = params
        self.pathParams = pathParams
        self.db = db
        self.ids = ids
        self.settings = settings
    }

    /// The account clock's time. Reading it marks the answer as one that depends on the clock
    /// (``ObjectCache/readClock``), so it is never reused (``ResponseCache``).
    var now: Int {
        cache.readClock = true
        return startedAt
    }

    var store: ObjectStore { ObjectStore(db: db, account: account, cache: cache) }
    var clock: AccountClock {
        cache.readClock = true
        return AccountClock(db: db, account: account, wall: settings.wallClock)
    }

    func newID(_ prefix: String) throws -> String { try ids.next(prefix) }

    /// The `n`th `{param}` of the route's path.
    func pathParam(_ n: Int = 0) -> String { pathParams[n] }

    /// Reads `limit`, `starting_after`, `ending_before` and `created[...]`.
    mutating func listPage(createdFilter: Bool = true) throws -> (ListPage, [ListFilter]) {
        var page = ListPage()
        if let limit = try params.int("limit") {
            guard (1...100).contains(limit) else {
                throw StripeError.invalidRequest(
                    "This value must be greater than or equal to 1 and less than or equal to 100 (it was \(limit)).",
                    param: "limit", code: "parameter_invalid_integer")
            }
            page.limit = limit
        }
        page.startingAfter = try params.nonEmpty("starting_after")
        page.endingBefore = try params.nonEmpty("ending_before")
        if page.startingAfter != nil, page.endingBefore != nil {
            throw StripeError.invalidRequest("You may only specify one of these parameters: ending_before, starting_after.",
                                             param: "ending_before")
        }
        var filters: [ListFilter] = []
        if createdFilter { filters += try rangeFilters("created") }
        return (page, filters)
    }

    /// `created=123` or `created[gt|gte|lt|lte]=123`.
    mutating func rangeFilters(_ name: String) throws -> [ListFilter] {
        guard let v = params.raw([name]) else { return [] }
        switch v {
        case .string:
            guard let t = try params.int(name) else { return [] }
            return [.created("=", t)]
        case .dict(let d):
            var out: [ListFilter] = []
            let ops = ["gt": ">", "gte": ">=", "lt": "<", "lte": "<="]
            for key in d.keys.sorted() {
                guard let op = ops[key] else { continue }
                if let t = try params.int([name, key]) { out.append(.created(op, t)) }
            }
            return out
        case .array:
            throw StripeError.invalidRequest("Invalid \(name): must be an integer or a range object.", param: name)
        }
    }
}

extension APIRequest {
    /// The engine's unit of work for this request: same transaction, same object cache, and the
    /// request's id and idempotency key recorded on the events it emits.
    var ledger: Ledger {
        Ledger(db: db, account: account, ids: ids, settings: settings,
               request: EventRequest(id: requestID, idempotencyKey: idempotencyKey), cache: cache)
    }
}
