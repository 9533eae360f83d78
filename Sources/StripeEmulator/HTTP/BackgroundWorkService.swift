import ServiceLifecycle

/// Runs the fake's background loop (due work on wall time, webhook deliveries) beside the HTTP
/// server, and stops it when the server shuts down.
public struct BackgroundWorkService: Service {
    public let emulator: StripeEmulator

    public init(emulator: StripeEmulator) {
        self.emulator = emulator
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            await emulator.runBackground()
        }
    }
}
