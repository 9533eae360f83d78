import ArgumentParser
import Foundation
import Scenarios

/// `effinity bench scenarios`: the scenario suite's wall time and the median time per scenario,
/// measured like a CI run (goldens compared, nothing written).
struct ScenarioBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenarios", abstract: "Time the scenario suite (wall time, median and slowest scenario).")

    @Argument(help: "Scenario files or folders.") var paths: [String] = ["scenarios"]
    @Option(help: "Scenarios run at once.") var jobs = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Where goldens are.") var goldens = "goldens"

    func run() async throws {
        let suite: Suite
        do { suite = try Suite.load(paths: paths) } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(2)
        }
        let runner = ScenarioRunner(options: .init(goldens: Goldens(directory: goldens)))
        let began = ContinuousClock.now
        let results = await runner.run(suite, jobs: jobs) { _, _, _ in }
        let wall = ContinuousClock.now - began
        let seconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        let times = results.map(\.seconds).sorted()
        let median = times.isEmpty ? 0 : (times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2)
        let slowest = results.max { $0.seconds < $1.seconds }
        say("scenarios \(results.count)")
        say("passed \(results.filter(\.passed).count)")
        say("jobs \(jobs)")
        say("wall_seconds \(String(format: "%.3f", seconds))")
        say("median_seconds \(String(format: "%.3f", median))")
        say("slowest_seconds \(String(format: "%.3f", slowest?.seconds ?? 0)) (\(slowest?.name ?? "-"))")
        if results.contains(where: { !$0.passed }) {
            for r in results where !r.passed { say("failed: \(r.name): \(r.messages.first ?? "")") }
            throw ExitCode(1)
        }
    }
}
