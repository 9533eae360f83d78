import Foundation

/// Runs a program (Chromium, poppler's `pdftotext`) with a deadline, its output kept in files
/// (a pipe nobody drains could block it), killed when the deadline passes.
public enum ExternalProcess {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// What a program printed.
    public struct Output: Sendable {
        public let stdout: [UInt8]
        /// Warnings a program printed while still succeeding (poppler's "Syntax Error"s).
        public let stderr: String
    }

    /// Runs `path` with `arguments` in a fresh temporary directory (passed to `arguments` so a
    /// program can keep its files there) and returns what it printed.
    /// Waiting happens off the cooperative pool: the program may fetch pages from a server
    /// running in this process, which must stay free to answer.
    public static func run(_ path: String, timeout: Duration = .seconds(30),
                           _ arguments: @escaping @Sendable (_ tmp: URL) -> [String]) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try runBlocking(path, timeout: timeout, arguments) })
            }
        }
    }

    static func runBlocking(_ path: String, timeout: Duration, _ arguments: (URL) -> [String]) throws -> Output {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("effinity-process-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let outURL = tmp.appendingPathComponent("stdout"), errURL = tmp.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }

        let args = arguments(tmp)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = args
        process.standardOutput = out
        process.standardError = err
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        if exited.wait(timeout: .now() + seconds) == .timedOut {
            process.terminate()
            if exited.wait(timeout: .now() + 2) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                _ = exited.wait(timeout: .now() + 5)
            }
            throw Failure(description: "\(path) did not finish within \(timeout) and was killed: \(args)")
        }
        let stderr = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(path) exited with \(process.terminationStatus): \(args)\n\(stderr.suffix(2000))")
        }
        return Output(stdout: Array(try Data(contentsOf: outURL)), stderr: stderr)
    }
}
