import Foundation
import StripeWire

/// Runs one validated scenario from a fresh world to its golden comparison.
public struct ScenarioRunner: Sendable {
    public struct Options: Sendable {
        public var goldens: Goldens
        /// Write goldens instead of failing on differences (never when `CI=true`).
        public var update: Bool
        public var targets: Targets
        /// On a failure, leave the servers running and call `onKeep` with their URLs.
        public var keep: Bool
        public var color: Bool
        public var environment: [String: String]
        /// The in-process app's database: nil for in-memory SQLite, or a PostgreSQL URL.
        public var database: String?
        /// The API version the in-process app pins (`--stripe-version`); the newest when nil.
        public var stripeVersion: String?
        /// Run the app of this project file (`--project`) instead of EFFINITY.
        public var project: Project?

        public init(goldens: Goldens, update: Bool = false, targets: Targets = Targets(), keep: Bool = false, color: Bool = false,
                    environment: [String: String] = ProcessInfo.processInfo.environment, database: String? = nil,
                    stripeVersion: String? = nil, project: Project? = nil) {
            self.stripeVersion = stripeVersion
            self.project = project
            self.goldens = goldens
            self.update = update
            self.targets = targets
            self.keep = keep
            self.color = color
            self.environment = environment
            self.database = database
        }

        public var mayWriteGoldens: Bool { update && !Self.isCI(environment) }

        /// Whether the environment says CI: `CI` set to anything but empty, `0`, `false` or `no`
        /// (CI services set `true`, `1` or their own name).
        public static func isCI(_ environment: [String: String]) -> Bool {
            guard let value = environment["CI"]?.lowercased() else { return false }
            return !["", "0", "false", "no"].contains(value)
        }
    }

    public let options: Options
    /// Called when `--keep` holds a failed scenario's servers open (URLs, then waits).
    public let onKeep: @Sendable (String) async -> Void

    public init(options: Options, onKeep: @escaping @Sendable (String) async -> Void = { _ in }) {
        self.options = options
        self.onKeep = onKeep
    }

    public func run(_ scenario: Scenario) async -> ScenarioResult {
        let clock = ContinuousClock()
        let began = clock.now
        func seconds() -> Double {
            let d = clock.now - began
            return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        }
        func result(_ status: ScenarioResult.Status, _ messages: [String], _ snapshots: JSONValue = [:], env: [(String, String)] = []) -> ScenarioResult {
            ScenarioResult(name: scenario.name, file: scenario.file, status: status, messages: messages, seconds: seconds(),
                           snapshots: snapshots, env: env)
        }
        let world: World
        do {
            if let project = options.project {
                world = try await World.project(project, given: scenario.given)
            } else if options.targets.isExternal {
                world = try await World.external(options.targets, given: scenario.given)
            } else {
                world = try await World.inProcess(scenario.given, database: options.database, stripeVersion: options.stripeVersion)
            }
        } catch {
            return result(.failed, ["could not start: \(error)"])
        }
        let run = ScenarioRun(scenario: scenario, world: world, env: options.environment)
        var failure: String? = nil
        do {
            try await run.setUp()
            try await run.run(scenario.steps)
            try await run.snapshot("end")
            if !run.softFailures.isEmpty {
                failure = "\(run.softFailures.count) soft step\(run.softFailures.count == 1 ? "" : "s") failed:\n  " + run.softFailures.joined(separator: "\n  ")
            }
        } catch {
            failure = (run.softFailures.map { "\($0)\n" }.joined()) + "\(error)"
            // The state where it stopped, for the JSON report (never compared with a golden).
            try? await run.snapshot("at_failure")
        }
        if let failure {
            if options.keep {
                let users = run.userHeaders.sorted { $0.key < $1.key }.map {
                    "\n  " + world.app.howToActAs($0.key, headers: $0.value, appURL: world.appURL)
                }.joined()
                await onKeep("""
                    \(scenario.name) failed: \(failure)
                    Its servers stay up for inspection (Ctrl-C to stop):
                      fake Stripe: \(world.stripeURL) (key \(world.key))
                      app:         \(world.appURL)
                    """ + users)
            }
            let diagnostics = world.app.diagnostics()
            await world.stop()
            return result(.failed, [failure] + run.notes + (diagnostics.map { [$0] } ?? []), Goldens.document(run.snapshots))
        }
        let env = run.scenario.env.map { key, template in
            (key, (try? run.resolveText(template, Step(name: nil, location: "env.\(key)", kind: .snapshot("")))) ?? "")
        }
        await world.stop()
        let actual = Goldens.document(run.snapshots)
        // A shared server holds other data and random ids: its snapshots are reported, not compared.
        // Known failures met (and marks that no longer fail) are reported with any result.
        if !world.comparesGoldens { return result(.passed, run.notes, actual, env: env) }
        return compare(scenario, actual, result: { status, messages in result(status, messages + run.notes, actual, env: env) })
    }

    func compare(_ scenario: Scenario, _ actual: JSONValue,
                 result: (ScenarioResult.Status, [String]) -> ScenarioResult) -> ScenarioResult {
        let golden: JSONValue?
        do { golden = try options.goldens.read(scenario.name) } catch {
            return result(.failed, ["cannot read \(options.goldens.path(for: scenario.name)): \(error)"])
        }
        if golden == actual { return result(.passed, []) }
        if options.mayWriteGoldens {
            do { try options.goldens.write(scenario.name, actual) } catch {
                return result(.failed, ["cannot write \(options.goldens.path(for: scenario.name)): \(error)"])
            }
            return result(.updated, [])
        }
        guard let golden else {
            return result(.failed, ["no golden file \(options.goldens.path(for: scenario.name)) (run with --update to create it)"])
        }
        let changes = JSONDiff.changes(expected: golden, actual: actual)
        return result(.failed, ["differs from \(options.goldens.path(for: scenario.name)) in \(changes.count) place\(changes.count == 1 ? "" : "s"):"]
                                 + JSONDiff.render(changes, color: options.color))
    }
}
