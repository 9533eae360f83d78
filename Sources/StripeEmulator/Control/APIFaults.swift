import StripeEngine
import StripeWire
import Synchronization

/// Scripted API failures (`POST /_emulator/faults/api`): the next `count` calls of a tenant to
/// a path (and method) answer `status` — 429 `rate_limit`, or a 5xx `api_error` — so a
/// client's retry logic can be tested. By default nothing is touched; with `after_commit=true`
/// the call is carried out and committed and only its answer is lost (as when a connection drops
/// after Stripe has acted), so an idempotent retry can be shown not to act twice. Patterns end in
/// `*` to match a prefix. Kept in memory: a restart clears them, as it would clear a real outage.
///
/// Who a fault can hit: calls carrying `Effinity-Runner: internal` (the scenario runner's own
/// checks and snapshots) never; `Effinity-Runner: step` (a scenario's fixture steps) only with
/// `scope=all` (the default); any other caller (the app under test) always.
final class APIFaults: Sendable {
    struct Fault: Sendable {
        var method: String?
        var pattern: String
        var status: Int
        var remaining: Int
        var afterCommit = false
        /// `app`: only calls without an `Effinity-Runner` header; `all`: fixture steps too.
        var scope = "all"

        func matches(method m: String, path: String, caller: String?) -> Bool {
            if caller == "internal" || (caller != nil && scope == "app") { return false }
            if let method, method != m { return false }
            if pattern.hasSuffix("*") { return path.hasPrefix(pattern.dropLast()) }
            return path == pattern
        }
    }

    private let faults = Mutex<[String: [Fault]]>([:])

    /// Consumes one matching fault and returns the error to answer with, and whether the call
    /// is carried out first (`after_commit`), if any.
    func take(account: String, method: String, path: String, caller: String?) -> (error: StripeError, afterCommit: Bool)? {
        faults.withLock { all -> (StripeError, Bool)? in
            guard var list = all[account],
                  let i = list.firstIndex(where: { $0.matches(method: method, path: path, caller: caller) }) else { return nil }
            let fault = list[i]
            list[i].remaining -= 1
            if list[i].remaining == 0 { list.remove(at: i) }
            all[account] = list.isEmpty ? nil : list
            return (Self.error(fault.status), fault.afterCommit)
        }
    }

    static func error(_ status: Int) -> StripeError {
        status == 429
            ? StripeError(status: 429, type: .invalidRequestError, code: "rate_limit",
                          message: "Too many requests hit the API too quickly (injected by /_emulator/faults/api).")
            : StripeError(status: status, type: .apiError,
                          message: "An error occurred with our connection to Stripe (injected by /_emulator/faults/api).")
    }

    /// `POST /_emulator/faults/api` with `path`, optional `method`, `status` (429 or 500–599), `count`;
    /// `clear=true` removes every fault of the tenant.
    func configure(account: String, form: [String: FormValue]) throws -> JSONValue {
        if let clear = form["clear"] {
            guard clear.stringValue == "true" || clear.stringValue == "false" else {
                throw StripeError.invalidRequest("clear must be true or false.", param: "clear")
            }
            if clear.stringValue == "true" {
                guard form.count == 1 else { throw StripeError.invalidRequest("clear=true takes no other parameter.", param: "clear") }
                faults.withLock { _ = $0.removeValue(forKey: account) }
                return ["object": "emulator.api_faults", "data": []]
            }
        }
        for key in form.keys where !["path", "method", "status", "count", "clear", "after_commit", "scope"].contains(key) {
            throw StripeError.unknownParam(key)
        }
        guard let path = form["path"]?.stringValue, path.hasPrefix("/v1/") else {
            throw StripeError.invalidRequest("path must be an API path starting with /v1/ (end it with * to match a prefix).", param: "path")
        }
        let method = form["method"]?.stringValue?.uppercased()
        if let method, !["GET", "POST", "DELETE"].contains(method) {
            throw StripeError.invalidRequest("method must be GET, POST or DELETE.", param: "method")
        }
        guard let status = Int(form["status"]?.stringValue ?? "500"), status == 429 || (500...599).contains(status) else {
            throw StripeError.invalidRequest("status must be 429 or between 500 and 599.", param: "status")
        }
        guard let count = Int(form["count"]?.stringValue ?? "1"), (1...1000).contains(count) else {
            throw StripeError.invalidRequest("count must be between 1 and 1000.", param: "count")
        }
        let afterCommit = form["after_commit"]?.stringValue ?? "false"
        guard afterCommit == "true" || afterCommit == "false" else {
            throw StripeError.invalidRequest("after_commit must be true or false.", param: "after_commit")
        }
        let scope = form["scope"]?.stringValue ?? "all"
        guard scope == "all" || scope == "app" else {
            throw StripeError.invalidRequest("scope must be app (only the app's calls) or all (fixture steps too).", param: "scope")
        }
        let fault = Fault(method: method, pattern: path, status: status, remaining: count, afterCommit: afterCommit == "true", scope: scope)
        let list = faults.withLock { all -> [Fault] in
            all[account, default: []].append(fault)
            return all[account]!
        }
        return ["object": "emulator.api_faults", "data": .array(list.map {
            ["path": .string($0.pattern), "method": .from($0.method), "status": .int($0.status), "remaining": .int($0.remaining),
             "after_commit": .bool($0.afterCommit), "scope": .string($0.scope)]
        })]
    }
}
