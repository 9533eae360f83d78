import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import StripeWire

/// The runner's HTTP calls to the fake (form bodies, the scenario's secret key) and to the app
/// (JSON bodies, a user's session token), over real loopback sockets.
struct HTTP: Sendable {
    let stripeURL: String
    let appURL: String
    let key: String

    struct Reply: Sendable {
        let status: Int
        let json: JSONValue
        let text: String
        var headers: [(String, String)] = []

        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    /// Who a call to the fake is, for injected API faults (see `APIFaults`): the runner's own
    /// checks and snapshots are never hit; a scenario's fixture steps only by faults with `scope=all`.
    enum Caller: String, Sendable {
        case `internal`
        case step
    }

    func stripe(_ method: String, _ path: String, query: String = "", body: String = "", headers: [String: String] = [:],
                caller: Caller = .internal) async throws -> Reply {
        var all = headers
        all["Authorization"] = "Bearer \(key)"
        all["Effinity-Runner"] = caller.rawValue
        if method != "GET" { all["Content-Type"] = "application/x-www-form-urlencoded" }
        return try await send(method, stripeURL + path + (query.isEmpty ? "" : "?\(query)"), body: method == "GET" ? nil : Array(body.utf8),
                              headers: all)
    }

    func app(_ method: String, _ path: String, body: JSONValue?, headers: [String: String], appURL: String? = nil) async throws -> Reply {
        var all = headers
        if body != nil { all["Content-Type"] = "application/json" }
        return try await send(method, (appURL ?? self.appURL) + path, body: body.map { JSONWriter.data($0) }, headers: all)
    }

    /// The app's `GET path` as text, whole (`/metrics`).
    func appText(_ path: String, headers: [String: String] = [:]) async throws -> (status: Int, text: String) {
        var request = HTTPClientRequest(url: appURL + path)
        request.method = .GET
        for (k, v) in headers.sorted(by: { $0.key < $1.key }) { request.headers.add(name: k, value: v) }
        let response: HTTPClientResponse
        do { response = try await HTTPClient.shared.execute(request, timeout: .seconds(30)) } catch {
            throw ScenarioFailure("GET \(appURL + path) failed: \(error)")
        }
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 64 << 20)))
    }

    private func send(_ method: String, _ url: String, body: [UInt8]?, headers: [String: String]) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (k, v) in headers.sorted(by: { $0.key < $1.key }) { request.headers.add(name: k, value: v) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response: HTTPClientResponse
        do { response = try await HTTPClient.shared.execute(request, timeout: .seconds(30)) } catch {
            throw ScenarioFailure("\(method) \(url) failed: \(error)")
        }
        let bytes = Array(buffer: try await response.body.collect(upTo: 64 << 20))
        return Reply(status: Int(response.status.code), json: (try? JSONParser.parse(bytes)) ?? .null,
                     text: String(decoding: bytes.prefix(500), as: UTF8.self), headers: response.headers.map { ($0.name, $0.value) })
    }
}
