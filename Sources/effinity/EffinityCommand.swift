import ArgumentParser
import Foundation

/// The `effinity` command line: the fake Stripe, the EFFINITY app and the scenario runner.
@main
struct Effinity: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "effinity",
        abstract: "A local, stateful Stripe for testing billing, the EFFINITY billing app, and a scenario runner.",
        subcommands: [ScenariosCommand.self, StripeCommand.self, AppCommand.self, DevCommand.self, TokenCommand.self, BenchCommand.self]
    )
}

/// Writes a line to standard output at once (print is block-buffered when stdout is a file or pipe,
/// and a banner must be readable by scripts while the server runs).
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
