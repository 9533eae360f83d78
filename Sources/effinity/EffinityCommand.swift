import ArgumentParser
import Foundation

/// The `effinity` command line: the fake Stripe, the EFFINITY app and the scenario runner.
@main
struct Effinity: AsyncParsableCommand {
    /// Exit codes: 0 success, 1 failures (scenarios that failed), 2 invalid input or misuse of the
    /// command line (with the usage), 130 interrupted. A closed output pipe is not a crash.
    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            // ArgumentParser answers misuse with 64 (EX_USAGE); this tool's contract is 2.
            if code.rawValue == 64 {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "effinity",
        abstract: "A local, stateful Stripe for testing billing, the EFFINITY billing app, and a scenario runner.",
        version: EffinityVersion.description,
        subcommands: [ScenariosCommand.self, StripeCommand.self, AppCommand.self, WorkerCommand.self, DevCommand.self, TokenCommand.self, BenchCommand.self]
    )
}

/// Writes a line to standard output at once (print is block-buffered when stdout is a file or pipe,
/// and a banner must be readable by scripts while the server runs). A reader that went away
/// (`effinity … | head`) ends the output, not the process.
func say(_ text: String) {
    let bytes = Array((text + "\n").utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { Foundation.write(1, $0.baseAddress, $0.count) }
        if n > 0 { offset += n } else if n < 0, errno == EINTR { continue } else { return }
    }
}
