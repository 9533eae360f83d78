import StripeEngine
import HummingbirdCore
import Logging
import NIOCore

extension HTTPServerBuilder {
    /// HTTP/1.1 where each connection's handling runs on the event loop that owns its socket.
    ///
    /// Hummingbird runs a connection's handler in Swift Concurrency's global pool, so every request
    /// crosses threads twice (the socket's loop wakes a pool thread, which wakes the loop again to
    /// write the answer). A fake Stripe answers most requests in tens of microseconds, so those
    /// wake-ups are most of its latency at concurrency 1. Preferring the channel's own loop as the
    /// connection task's executor keeps a request on one thread from read to write.
    public static func http1PinnedToEventLoop(configuration: HTTP1Channel.Configuration = .init()) -> HTTPServerBuilder {
        .init { responder in
            EventLoopPinnedChannel(inner: HTTP1Channel(responder: responder, configuration: configuration))
        }
    }
}

/// A server child channel whose `handle` runs with the channel's event loop as task executor.
struct EventLoopPinnedChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value
    let inner: Inner

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        let executor = EventLoopTaskExecutor(loop: value.channel.eventLoop)
        await withTaskExecutorPreference(executor) {
            await inner.handle(value: value, logger: logger)
        }
    }
}
