import StripeEngine
import StripeWire

/// How the console writes values: times in UTC to the minute, money with its currency, and the
/// API path each id prefix is read from (which makes an id a link).
enum ConsoleFormat {
    static func dateTime(_ t: Int?) -> String {
        guard let t else { return "" }
        let (y, m, d) = UTCCalendar.civil(fromDays: UTCCalendar.floorDiv(t, 86400))
        let s = t - UTCCalendar.floorDiv(t, 86400) * 86400
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(y)-\(two(m))-\(two(d)) \(two(s / 3600)):\(two(s % 3600 / 60)) UTC"
    }

    /// `yyyy-mm-dd` (an `<input type=date>`) to the Unix time of that midnight, UTC.
    static func date(_ text: String) -> Int? {
        let p = text.split(separator: "-").compactMap { Int($0) }
        guard p.count == 3, (1...12).contains(p[1]), (1...31).contains(p[2]) else { return nil }
        return UTCCalendar.days(fromCivil: p[0], p[1], p[2]) * 86400
    }

    static func isoDate(_ t: Int) -> String { String(dateTime(t).prefix(10)) }

    static func money(_ amount: Int?, _ currency: String?) -> String {
        amount.map { PriceMath.money($0, currency ?? "usd") } ?? ""
    }

    /// Where the API serves an object, by its id's prefix.
    static let apiPaths: [(prefix: String, path: String)] = [
        ("cus_", "/v1/customers/"), ("sub_", "/v1/subscriptions/"), ("in_", "/v1/invoices/"), ("pi_", "/v1/payment_intents/"),
        ("cs_", "/v1/checkout/sessions/"), ("evt_", "/v1/events/"), ("we_", "/v1/webhook_endpoints/"), ("ch_", "/v1/charges/"),
        ("pm_", "/v1/payment_methods/"), ("price_", "/v1/prices/"), ("prod_", "/v1/products/"), ("clock_", "/v1/test_helpers/test_clocks/"),
        ("cn_", "/v1/credit_notes/"), ("re_", "/v1/refunds/"), ("ii_", "/v1/invoiceitems/"), ("si_", "/v1/subscription_items/"),
        ("seti_", "/v1/setup_intents/"), ("qt_", "/v1/quotes/"), ("sub_sched_", "/v1/subscription_schedules/"), ("txr_", "/v1/tax_rates/"),
        ("promo_", "/v1/promotion_codes/"), ("dp_", "/v1/disputes/"), ("bps_", "/v1/billing_portal/sessions/"),
    ]

    static func apiPath(for id: String) -> String? {
        // A client secret (`pi_…_secret_…`) starts like an id but is not one.
        guard id.count < 200, !id.contains("_secret_"), id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
        return apiPaths.filter { id.hasPrefix($0.prefix) }.max { $0.prefix.count < $1.prefix.count }.map { $0.path + id }
    }

    static func objectHref(_ id: String) -> String? {
        apiPath(for: id) == nil ? nil : "/console/objects/\(id)"
    }

    static func prettyJSON(_ value: JSONValue) -> String {
        JSONWriter.string(value, pretty: true)
    }
}
