import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import StripeEmulator

/// A Hummingbird application on 127.0.0.1 with a port the kernel picks, so scenarios running
/// in parallel never collide. ``stop()`` shuts it down gracefully.
final class LoopbackServer: Sendable {
    let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    var url: String { "http://127.0.0.1:\(port)" }

    static func start<Responder: HTTPResponder>(_ responder: Responder, name: String,
                                                server: HTTPServerBuilder = .http1PinnedToEventLoop()) async throws -> LoopbackServer
    where Responder.Context: RequestContext, Responder.Context.Source == ApplicationRequestContextSource {
        var logger = Logger(label: "effinity.scenario.\(name)")
        logger.logLevel = .critical
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(responder: responder, server: server, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: name),
                              onServerRunning: { channel in
                                  continuation.yield(channel.localAddress?.port ?? 0)
                                  continuation.finish()
                              }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task { try await group.run() }
        var port = 0
        for await p in ports { port = p }
        guard port > 0 else {
            task.cancel()
            throw ScenarioFailure("the \(name) server did not start: \((try? await task.value).map { "\($0)" } ?? "no port")")
        }
        return LoopbackServer(port: port, group: group, task: task)
    }

    private init(port: Int, group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port
        self.group = group
        self.task = task
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// Why a scenario step failed: a message for the report.
public struct ScenarioFailure: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ message: String) { description = message }
}
