import ArgumentParser
import Foundation
import Scenarios
import StripeWire

/// `effinity scenarios worker FILE`: runs one scenario and prints its result as one JSON line
/// (after ``marker``). `scenarios run` starts one per scenario, so a trap or a hang in a scenario
/// is that scenario's failure and not the end of the run.
struct ScenarioWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Run one scenario and print its result as JSON (used by `scenarios run`).",
        shouldDisplay: false)

    static let marker = "EFFINITY-SCENARIO-RESULT "

    @Argument(help: "The scenario file.") var file: String
    @Option(help: "Where golden files are.") var goldens: String
    @Flag(help: "Write its golden file.") var update = false
    @Option var stripeURL: String?
    @Option var appURL: String?
    @Option var databaseURL: String?
    @Option var stripeKey = "sk_test_effinity_dev"
    @Option var database: String?
    @Option var stripeVersion: String?
    @Option var project: String?
    @Flag var color = false

    func run() async throws {
        let scenario: Scenario
        do throws(ScenarioErrors) {
            scenario = try ScenarioParser.load(path: file)
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(2)
        }
        // Test hooks for the runner's own isolation (Tests/cli): a worker that traps or hangs on cue.
        let env = ProcessInfo.processInfo.environment
        if env["EFFINITY_TEST_CRASH_SCENARIO"] == scenario.name { fatalError("crash requested by EFFINITY_TEST_CRASH_SCENARIO") }
        if env["EFFINITY_TEST_HANG_SCENARIO"] == scenario.name { while true { try await Task.sleep(for: .seconds(3600)) } }
        let project: Project?
        do throws(ScenarioErrors) {
            project = try self.project.map { p throws(ScenarioErrors) in try ProjectParser.load(path: p) }
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(2)
        }
        // Stopped by the run (Ctrl-C, a timeout): the app's processes, database and folder go first.
        let interruption = Interruption {
            for tail in WorldJanitor.shared.appLogTails() { FileHandle.standardError.write(Data((tail + "\n").utf8)) }
            WorldJanitor.shared.cleanAllNow()
        }
        // Kept, not cancelled, until the process exits right after printing its result: the one
        // worker crash seen (a bad pointer in libdispatch's event loop, once in a CI run) came
        // with signal sources being torn down at exit.
        defer { withExtendedLifetime(interruption) {} }
        let targets = Targets(stripeURL: stripeURL, appURL: appURL, databasePath: databaseURL, stripeKey: stripeKey)
        // The parent decides whether goldens may be written (it refuses --update in CI).
        var environment = ProcessInfo.processInfo.environment
        environment["CI"] = nil
        let runner = ScenarioRunner(options: .init(goldens: Goldens(directory: goldens), update: update, targets: targets,
                                                   color: color, environment: environment, database: database,
                                                   stripeVersion: stripeVersion, project: project))
        let result = await runner.run(scenario)
        say(Self.marker + JSONWriter.string(result.json))
    }
}
