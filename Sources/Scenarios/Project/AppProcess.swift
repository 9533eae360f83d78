import AsyncHTTPClient
import Foundation
import NIOCore

/// The app under test as a child process: started in a process group of its own (so one signal
/// reaches every process it forks, and Ctrl-C in the terminal reaches the runner, which then
/// stops it), its output captured to a log file, stopped with the project's
/// signal and then `SIGKILL`.
final class AppProcess: Sendable {
    let process: SpawnedProcess
    let logPath: String
    /// The process group (the leader's pid).
    var group: Int32 { process.pid }

    private init(process: SpawnedProcess, logPath: String) {
        self.process = process
        self.logPath = logPath
    }

    /// Starts `command` in `cwd` with `env` added to the runner's environment.
    static func start(_ command: [String], cwd: String, env: [String: String], logPath: String) throws -> AppProcess {
        let environment = ProcessInfo.processInfo.environment.merging(env) { _, new in new }
        do {
            return AppProcess(process: try SpawnedProcess.spawn(command, cwd: cwd, environment: environment, output: logPath), logPath: logPath)
        } catch {
            throw ScenarioFailure("could not start the app (\(command.joined(separator: " ")) in \(cwd)): \(error)")
        }
    }

    /// Polls `url` until it answers 2xx; fails if the app exits first or `timeout` passes.
    func waitUntilReady(_ url: String, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        var last = "no answer"
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw ScenarioFailure("the app \(process.ending) before \(url) answered\n" + tail())
            }
            var request = HTTPClientRequest(url: url)
            request.method = .GET
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(2))
                _ = try? await response.body.collect(upTo: 1 << 20)
                if (200..<300).contains(Int(response.status.code)) { return }
                last = "it answered \(response.status.code)"
            } catch {
                last = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ScenarioFailure("the app was not ready within \(timeout.components.seconds) s (GET \(url): \(last)); it is stopped\n" + tail())
    }

    /// Sends `signal` to the group, waits up to `grace`, then kills what is left of it.
    func stop(signal: Int32, grace: Duration) async {
        if process.isRunning {
            kill(-group, signal)
            let deadline = ContinuousClock.now + grace
            while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        }
        // Whatever the app forked into its group goes too.
        kill(-group, SIGKILL)
        while process.isRunning { try? await Task.sleep(for: .milliseconds(5)) }
    }

    /// The last lines the app printed.
    func tail(_ lines: Int = 30) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        let kept = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines)
        return kept.isEmpty ? "(the app printed nothing)" : "the app's last output (\(logPath)):\n" + kept.map { "  | \($0)" }.joined(separator: "\n")
    }
}

/// A command the project runs to completion (migrations, making a user): its output, or a
/// failure that shows it.
enum ProjectCommand {
    static func run(_ command: [String], cwd: String, env: [String: String], timeout: Duration, what: String) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        process.currentDirectoryURL = URL(fileURLWithPath: cwd)
        process.environment = ProcessInfo.processInfo.environment.merging(env) { _, new in new }
        process.standardInput = FileHandle.nullDevice
        let out: OutputFile, err: OutputFile
        do { (out, err) = (try OutputFile(), try OutputFile()) } catch { throw ScenarioFailure("\(what): could not make a file for its output: \(error)") }
        process.standardOutput = out.handle
        process.standardError = err.handle
        let exited = AsyncStream<Void>.makeStream()
        process.terminationHandler = { _ in exited.continuation.yield(); exited.continuation.finish() }
        do { try process.run() } catch { throw ScenarioFailure("\(what): could not run \(command.joined(separator: " ")): \(error)") }
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        for await _ in exited.stream {}
        watchdog.cancel()
        let stdout = out.text(), stderr = err.text()
        guard process.terminationStatus == 0, process.terminationReason == .exit else {
            let how = process.terminationReason == .uncaughtSignal ? "was killed (signal \(process.terminationStatus)\(process.terminationStatus == SIGKILL ? ", after \(timeout.components.seconds) s" : ""))"
                                                                     : "exited with code \(process.terminationStatus)"
            let output = (stdout + stderr).split(separator: "\n").suffix(20).map { "  | \($0)" }.joined(separator: "\n")
            throw ScenarioFailure("\(what): \(command.joined(separator: " ")) \(how)" + (output.isEmpty ? "" : "\n" + output))
        }
        return stdout
    }
}
