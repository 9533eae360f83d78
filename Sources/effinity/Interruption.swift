import Dispatch
import Foundation

/// Ctrl-C and SIGTERM during a run: `onInterrupt` runs once (stop workers, write the reports of
/// what finished), then the process exits 130, as an interrupted command does.
final class Interruption: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    init(_ onInterrupt: @escaping @Sendable () -> Void) {
        let queue = DispatchQueue(label: "effinity.interruption")
        sources = [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler {
                onInterrupt()
                Foundation.exit(130)
            }
            source.resume()
            return source
        }
    }

    /// The run ended normally: signals act as usual again.
    func cancel() {
        for s in sources { s.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
