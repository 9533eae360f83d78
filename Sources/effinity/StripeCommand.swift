import ArgumentParser
import Foundation
import Hummingbird
import Logging
import StripeEmulator

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

    @Option(help: "Port to listen on (0 picks a free port; the chosen one is printed).")
    var port = 12111

    @Option(name: .customLong("db"), help: ArgumentHelp("Keep state in this SQLite file (WAL mode); it survives restarts.", valueName: "path"))
    var dbPath: String?

    @Flag(help: "Keep state in memory only; it is gone when the server stops. This is the default when --db is not given.")
    var inMemory = false

    @Option(help: "Deterministic mode: ids are sequential per prefix and account (cus_000000000001) instead of random. The seed also drives any seeded fault injection.")
    var seed: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel = "notice"

    func validate() throws {
        if dbPath != nil && inMemory { throw ValidationError("--db and --in-memory cannot be used together.") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535.") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("Unknown --log-level '\(logLevel)'.") }
    }

    func run() async throws {
        var logger = Logger(label: "effinity.stripe")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .notice
        let database = try dbPath.map { try EmulatorDatabase.file($0) } ?? EmulatorDatabase.inMemory()
        let host = self.host
        let settings = EmulatorSettings(idMode: seed == nil ? .random : .sequential,
                                        baseURL: "http://\(host):\(port)")
        let emulator = StripeEmulator(database: database, settings: settings, logger: logger)
        let storage = dbPath.map { "SQLite file \($0)" } ?? "memory (state is lost on exit)"
        let app = Application(
            responder: StripeHTTPResponder(emulator: emulator),
            configuration: .init(address: .hostname(host, port: port), serverName: "effinity-stripe"),
            onServerRunning: { channel in
                let actualPort = channel.localAddress?.port ?? 0
                let banner = """
                    Fake Stripe listening on http://\(host):\(actualPort)
                    API key: sk_test_effinity (any sk_test_... key works; each key is its own account)
                    State: \(storage)
                    Press Ctrl-C to stop.

                    """
                FileHandle.standardOutput.write(Data(banner.utf8))
            },
            logger: logger
        )
        try await app.runService()
    }
}
