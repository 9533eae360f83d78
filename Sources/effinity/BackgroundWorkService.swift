import ServiceLifecycle
import StripeEmulator

/// Runs the fake's background loop (due work on wall time, webhook deliveries) beside the HTTP
/// server, and stops it when the server shuts down.
struct BackgroundWorkService: Service {
    let emulator: StripeEmulator

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            await emulator.runBackground()
        }
    }
}
