import Dispatch
import Foundation
import Synchronization

/// Ctrl-C and SIGTERM during a run: `onInterrupt` runs once (stop workers, write the reports of
/// what finished), then the process exits 130, as an interrupted command does.
final class Interruption: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    private let fired = Fired()

    /// Whether a signal came (set on the signal's queue, read by the run's ending).
    final class Fired: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .sequentiallyConsistent) }
        var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
    }

    init(_ onInterrupt: @escaping @Sendable () -> Void) {
        let fired = self.fired
        let queue = DispatchQueue(label: "effinity.interruption")
        sources = [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler {
                fired.set()
                onInterrupt()
                Foundation.exit(130)
            }
            source.resume()
            return source
        }
    }

    /// The run ended normally: signals act as usual again. If a signal came first, its handler
    /// is still stopping things and will exit with 130: the normal ending waits for it instead
    /// of exiting with its own code (workers interrupted by the same Ctrl-C end the run early).
    func cancel() {
        while fired.isSet { sleep(1) }
        for s in sources { s.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
