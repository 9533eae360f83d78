import NIOCore
import NIOHTTP1
import StripeWire
import Synchronization

/// How many connections the fake keeps and for how long: a shared fake in CI serves many
/// suites, and one that leaks or hoards sockets must not run it out of descriptors.
public struct ConnectionLimits: Sendable {
    /// Open connections at most; one more is answered with a Stripe-shaped 503 and closed.
    public var maxConnections: Int
    /// A keep-alive connection with no request for this long is closed.
    public var idleTimeout: TimeAmount

    public init(maxConnections: Int = 4_096, idleTimeout: TimeAmount = .seconds(60)) {
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
    }
}

/// The open connections of one server.
public final class ConnectionCount: Sendable {
    private let count = Atomic<Int>(0)

    public init() {}

    public var current: Int { count.load(ordering: .relaxed) }

    /// Counts a new connection; false (and not counted) when `limit` are open.
    func enter(limit: Int) -> Bool {
        while true {
            let n = count.load(ordering: .relaxed)
            guard n < limit else { return false }
            if count.compareExchange(expected: n, desired: n + 1, ordering: .relaxed).exchanged { return true }
        }
    }

    func leave() {
        count.wrappingSubtract(1, ordering: .relaxed)
    }
}

extension APIResponse {
    static func tooManyConnections(limit: Int) -> APIResponse {
        var r = refused(StripeError(status: 503, type: .apiError,
                                    message: "The fake Stripe has \(limit) connections open, its limit; retry shortly."))
        r.headers.append(("Stripe-Should-Retry", "true"))
        return r
    }

    /// The whole HTTP/1.1 response, for a connection answered before any parser is installed.
    func http1Bytes(serverName: String) -> [UInt8] {
        var text = "HTTP/1.1 \(status) \(HTTPResponseStatus(statusCode: status).reasonPhrase)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "Content-Length: \(body.count)\r\nServer: \(serverName)\r\nConnection: close\r\n\r\n"
        return Array(text.utf8) + body
    }
}
