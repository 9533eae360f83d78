import Foundation
import Scenarios
import StripeWire
import Synchronization

/// Runs one scenario in its own worker process (`effinity scenarios worker`), so that a scenario
/// that traps or hangs fails alone: a crash is reported with its signal, a run longer than the
/// timeout is stopped (SIGTERM, then SIGKILL) and reported as timed out, and a scenario running
/// long prints a heartbeat line so a CI log shows what is going on.
struct IsolatedScenarioRun: Sendable {
    /// The worker's arguments after the scenario file (goldens, targets, flags).
    let arguments: [String]
    let timeout: Duration
    let heartbeat: Duration
    /// The running workers, so an interrupted run can stop them.
    let running: RunningWorkers

    func run(_ scenario: Scenario) async -> ScenarioResult {
        let began = ContinuousClock.now
        func seconds() -> Double {
            let d = ContinuousClock.now - began
            return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        }
        func failed(_ message: String) -> ScenarioResult {
            ScenarioResult(name: scenario.name, file: scenario.file, status: .failed, messages: [message], seconds: seconds())
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = ["scenarios", "worker", scenario.file] + arguments
        let output: OutputFile
        do { output = try OutputFile() } catch { return failed("could not make a file for a worker's output: \(error)") }
        process.standardOutput = output.handle
        process.standardError = output.handle
        let exited = AsyncStream<Void>.makeStream()
        process.terminationHandler = { _ in exited.continuation.yield(); exited.continuation.finish() }
        do { try process.run() } catch { return failed("could not start a worker: \(error)") }
        running.add(process)
        defer { running.remove(process) }
        let timedOut = Atomic<Bool>(false)
        let watchdog = Task {
            var waited: Duration = .zero
            while waited < timeout {
                let step = min(heartbeat, timeout - waited)
                try await Task.sleep(for: step)
                waited += step
                if waited < timeout { say("… \(scenario.name) still running (\(Int(waited.components.seconds)) s)") }
            }
            timedOut.store(true, ordering: .relaxed)
            process.terminate()
            // Time for the worker to stop an app under test and drop its database.
            try await Task.sleep(for: .seconds(10))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        for await _ in exited.stream {}
        watchdog.cancel()
        // Read from the file once the worker has exited: a process that inherited its output (a
        // crashed worker's backtracer) cannot hold this up.
        let text = output.text()
        if let line = text.split(separator: "\n").last(where: { $0.hasPrefix(ScenarioWorker.marker) }),
           let json = try? JSONParser.parse(Array(line.dropFirst(ScenarioWorker.marker.count).utf8)),
           let result = ScenarioResult(json: json) {
            return result
        }
        let tail = Self.essentials(of: text)
        if timedOut.load(ordering: .relaxed) {
            return failed("timed out after \(Int(timeout.components.seconds)) s (--timeout) and was stopped" + (tail.isEmpty ? "" : "; its last output:\n\(tail)"))
        }
        let how = process.terminationReason == .uncaughtSignal
            ? "crashed (signal \(process.terminationStatus))" : "exited with code \(process.terminationStatus) without a result"
        return failed("the scenario's worker \(how)" + (tail.isEmpty ? "" : "; its last output:\n\(tail)"))
    }
}

extension IsolatedScenarioRun {
    /// What a dead worker's output says that matters: the crash or fatal-error lines and the
    /// crashing thread's first frames (the runtime's backtrace lists every image too), else the
    /// last lines.
    static func essentials(of text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let crash = lines.firstIndex(where: { $0.contains("*** Program crashed") }) {
            var kept = lines[..<crash].filter { $0.contains("Fatal error") || $0.contains("error:") }.suffix(3)
            kept.append(lines[crash])
            if let thread = lines[crash...].firstIndex(where: { $0.hasSuffix("crashed:") }) {
                kept += lines[thread...].dropFirst().filter { !$0.isEmpty }.prefix(6)
            }
            return kept.joined(separator: "\n")
        }
        // An app under test's last lines, printed by a worker stopped for its timeout, come with their heading.
        if let app = lines.lastIndex(where: { $0.hasPrefix("the app's last output:") }) {
            return lines[app...].prefix(11).joined(separator: "\n")
        }
        return lines.suffix(12).joined(separator: "\n")
    }
}

/// Worker processes still running.
final class RunningWorkers: Sendable {
    private let processes = Mutex<[ObjectIdentifier: Process]>([:])

    func add(_ p: Process) { processes.withLock { $0[ObjectIdentifier(p)] = p } }
    func remove(_ p: Process) { _ = processes.withLock { $0.removeValue(forKey: ObjectIdentifier(p)) } }

    /// Stops them all (an interrupted run): SIGTERM, so each cleans up its world (an app under
    /// test, its database), then SIGKILL for any still running after `grace`.
    func stopAll(grace: Duration = .seconds(10)) {
        let all = processes.withLock { Array($0.values) }
        for p in all where p.isRunning { kill(p.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + grace
        while all.contains(where: \.isRunning), ContinuousClock.now < deadline { usleep(20_000) }
        for p in all where p.isRunning { kill(p.processIdentifier, SIGKILL) }
    }
}

extension Process: @retroactive @unchecked Sendable {}
