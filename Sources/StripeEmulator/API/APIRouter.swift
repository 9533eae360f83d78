import StripeEngine
import StripeWire

/// The table of Stripe routes: method plus a path pattern with `{param}` segments.
///
/// Kept apart from Hummingbird's router so that an unmatched request gets Stripe's own
/// "Unrecognized request URL" error and so the table can be listed (docs, tests).
struct APIRouter: Sendable {
    typealias Handler = @Sendable (inout APIRequest) throws -> JSONValue
    /// A control route that runs outside any transaction because it waits (for deliveries, for
    /// a clock to move through many transactions): it gets the emulator, the call and the account.
    typealias DirectHandler = @Sendable (StripeEmulator, APICall, String) async throws -> JSONValue

    /// A route whose answer is a file, not JSON (a quote's PDF): it gets the emulator, the call
    /// and the account, and returns the whole response.
    typealias FileHandler = @Sendable (StripeEmulator, APICall, String) async throws -> APIResponse

    enum Action: Sendable {
        case transaction(Handler)
        case direct(DirectHandler)
        case file(FileHandler)
    }

    struct Route: Sendable {
        let method: String
        let pattern: [Substring]
        let action: Action
        /// Runs in a write transaction (every POST and DELETE, and the few GETs that create on first read).
        let writes: Bool
        /// The route moves a clock: due work and deliveries are settled before it answers, so
        /// tests never sleep.
        let settles: Bool
        /// A read whose answer depends only on the request and the account's stored objects (not
        /// on other tables): it may be given again while the account's objects are unchanged
        /// (see ``ResponseCache``).
        var reusable = false
    }

    private(set) var routes: [Route] = []
    /// Indexes into `routes` by method, number of path segments and first two segments (`v1`,
    /// `customers`): a request is matched against the few routes of its shape, not the whole
    /// table (matching was 9% of a retrieve's CPU). Routes with a parameter among their first two
    /// segments are kept under a nil head and tried too.
    private var shapes: [Shape: [Int]] = [:]

    private struct Shape: Hashable {
        let method: String
        let segments: Int
        let head: String?
    }

    private static func head(_ segments: [Substring]) -> String? {
        guard segments.count >= 2, segments[0].first != "{", segments[1].first != "{" else { return nil }
        return segments[0] + "/" + segments[1]
    }

    private mutating func append(_ route: Route) {
        shapes[Shape(method: route.method, segments: route.pattern.count, head: Self.head(route.pattern)), default: []].append(routes.count)
        routes.append(route)
    }

    mutating func add(_ method: String, _ pattern: String, writes: Bool? = nil, settles: Bool = false, reusable: Bool = false,
                      _ handler: @escaping Handler) {
        let writes = writes ?? (method != "GET")
        append(Route(method: method, pattern: pattern.split(separator: "/"), action: .transaction(handler),
                     writes: writes, settles: settles, reusable: reusable && !writes))
    }

    /// A POST answered outside a transaction (see ``DirectHandler``).
    mutating func direct(_ pattern: String, settles: Bool = false, _ handler: @escaping DirectHandler) {
        append(Route(method: "POST", pattern: pattern.split(separator: "/"), action: .direct(handler), writes: true, settles: settles))
    }

    /// A GET answered with a file (see ``FileHandler``).
    mutating func file(_ pattern: String, _ handler: @escaping FileHandler) {
        append(Route(method: "GET", pattern: pattern.split(separator: "/"), action: .file(handler), writes: false, settles: false))
    }

    mutating func get(_ p: String, writes: Bool = false, _ h: @escaping Handler) { add("GET", p, writes: writes, h) }
    /// A GET that only reads the account's stored objects (a retrieve, a list, a search): its
    /// answer is reused while they are unchanged (``Route/reusable``).
    mutating func read(_ p: String, _ h: @escaping Handler) { add("GET", p, reusable: true, h) }
    mutating func post(_ p: String, settles: Bool = false, _ h: @escaping Handler) { add("POST", p, settles: settles, h) }
    mutating func delete(_ p: String, _ h: @escaping Handler) { add("DELETE", p, h) }

    /// The route for a request and the values of its `{param}` segments. Literal segments win
    /// over parameters (`/v1/customers/search` before `/v1/customers/{customer}`).
    func match(method: String, path: String) -> (Route, [String])? {
        let parts = path.split(separator: "/")
        let exact = parts.count >= 2 ? shapes[Shape(method: method, segments: parts.count, head: parts[0] + "/" + parts[1])] ?? [] : []
        let open = shapes[Shape(method: method, segments: parts.count, head: nil)] ?? []
        // In table order, so that among equally literal routes the first added wins, as before.
        let candidates = open.isEmpty ? exact : exact.isEmpty ? open : (exact + open).sorted()
        var best: (index: Int, params: [String], literals: Int)?
        for index in candidates {
            var params: [String] = []
            var literals = 0
            var ok = true
            for (p, s) in zip(routes[index].pattern, parts) {
                if p.first == "{" {
                    params.append(String(s))
                } else if p == s {
                    literals += 1
                } else {
                    ok = false
                    break
                }
            }
            if ok, best == nil || literals > best!.literals { best = (index, params, literals) }
        }
        return best.map { (routes[$0.index], $0.params) }
    }
}
