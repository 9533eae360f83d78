import ServiceLifecycle

/// A ``JobWorker`` as a service beside the HTTP server (`effinity app`'s in-process worker) or
/// alone (`effinity worker`): it runs until graceful shutdown, finishing the job in hand.
public struct JobWorkerService: Service {
    public let worker: JobWorker
    public let poll: Duration

    public init(worker: JobWorker, poll: Duration = .milliseconds(500)) {
        self.worker = worker
        self.poll = poll
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            await worker.run(poll: poll)
        }
    }
}
