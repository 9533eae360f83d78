import StripeWire

/// The console's way to read and act: in-process calls to the fake's own API and `/_emulator/`
/// control routes with the account's key, so a console button does exactly what the same call
/// from a test or a script does. Marked `Effinity-Runner: internal` so scripted API faults never
/// hit the console itself.
struct ConsoleAPI: Sendable {
    let emulator: StripeEmulator
    let account: String

    struct Answer: Sendable {
        let status: Int
        let json: JSONValue
        var ok: Bool { status == 200 }
        var message: String { json["error"]["message"].stringValue ?? "The call failed with status \(status)." }
    }

    func call(_ method: String, _ path: String, _ params: [(String, String)] = [], version: String? = nil) async -> Answer {
        let encoded = FormEncoder.encode(params.map { ($0.0, FormValue.string($0.1)) })
        var headers = ["Authorization": "Bearer \(account)", "Effinity-Runner": "internal"]
        if let version { headers["Stripe-Version"] = version }
        let call = method == "GET"
            ? APICall(method: method, path: path, query: encoded, headers: headers)
            : APICall(method: method, path: path, body: Array(encoded.utf8),
                      headers: headers.merging(["Content-Type": "application/x-www-form-urlencoded"]) { a, _ in a })
        let response = await emulator.handle(call)
        return Answer(status: response.status, json: (try? JSONParser.parse(response.body)) ?? .null)
    }

    func get(_ path: String, _ params: [(String, String)] = []) async -> Answer { await call("GET", path, params) }
    func post(_ path: String, _ params: [(String, String)] = []) async -> Answer { await call("POST", path, params) }
}
