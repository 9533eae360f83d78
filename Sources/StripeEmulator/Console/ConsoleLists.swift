import StripeWire

/// The object lists the console shows: the API list each reads and the columns of its table.
struct ConsoleList: Sendable {
    enum Cell: Sendable {
        /// The object's own id, linked to its page.
        case id
        /// An id of another object, linked when the console can show it.
        case link(String)
        case text(String)
        /// An amount in the smallest unit; the currency is the object's `currency`.
        case money(String)
        case time(String)
        case status(String)
    }

    let slug: String
    let heading: String
    let apiPath: String
    let columns: [(String, Cell)]
    /// Parameters the list call always sends (subscriptions: every status, canceled included).
    var query: [(String, String)] = []

    static let all: [ConsoleList] = [
        ConsoleList(slug: "customers", heading: "Customers", apiPath: "/v1/customers",
                    columns: [("Id", .id), ("Email", .text("email")), ("Name", .text("name")), ("Created", .time("created"))]),
        ConsoleList(slug: "subscriptions", heading: "Subscriptions", apiPath: "/v1/subscriptions",
                    columns: [("Id", .id), ("Customer", .link("customer")), ("Status", .status("status")),
                              ("Period ends", .time("items.data.0.current_period_end")), ("Created", .time("created"))],
                    query: [("status", "all")]),
        ConsoleList(slug: "invoices", heading: "Invoices", apiPath: "/v1/invoices",
                    columns: [("Id", .id), ("Number", .text("number")), ("Customer", .link("customer")), ("Status", .status("status")),
                              ("Due", .money("amount_due")), ("Paid", .money("amount_paid")), ("Created", .time("created"))]),
        ConsoleList(slug: "payment_intents", heading: "Payments", apiPath: "/v1/payment_intents",
                    columns: [("Id", .id), ("Amount", .money("amount")), ("Status", .status("status")), ("Customer", .link("customer")),
                              ("Created", .time("created"))]),
        ConsoleList(slug: "checkout_sessions", heading: "Checkout sessions", apiPath: "/v1/checkout/sessions",
                    columns: [("Id", .id), ("Mode", .text("mode")), ("Status", .status("status")), ("Customer", .link("customer")),
                              ("Created", .time("created"))]),
        ConsoleList(slug: "events", heading: "Events", apiPath: "/v1/events",
                    columns: [("Id", .id), ("Type", .text("type")), ("Object", .link("data.object.id")),
                              ("Pending webhooks", .text("pending_webhooks")), ("Created", .time("created"))]),
        ConsoleList(slug: "webhook_endpoints", heading: "Webhook endpoints", apiPath: "/v1/webhook_endpoints",
                    columns: [("Id", .id), ("URL", .text("url")), ("Status", .status("status")), ("API version", .text("api_version")),
                              ("Created", .time("created"))]),
    ]

    static func named(_ slug: String) -> ConsoleList? { all.first { $0.slug == slug } }

    /// The value at a dotted path (`items.data.0.current_period_end`).
    static func value(_ object: JSONValue, _ path: String) -> JSONValue {
        path.split(separator: ".").reduce(object) { v, key in Int(key).map { v[$0] } ?? v[String(key)] }
    }

    static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .null: return ""
        default: return JSONWriter.string(value)
        }
    }

    func cells(_ object: JSONValue) -> [[String: Any]] {
        columns.map { _, cell -> [String: Any] in
            switch cell {
            case .id:
                let id = object["id"].stringValue ?? ""
                return ["text": id, "href": "/console/objects/\(id)"]
            case .link(let path):
                let id = Self.text(Self.value(object, path))
                return ["text": id, "href": ConsoleFormat.objectHref(id) ?? ""]
            case .text(let path):
                return ["text": Self.text(Self.value(object, path))]
            case .money(let path):
                return ["text": ConsoleFormat.money(Self.value(object, path).intValue, object["currency"].stringValue), "class": "num"]
            case .time(let path):
                return ["text": ConsoleFormat.dateTime(Self.value(object, path).intValue)]
            case .status(let path):
                return ["text": Self.text(Self.value(object, path))]
            }
        }
    }
}
