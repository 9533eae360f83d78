import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals
import StripeEmulator

/// A Hummingbird application on a local address, started and stopped from code: ``start(_:name:host:port:server:services:logger:)``
/// returns once the server listens (no sleeps), with the port the kernel picked when `port` is 0,
/// so tests and scenarios running in parallel never collide. ``stop()`` shuts it down gracefully.
public final class LoopbackServer: Sendable {
    public let host: String
    public let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    /// The server's base URL (`http://127.0.0.1:PORT`).
    public var url: String { "http://\(host):\(port)" }

    /// Why a server did not start (the port was taken, the address is invalid).
    public struct StartFailure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Starts `responder` and waits until it listens.
    /// - Parameters:
    ///   - services: run beside the server and stopped with it (the fake's background worker).
    ///   - logger: the server's logger; quiet (critical only) when nil.
    ///   - shutdownSignals: signals that stop the server gracefully (none: the caller stops it).
    public static func start<Responder: HTTPResponder>(
        _ responder: Responder, name: String, host: String = "127.0.0.1", port: Int = 0,
        server: HTTPServerBuilder = .http1PinnedToEventLoop(), services: [any Service] = [], logger: Logger? = nil,
        shutdownSignals: [UnixSignal] = []
    ) async throws -> LoopbackServer
    where Responder.Context: RequestContext, Responder.Context.Source == ApplicationRequestContextSource {
        let logger = logger ?? {
            var quiet = Logger(label: "effinity.\(name)")
            quiet.logLevel = .critical
            return quiet
        }()
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(responder: responder, server: server,
                              configuration: .init(address: .hostname(host, port: port), serverName: name),
                              services: services,
                              onServerRunning: { channel in
                                  CloseOnExec.markSockets()
                                  CrashListenerRelease.install()
                                  continuation.yield(channel.localAddress?.port ?? 0)
                                  continuation.finish()
                              }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: shutdownSignals, logger: logger))
        let task = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        var bound = 0
        for await p in ports { bound = p }
        guard bound > 0 else {
            task.cancel()
            let why: String
            do { try await task.value; why = "it stopped before listening" } catch { why = "\(error)" }
            throw StartFailure(description: "the \(name) server did not start on \(host):\(port): \(why)")
        }
        return LoopbackServer(host: host, port: bound, group: group, task: task)
    }

    private init(host: String, port: Int, group: ServiceGroup, task: Task<Void, any Error>) {
        self.host = host
        self.port = port
        self.group = group
        self.task = task
    }

    /// Stops the server (and its services) and waits until it has.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }

    /// Waits until the server stops on its own (a signal handled elsewhere, or an error).
    public func wait() async throws {
        try await task.value
    }
}
