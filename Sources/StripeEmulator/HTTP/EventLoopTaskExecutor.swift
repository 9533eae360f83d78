import StripeEngine
import NIOCore

/// Runs Swift Concurrency jobs on a NIO event loop, so a connection's task stays on the thread
/// that owns its socket (see ``StripeChildChannel`` and `http1PinnedToEventLoop`).
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
