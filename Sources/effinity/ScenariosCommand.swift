import ArgumentParser
import Foundation
import Synchronization
import Billing
import Scenarios
import StripeEmulator

/// `effinity scenarios`: run, list and validate JSON scenarios.
struct ScenariosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenarios", abstract: "Run JSON billing scenarios end to end and diff them against golden files.",
        subcommands: [ScenariosRun.self, ScenariosList.self, ScenariosValidate.self, ScenarioWorker.self], defaultSubcommand: ScenariosRun.self)
}

/// What selects scenarios: paths, a name glob, tags.
struct ScenarioSelection: ParsableArguments {
    @Argument(help: "Scenario files or folders (default: scenarios).") var paths: [String] = []
    @Option(help: ArgumentHelp("Only scenarios whose name matches this glob (* and ?).", valueName: "glob")) var name: String?
    @Option(help: ArgumentHelp("Only scenarios with this tag (repeatable).", valueName: "tag")) var tag: [String] = []
    @Option(help: ArgumentHelp("Drive the app of this project (a folder with effinity.json, see docs/PROJECT.md) instead of EFFINITY.",
                               valueName: "dir")) var project: String?

    var roots: [String] { paths.isEmpty ? [loadedProject?.scenarios ?? "scenarios"] : paths }

    /// The project file, parsed (``loadProject()`` has validated it first).
    var loadedProject: Project? { project.flatMap { try? ProjectParser.load(path: $0) } }

    /// The project of `--project`, or nil; an invalid file prints every problem and exits with 2.
    func loadProject() throws -> Project? {
        guard let project else { return nil }
        do throws(ScenarioErrors) {
            return try ProjectParser.load(path: project)
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            FileHandle.standardError.write(Data("\(error.errors.count) problem\(error.errors.count == 1 ? "" : "s") found in the project file; nothing was run.\n".utf8))
            throw ExitCode(2)
        }
    }

    /// Loads and validates; on invalid files prints every error and exits with 2 (after
    /// `beforeExit` has seen the errors: `run` writes its reports for them).
    func suite(beforeExit: (ScenarioErrors) throws -> Void = { _ in }) throws -> Suite {
        let project = try loadProject()
        do throws(ScenarioErrors) {
            let suite = try Suite.load(paths: roots)
            if let project { try suite.checkForProject(project) }
            return suite.selecting(name: name, tags: tag)
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            FileHandle.standardError.write(Data("\(error.errors.count) problem\(error.errors.count == 1 ? "" : "s") found; nothing was run.\n".utf8))
            try beforeExit(error)
            throw ExitCode(2)
        }
    }

    /// Where goldens live: the nearest `goldens/` folder at or above the first path given (up to
    /// the working directory for a relative path, so `scenarios/limits` uses the repository's
    /// top-level `goldens/`), or else `goldens/` beside it.
    var goldensDirectory: String {
        if let p = loadedProject { return p.goldens }
        var isDir: ObjCBool = false
        var dir = roots[0].hasSuffix("/") ? String(roots[0].dropLast()) : roots[0]
        if !(FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) && isDir.boolValue) {
            dir = dir.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            if dir.isEmpty { dir = "." }
        }
        var probe = dir
        while true {
            if FileManager.default.fileExists(atPath: probe + "/goldens", isDirectory: &isDir), isDir.boolValue {
                return probe == "." ? "goldens" : probe + "/goldens"
            }
            let parts = probe.split(separator: "/", omittingEmptySubsequences: false)
            if probe == "." || probe.isEmpty { break }
            // A relative path climbs to the working directory (`scenarios/limits` finds `./goldens`).
            probe = parts.count > 1 ? parts.dropLast().joined(separator: "/") : (probe.hasPrefix("/") ? "" : ".")
            if probe.isEmpty { break }
        }
        return dir + "/goldens"
    }
}

struct ScenariosRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run scenarios (exit 0: all passed, 1: some failed, 2: invalid input).")

    @OptionGroup var selection: ScenarioSelection
    @Flag(help: "Write golden files for the snapshots taken (refused in CI: CI set to true, 1, … or --ci).") var update = false
    @Flag(help: "Behave as in CI (refuse --update) even when CI is not set.") var ci = false
    @Flag(help: "Exit 0 when no scenario is selected (by default an empty selection is a failure: a mistyped --name or --tag).")
    var allowEmpty = false
    @Option(help: ArgumentHelp("Write a JUnit XML report here.", valueName: "file")) var junit: String?
    @Option(help: ArgumentHelp("Write a JSON report here.", valueName: "file")) var json: String?
    @Option(help: "Scenarios run at once (default: the number of cores).") var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: ArgumentHelp("Run only shard i of n (1-based), e.g. 2/4.", valueName: "i/n")) var shard: String?
    @Option(help: ArgumentHelp("Where golden files are (default: goldens/ beside the scenarios).", valueName: "dir")) var goldens: String?
    @Flag(help: "After a failure, leave that scenario's fake and app running and print their URLs.") var keep = false
    @Option(help: ArgumentHelp("Run against this fake Stripe instead of an in-process one.", valueName: "url")) var stripeURL: String?
    @Option(help: ArgumentHelp("Run against this app instead of an in-process one.", valueName: "url")) var appURL: String?
    @Option(help: ArgumentHelp("The SQLite file of the app given by --app-url (for users and snapshots).", valueName: "path"))
    var databaseURL: String?
    @Option(help: "The secret key for --stripe-url.") var stripeKey = "sk_test_effinity_dev"
    @Option(help: ArgumentHelp("Run the in-process app on this PostgreSQL database (a fresh schema per scenario; needs --traits Postgres).",
                               valueName: "url")) var database: String?
    @Option(help: ArgumentHelp("The API version the in-process app pins (its Stripe-Version and its webhook endpoint's api_version); the newest by default. Goldens do not change: the fake's objects are snapshotted at the account's version.",
                               valueName: "version")) var stripeVersion: String?
    @Option(help: ArgumentHelp("Stop a scenario that runs longer than this many seconds and count it failed (default 600, or the project's timeout_seconds).", valueName: "seconds"))
    var timeout: Int?
    @Flag(help: "Run scenarios inside this process (faster to start; a trap or a hang in one then ends the whole run).")
    var noIsolate = false
    @Flag(help: "Print the table of every scenario at the end (by default only the failed ones, then each failure's diff).")
    var verbose = false
    @Flag(help: "With --update: also delete goldens whose scenario no longer exists (a whole-suite run only).") var prune = false
    @Flag(help: "Color the output (default: when stdout is a terminal; NO_COLOR and FORCE_COLOR are honoured).") var color = false
    @Flag(help: "Never color the output.") var noColor = false
    @Flag(help: "Stop starting scenarios after the first failure (the rest are reported as skipped).") var failFast = false
    @Option(help: ArgumentHelp("Snapshots in the JSON report: failed (default; the state each failure stopped at) or all.",
                               valueName: "which")) var jsonSnapshots = "failed"
    @Option(help: ArgumentHelp("Balance --shard by the scenario durations of an earlier JSON report.", valueName: "report.json"))
    var durations: String?

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1.") }
        if let timeout, !(1...86_400).contains(timeout) { throw ValidationError("--timeout must be 1 to 86400 seconds.") }
        if let stripeVersion, APIVersion(stripeVersion) == nil {
            throw ValidationError("Unknown --stripe-version '\(stripeVersion)': from \(APIVersion.known.first!) to \(APIVersion.known.last!).")
        }
        if update, ci || ScenarioRunner.Options.isCI(ProcessInfo.processInfo.environment) {
            throw ValidationError("--update writes goldens, which CI must not do (CI is set\(ci ? ", --ci given" : "")): run it locally and commit the goldens.")
        }
        if let shard, parseShard(shard) == nil { throw ValidationError("--shard takes i/n with 1 <= i <= n, e.g. 2/4.") }
        guard ["failed", "all"].contains(jsonSnapshots) else { throw ValidationError("--json-snapshots takes failed or all.") }
        if durations != nil, shard == nil { throw ValidationError("--durations balances --shard: give both.") }
        if let durations, !FileManager.default.fileExists(atPath: durations) {
            throw ValidationError("--durations: no report at \(durations) (write one with --json).")
        }
        let external = [stripeURL, appURL, databaseURL].compactMap { $0 }.count
        if external != 0, external != 3 { throw ValidationError("--stripe-url, --app-url and --database-url go together.") }
        if let database {
            guard BillingStores.isPostgres(database) else { throw ValidationError("--database takes a postgres:// URL (SQLite in memory is the default).") }
            guard BillingStores.hasPostgres else { throw ValidationError("this effinity was built without PostgreSQL: build it with --traits Postgres.") }
            if external != 0 { throw ValidationError("--database is for the in-process app; with --app-url the app has its own.") }
        }
        if selection.project != nil {
            if external != 0 { throw ValidationError("--project starts its app itself: drop --stripe-url, --app-url and --database-url.") }
            if database != nil { throw ValidationError("--database is EFFINITY's; a project names its database in effinity.json.") }
        }
    }

    /// Goldens whose scenario is gone (deleted or renamed), when this run is the whole suite of
    /// its goldens folder (no --name, --tag or --shard): listed, deleted with --update --prune,
    /// and offered as the old name of a scenario that has no golden.
    func reportOrphans(_ results: [ScenarioResult], goldens: Goldens) throws {
        // Only a run over the whole scenarios folder of the goldens' project knows what is orphaned
        // (a subfolder or a single file would make every other golden look like one).
        let project = (goldens.directory as NSString).deletingLastPathComponent
        func standard(_ p: String) -> String {
            let full = p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p
            return (full as NSString).standardizingPath
        }
        let whole = selection.roots.contains { standard($0) == standard((project.isEmpty ? "." : project) + "/scenarios") }
        guard whole, selection.name == nil, selection.tag.isEmpty, shard == nil, stripeURL == nil else {
            if prune { say("--prune needs the whole suite (no --name, --tag or --shard): nothing deleted.") }
            return
        }
        let orphans = goldens.orphans(keeping: Set(results.map(\.name)))
        guard !orphans.isEmpty else { return }
        if update && prune {
            for name in orphans { try goldens.remove(name) }
            say("Deleted \(orphans.count) golden\(orphans.count == 1 ? "" : "s") without a scenario: \(orphans.joined(separator: ", ")).")
            return
        }
        say("Goldens without a scenario (deleted or renamed? `--update --prune` deletes them): \(orphans.joined(separator: ", ")).")
        for r in results where r.messages.first?.hasPrefix("no golden file") == true {
            if let old = NearestName.suggest(r.name, among: orphans) ?? (orphans.count == 1 ? orphans.first : nil) {
                say("  \(r.name) has no golden and \(old) has no scenario: renamed? git mv \(goldens.path(for: old)) \(goldens.path(for: r.name))")
            }
        }
    }

    /// Writes a report, creating its folder.
    static func write(_ text: String, to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func parseShard(_ s: String) -> (Int, Int)? {
        let parts = s.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2, parts[1] >= 1, (1...parts[1]).contains(parts[0]) else { return nil }
        return (parts[0], parts[1])
    }

    func run() async throws {
        // Invalid files: the reports still say so (each file as an error), then exit 2.
        var suite = try selection.suite { errors in
            let byFile = Dictionary(grouping: errors.errors, by: \.file)
            let results = byFile.keys.sorted().map { file in
                ScenarioResult(name: ScenarioResult.nameOfInvalid(file), file: file, status: .failed,
                               messages: ["invalid scenario: " + byFile[file]!.map(\.description).joined(separator: "\n")], seconds: 0)
            }
            let root = (selection.goldensDirectory as NSString).deletingLastPathComponent
            if let junit { try Self.write(Reports.junit(results, root: root.isEmpty ? "." : root), to: junit) }
            if let json { try Self.write(Reports.json(results), to: json) }
        }
        if let shard, let (i, n) = parseShard(shard) {
            let known = try durations.map { Reports.durations(fromJSONReport: try String(contentsOfFile: $0, encoding: .utf8)) } ?? [:]
            suite = suite.shard(i, of: n, durations: known)
        }
        let env = ProcessInfo.processInfo.environment
        let useColor = !noColor && (color || (env["NO_COLOR"].map { $0.isEmpty } ?? true)
            && ((env["FORCE_COLOR"].map { !$0.isEmpty && $0 != "0" } ?? false) || isatty(1) == 1))
        let targets = Targets(stripeURL: stripeURL, appURL: appURL, databasePath: databaseURL.map { $0.hasPrefix("sqlite://") ? String($0.dropFirst(9)) : $0 },
                              stripeKey: stripeKey)
        let project = try selection.loadProject()
        // Worlds a runner killed with SIGKILL left behind: app processes, databases, folders.
        if project != nil, WorldJanitor.sweepOrphans() > 0 { say("Cleaned up worlds an earlier run left behind.") }
        let timeout = self.timeout ?? project?.timeoutSeconds ?? 600
        let options = ScenarioRunner.Options(goldens: Goldens(directory: goldens ?? selection.goldensDirectory), update: update,
                                             targets: targets, keep: keep, color: useColor, database: database,
                                             stripeVersion: stripeVersion, project: project)
        let runner = ScenarioRunner(options: options) { message in
            say(message)
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
        }
        let began = ContinuousClock.now
        let finished = Mutex<[ScenarioResult]>([])
        let workers = RunningWorkers()
        // Ctrl-C or SIGTERM: stop the workers, report what finished, exit 130.
        let interrupt = Interruption { [junit, json] in
            // What finished before the signal (workers stopped now end as failures, not results).
            let done = finished.withLock { $0 }
            workers.stopAll()
            WorldJanitor.shared.cleanAllNow()
            say("\nInterrupted: \(done.count) scenario\(done.count == 1 ? "" : "s") finished; reports cover those.")
            if let junit { try? Self.write(Reports.junit(done), to: junit) }
            if let json { try? Self.write(Reports.json(done), to: json) }
        }
        defer { interrupt.cancel() }
        var arguments = ["--goldens", goldens ?? selection.goldensDirectory]
        if options.mayWriteGoldens { arguments.append("--update") }
        if let database { arguments += ["--database", database] }
        if let stripeVersion { arguments += ["--stripe-version", stripeVersion] }
        if let p = selection.project { arguments += ["--project", p] }
        if let url = targets.stripeURL { arguments += ["--stripe-url", url] }
        if let url = targets.appURL { arguments += ["--app-url", url] }
        if let path = targets.databasePath { arguments += ["--database-url", path] }
        if targets.isExternal { arguments += ["--stripe-key", targets.stripeKey] }
        if useColor { arguments.append("--color") }
        let isolated = IsolatedScenarioRun(arguments: arguments, timeout: .seconds(timeout), heartbeat: .seconds(30), running: workers)
        let inProcess = noIsolate || keep
        // --fail-fast: once one failed, scenarios not yet started are skipped.
        let stop = Mutex(false)
        let failFast = self.failFast
        let runOne: @Sendable (Scenario) async -> ScenarioResult = { scenario in
            if failFast, stop.withLock({ $0 }) {
                return ScenarioResult(name: scenario.name, file: scenario.file, status: .skipped,
                                      messages: ["not run: --fail-fast stopped after an earlier failure"], seconds: 0)
            }
            let result = inProcess ? await runner.run(scenario) : await isolated.run(scenario)
            if !result.passed { stop.withLock { $0 = true } }
            return result
        }
        // Servers already running are one shared tenant: their scenarios run one at a time.
        let results = await runner.run(suite, jobs: targets.isExternal ? 1 : jobs,
                                       each: runOne) { result, done, total in
            finished.withLock { $0.append(result) }
            let mark = result.status == .skipped ? "skipped" : result.passed ? (result.status == .updated ? "updated" : "passed") : "FAILED"
            say("[\(done)/\(total)] \(mark) \(result.name) (\(String(format: "%.2f", result.seconds))s)")
            if !result.passed { for line in result.messages { say("    " + line.replacingOccurrences(of: "\n", with: "\n    ")) } }
        }
        let wall = ContinuousClock.now - began
        let seconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        say("")
        say(Reports.summary(results, wall: seconds, color: useColor, verbose: verbose))
        try reportOrphans(results, goldens: Goldens(directory: goldens ?? selection.goldensDirectory))
        let goldensFolder = goldens ?? selection.goldensDirectory
        let projectRoot = (goldensFolder as NSString).deletingLastPathComponent
        if let junit { try Self.write(Reports.junit(results, root: projectRoot.isEmpty ? "." : projectRoot), to: junit) }
        if let json { try Self.write(Reports.json(results, allSnapshots: jsonSnapshots == "all"), to: json) }
        if ProcessInfo.processInfo.environment["GITHUB_ACTIONS"] == "true" {
            for line in Reports.githubAnnotations(results) { say(line) }
        }
        if results.isEmpty {
            say("No scenario matched the selection\(shard.map { " (shard \($0))" } ?? ""): nothing ran.\(allowEmpty ? "" : " That is a failure (pass --allow-empty if it is expected).")")
            if !allowEmpty { throw ExitCode(1) }
        }
        if results.contains(where: { !$0.passed }) { throw ExitCode(1) }
    }
}

struct ScenariosList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List scenarios (name, tags, file).")
    @OptionGroup var selection: ScenarioSelection

    func run() throws {
        for s in try selection.suite().scenarios {
            say("\(s.name)\t\(s.tags.joined(separator: ","))\t\(s.file)\(s.description.map { "\t\($0)" } ?? "")")
        }
    }
}

struct ScenariosValidate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "validate", abstract: "Validate scenario files without running them (exit 2 when invalid).")
    @OptionGroup var selection: ScenarioSelection

    func run() throws {
        let suite = try selection.suite()
        say("\(suite.scenarios.count) scenario\(suite.scenarios.count == 1 ? "" : "s") valid.")
    }
}
