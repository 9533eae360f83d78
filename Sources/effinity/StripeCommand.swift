import ArgumentParser
import Foundation
import Hummingbird
import Logging
import EffinityTesting
import StripeEmulator
import StripeWire

/// `effinity stripe`: runs the fake Stripe server until Ctrl-C.
struct StripeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stripe",
        abstract: "Run the fake Stripe server (Stripe's v1 REST API, stateful, one account per API key).",
        discussion: """
            Point any Stripe SDK at the printed base URL (for Python: stripe.api_base = "http://127.0.0.1:12111") \
            and use any key starting with sk_test_. Each distinct key is its own isolated account.
            """
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(name: .customLong("api-version"),
            help: "The API version a new account defaults to (requests without Stripe-Version, events, endpoints without their own); the newest by default.")
    var apiVersion = StripeAPIVersion.current

    @Option(help: "Port to listen on (0 picks a free port; the chosen one is printed).")
    var port = 12111

    @Option(name: .customLong("db"), help: ArgumentHelp("Keep state in this SQLite file (WAL mode); it survives restarts.", valueName: "path"))
    var dbPath: String?

    @Flag(help: "Keep state in memory only; it is gone when the server stops. This is the default when --db is not given.")
    var inMemory = false

    @Option(help: "Deterministic mode: ids are sequential per prefix and account (cus_000000000001) instead of random. The seed also drives any seeded fault injection.")
    var seed: Int?

    @Option(help: "Open connections at most; one more is answered with a Stripe-shaped 503 and closed.")
    var maxConnections = 4_096

    @Option(help: ArgumentHelp("Close a keep-alive connection with no request for this many seconds.", valueName: "seconds"))
    var idleTimeout = 60

    @Option(help: "Endpoints of one account served at once when delivering webhooks (1: one after another).")
    var parallelEndpoints = 8

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel = "notice"

    @Option(help: "The API key printed in the banner; --forward-to registers its endpoint on this key's account.")
    var apiKey = "sk_test_effinity"

    @Option(help: ArgumentHelp("Like `stripe listen --forward-to`: register a webhook endpoint for this URL at start and print its signing secret.", valueName: "url"))
    var forwardTo: String?

    @Option(help: ArgumentHelp("Event types to forward (comma separated); default all (*).", valueName: "types"))
    var events: String = "*"

    @Option(help: ArgumentHelp("Also write the forwarding endpoint's signing secret to this file (for CI).", valueName: "path"))
    var printSecretTo: String?

    @Option(help: ArgumentHelp("Keep an event retrievable this many days of the account's clock after it was logged, as Stripe keeps them 30 (0: keep every event).", valueName: "days"))
    var eventRetentionDays = 30

    @Flag(help: "Enforce real Stripe's test-clock caps (3 customers per clock, advances of at most two intervals).")
    var strictClocks = false

    func validate() throws {
        if dbPath != nil && inMemory { throw ValidationError("--db and --in-memory cannot be used together.") }
        guard apiKey.hasPrefix("sk_test_"), apiKey.count > 8 else { throw ValidationError("--api-key must start with sk_test_.") }
        if printSecretTo != nil && forwardTo == nil { throw ValidationError("--print-secret-to needs --forward-to.") }
        if let url = forwardTo, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("--forward-to must be an http:// or https:// URL.")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535.") }
        guard APIVersion(apiVersion) != nil else {
            throw ValidationError("Unknown --api-version '\(apiVersion)': from \(APIVersion.known.first!) to \(APIVersion.known.last!), like 2024-06-20 or 2025-03-31.basil.")
        }
        guard (1...64).contains(parallelEndpoints) else { throw ValidationError("--parallel-endpoints must be 1 to 64.") }
        guard (0...36_500).contains(eventRetentionDays) else { throw ValidationError("--event-retention-days must be 0 (keep every event) to 36500.") }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1.") }
        guard (1...86_400).contains(idleTimeout) else { throw ValidationError("--idle-timeout must be 1 to 86400 seconds.") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("Unknown --log-level '\(logLevel)'.") }
    }

    func run() async throws {
        var logger = Logger(label: "effinity.stripe")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .notice
        let database = try dbPath.map { try EmulatorDatabase.file($0) } ?? EmulatorDatabase.inMemory()
        let host = self.host
        // With --port 0 the port is chosen now: the URLs the fake hands out must carry it.
        let port = self.port == 0 ? (FreePort.pick(host: host) ?? 0) : self.port
        let settings = EmulatorSettings(idMode: seed == nil ? .random : .sequential,
                                        baseURL: "http://\(host):\(port)", apiVersion: apiVersion, strictClocks: strictClocks,
                                        parallelEndpoints: parallelEndpoints,
                                        consoleRequiresKey: !Self.isLoopback(host), eventRetentionDays: eventRetentionDays)
        let emulator = StripeEmulator(database: database, settings: settings, logger: logger)
        var forwarding = ""
        if let url = forwardTo {
            let secret = try await registerForwarding(emulator, url: url)
            forwarding = "Forwarding \(events) events of \(apiKey) to \(url)\nWebhook signing secret: \(secret)\n"
            if let path = printSecretTo { try Data((secret + "\n").utf8).write(to: URL(fileURLWithPath: path)) }
        }
        let storage = dbPath.map { "SQLite file \($0)" } ?? "memory (state is lost on exit)"
        let apiKey = self.apiKey
        let forwardingBanner = forwarding
        let app = Application(
            responder: StripeHTTPResponder(emulator: emulator),
            server: .stripe(emulator, limits: ConnectionLimits(maxConnections: maxConnections, idleTimeout: .seconds(Int64(idleTimeout)))),
            configuration: .init(address: .hostname(host, port: port), serverName: "effinity-stripe"),
            services: [BackgroundWorkService(emulator: emulator)],
            onServerRunning: { channel in
                // A crash's backtrace helper must not inherit the listening socket (see CloseOnExec).
                CloseOnExec.markSockets()
                CrashListenerRelease.install()
                let actualPort = channel.localAddress?.port ?? 0
                let banner = """
                    Fake Stripe listening on http://\(host):\(actualPort)
                    API key: \(apiKey) (any sk_test_... key works; each key is its own account)
                    Console: http://\(host):\(actualPort)/console\(Self.isLoopback(host) ? "/open?key=\(apiKey)" : " (asks for the account's API key: the server is reachable beyond this machine)")
                    State: \(storage)
                    \(forwardingBanner)Press Ctrl-C to stop.

                    """
                FileHandle.standardOutput.write(Data(banner.utf8))
            },
            logger: logger
        )
        try await app.runService()
    }

    /// Whether `host` only accepts connections from this machine (the console then lists the
    /// accounts it has seen without asking for a key).
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// Registers (or reuses, for a file database) the forwarding endpoint and returns its secret.
    func registerForwarding(_ emulator: StripeEmulator, url: String) async throws -> String {
        var body = "url=\(FormEncoder.escape(url))"
        for (i, e) in events.split(separator: ",").enumerated() {
            body += "&enabled_events[\(i)]=\(FormEncoder.escape(e.trimmingCharacters(in: .whitespaces)))"
        }
        body += "&description=effinity%20stripe%20--forward-to"
        let r = await emulator.handle(APICall(method: "POST", path: "/v1/webhook_endpoints", body: Array(body.utf8),
                                              headers: ["Authorization": "Bearer \(apiKey)"]))
        let json = try JSONParser.parse(r.body)
        guard r.status == 200, let secret = json["secret"].stringValue else {
            throw ValidationError("Could not register the --forward-to endpoint: \(json["error"]["message"].stringValue ?? r.bodyString)")
        }
        return secret
    }
}
