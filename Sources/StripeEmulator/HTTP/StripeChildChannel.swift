import Foundation
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import StripeEngine
import StripeWire
import Synchronization

/// The fake Stripe's connections inside Hummingbird's server: NIO's HTTP/1.1 codec and one
/// handler that hands each complete request to ``StripeEmulator/handle(_:)``.
///
/// The emulator needs no routing, middleware or streaming bodies from a web framework: it takes
/// a whole request and returns whole bytes. Serving it straight from a channel handler, on the
/// connection's own event loop, skips the async channel bridge and the request and response
/// conversions, which were most of the time of a small request (a read answers in tens of
/// microseconds). Hummingbird still owns the listening socket, startup and graceful shutdown.
public struct StripeChildChannel: ServerChildChannel {
    public struct Value: ServerChildChannelValue {
        public let channel: any Channel
    }

    let emulator: StripeEmulator
    let serverName: String
    let maxBodySize: Int
    let limits: ConnectionLimits
    let open: ConnectionCount

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let emulator = self.emulator, serverName = self.serverName, maxBodySize = self.maxBodySize, limits = self.limits
        let open = self.open
        guard open.enter(limit: limits.maxConnections) else {
            // Over the cap: a Stripe-shaped 503 and the connection closes (the client may retry).
            return channel.eventLoop.makeCompletedFuture {
                var buffer = channel.allocator.buffer(capacity: 256)
                buffer.writeBytes(APIResponse.tooManyConnections(limit: limits.maxConnections).http1Bytes(serverName: serverName))
                channel.writeAndFlush(buffer).whenComplete { _ in channel.close(promise: nil) }
                return Value(channel: channel)
            }
        }
        channel.closeFuture.whenComplete { _ in open.leave() }
        return channel.eventLoop.makeCompletedFuture {
            // A connection with no request for `idleTimeout` is closed (keep-alive clients reconnect).
            try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: limits.idleTimeout))
            // Protocol errors are answered by `StripeRequestHandler` (with a Stripe error body).
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: false)
            try channel.pipeline.syncOperations.addHandler(
                StripeRequestHandler(emulator: emulator, serverName: serverName, maxBodySize: maxBodySize))
            return Value(channel: channel)
        }
    }

    /// The connection lives in its handler; this task only ends with it (or closes it when the
    /// server shuts down).
    public func handle(value: Value, logger: Logger) async {
        await withTaskCancellationHandler {
            try? await value.channel.closeFuture.get()
        } onCancel: {
            value.channel.close(promise: nil)
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 for the fake Stripe (see ``StripeChildChannel``). Hummingbird's `Application`
    /// still asks for a responder; this channel does not use it.
    public static func stripe(_ emulator: StripeEmulator, serverName: String = "effinity-stripe",
                              maxBodySize: Int = 4 << 20, limits: ConnectionLimits = ConnectionLimits(),
                              connections open: ConnectionCount = ConnectionCount()) -> HTTPServerBuilder {
        .init { _ in
            StripeChildChannel(emulator: emulator, serverName: serverName, maxBodySize: maxBodySize, limits: limits, open: open)
        }
    }
}

/// Collects one request, answers it on the connection's event loop, then the next (NIO's
/// pipelining handler holds later requests until an answer is complete).
final class StripeRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let emulator: StripeEmulator
    let serverName: String
    let maxBodySize: Int
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var tooLarge = false
    private var executor: EventLoopTaskExecutor?
    /// A request is being answered (the connection is not idle).
    private var answering = false
    /// The client closed its side: close ours once nothing is left to answer.
    private var inputClosed = false

    init(emulator: StripeEmulator, serverName: String, maxBodySize: Int) {
        self.emulator = emulator
        self.serverName = serverName
        self.maxBodySize = maxBodySize
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = nil
            tooLarge = false
        case .body(var chunk):
            guard !tooLarge else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > maxBodySize {
                tooLarge = true
                body = nil
            } else if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            if tooLarge {
                write(.bodyTooLarge(limit: maxBodySize), keepAlive: false, version: head.version, context: context)
                return
            }
            if head.method == .CONNECT {
                // Not a proxy: a Stripe-shaped 405, then the connection closes (no tunnel). NIO's
                // encoder sends no body after a CONNECT, so the bytes go out below it.
                let bytes = APIResponse.connectRefused.http1Bytes(serverName: serverName)
                let buffer = context.channel.allocator.buffer(bytes: bytes)
                let channel = context.channel
                if let below = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self) {
                    below.writeAndFlush(NIOAny(buffer)).whenComplete { _ in channel.close(promise: nil) }
                } else {
                    context.close(promise: nil)
                }
                return
            }
            answer(head, body: body.map { Array(buffer: $0) } ?? [], context: context)
            body = nil
        }
    }

    /// A request that is not HTTP gets a Stripe-shaped 400, then the connection closes (the
    /// parser cannot go on). NIO's pipelining handler delivers the error only once any answer in
    /// progress is complete, so the 400 never interleaves with another response.
    /// A client that half-closes (or goes away) gets its answer, then the connection closes: no
    /// socket stays in CLOSE-WAIT. An idle connection (no request for the idle timeout) closes.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            inputClosed = true
            if !answering && head == nil { context.close(promise: nil) }
            return
        }
        if event is IdleStateHandler.IdleStateEvent {
            if !answering && head == nil { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else { context.close(promise: nil); return }
        write(.malformedRequest, keepAlive: false, version: .http1_1, context: context)
    }

    private func answer(_ head: HTTPRequestHead, body: [UInt8], context: ChannelHandlerContext) {
        var headers: [String: String] = [:]
        for h in head.headers { headers[h.name.lowercased()] = h.value }
        let (path, query) = Self.split(head.uri)
        let call = APICall(method: head.method.rawValue, path: path, query: query, body: body, headers: headers)
        let loop = context.eventLoop
        let executor = self.executor ?? EventLoopTaskExecutor(loop: loop)
        self.executor = executor
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let keepAlive = head.isKeepAlive, version = head.version
        let emulator = self.emulator
        answering = true
        Task(executorPreference: executor) {
            let response = await emulator.handle(call)
            if loop.inEventLoop {
                let (handler, context) = bound.value
                handler.write(response, keepAlive: keepAlive, version: version, context: context)
            } else {
                loop.execute {
                    let (handler, context) = bound.value
                    handler.write(response, keepAlive: keepAlive, version: version, context: context)
                }
            }
        }
    }

    private func write(_ response: APIResponse, keepAlive: Bool, version: HTTPVersion, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.reserveCapacity(response.headers.count + 4)
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        headers.add(name: "Content-Length", value: String(response.body.count))
        headers.add(name: "Date", value: HTTPDate.now())
        headers.add(name: "Server", value: serverName)
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: .init(statusCode: response.status),
                                                             headers: headers))), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: response.body.count)
        buffer.writeBytes(response.body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        answering = false
        if !keepAlive || inputClosed {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// Path and query of a request target (origin form, or absolute form from a proxy).
    static func split(_ uri: String) -> (String, String?) {
        var target = Substring(uri)
        if !target.hasPrefix("/"), let scheme = target.range(of: "://") {
            let afterHost = target[scheme.upperBound...]
            target = afterHost.firstIndex(where: { $0 == "/" || $0 == "?" }).map { afterHost[$0...] } ?? "/"
        }
        guard let q = target.firstIndex(of: "?") else { return (String(target), nil) }
        return (String(target[..<q]), String(target[target.index(after: q)...]))
    }
}

/// The `Date` header, formatted once per second.
enum HTTPDate {
    private static let cache = Mutex<(second: Int, text: String)>((0, ""))

    static func now() -> String {
        let second = Int(Date().timeIntervalSince1970)
        return cache.withLock { c in
            if c.second != second { c = (second, format(second)) }
            return c.text
        }
    }

    static func format(_ second: Int) -> String {
        var t = time_t(second)
        var parts = tm()
        gmtime_r(&t, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
