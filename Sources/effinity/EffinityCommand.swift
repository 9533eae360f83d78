import ArgumentParser

/// The `effinity` command line: the fake Stripe, the EFFINITY app and the scenario runner.
@main
struct Effinity: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "effinity",
        abstract: "A local, stateful Stripe for testing billing, the EFFINITY billing app, and a scenario runner.",
        subcommands: [StripeCommand.self, BenchCommand.self]
    )
}
