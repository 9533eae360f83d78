import Foundation

/// The scenarios of a run: found under paths, validated together, then narrowed by name, tag
/// and shard.
public struct Suite: Sendable {
    public var scenarios: [Scenario]

    /// Every `.json` file under `paths` (files as given, folders recursively, `goldens/` skipped),
    /// in path order, each validated; all errors of all files are thrown together.
    public static func load(paths: [String]) throws(ScenarioErrors) -> Suite {
        var files: [String] = []
        var errors: [ScenarioError] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                errors.append(ScenarioError(file: path, path: "", message: "no such file or folder"))
                continue
            }
            if !isDir.boolValue { files.append(path); continue }
            let found = (FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String } ?? [])
                .filter { $0.hasSuffix(".json") && !$0.split(separator: "/").contains("goldens") && !$0.hasPrefix(".") && !$0.hasSuffix(".schema.json") }
                .sorted()
            files += found.map { path.hasSuffix("/") ? path + $0 : "\(path)/\($0)" }
        }
        // A folder and a file inside it (or the same file twice, spelt differently) name one file once.
        var seen: Set<String> = []
        files = files.filter { seen.insert(URL(fileURLWithPath: $0).standardizedFileURL.path).inserted }
        var scenarios: [Scenario] = []
        var byName: [String: String] = [:]
        for file in files {
            do throws(ScenarioErrors) {
                let s = try ScenarioParser.load(path: file)
                if let other = byName[s.name] {
                    errors.append(ScenarioError(file: file, path: "_meta.name", message: "the name '\(s.name)' is also used by \(other) (goldens are kept by name)"))
                }
                byName[s.name] = file
                scenarios.append(s)
            } catch {
                errors += error.errors
            }
        }
        guard errors.isEmpty else { throw ScenarioErrors(errors: errors) }
        return Suite(scenarios: scenarios)
    }

    /// Keeps scenarios whose name matches the glob (`*`, `?`) and that carry one of the tags.
    public func selecting(name: String?, tags: [String]) -> Suite {
        Suite(scenarios: scenarios.filter { s in
            (name.map { Glob.matches($0, s.name) } ?? true) && (tags.isEmpty || !Set(tags).isDisjoint(with: s.tags))
        })
    }

    /// Shard `index` (1-based) of `count`: a scenario belongs to the shard its name hashes to, so
    /// a scenario stays on its machine when others are added, and every one runs exactly once.
    public func shard(_ index: Int, of count: Int) -> Suite {
        Suite(scenarios: scenarios.filter { Self.shard(of: $0.name, count: count) == index })
    }

    /// Shard `index` of `count`, balanced by earlier durations: scenarios longest first, each to
    /// the shard with the least time so far (scenarios without a duration count the median);
    /// every runner of the same report computes the same split.
    public func shard(_ index: Int, of count: Int, durations: [String: Double]) -> Suite {
        guard !durations.isEmpty else { return shard(index, of: count) }
        let known = durations.values.sorted()
        let median = known.isEmpty ? 1 : known[known.count / 2]
        let ordered = scenarios.sorted { a, b in
            let da = durations[a.name] ?? median, db = durations[b.name] ?? median
            return da != db ? da > db : a.name < b.name
        }
        var load = [Double](repeating: 0, count: count)
        var picked: [Scenario] = []
        for s in ordered {
            let target = load.indices.min { load[$0] != load[$1] ? load[$0] < load[$1] : $0 < $1 }!
            load[target] += durations[s.name] ?? median
            if target + 1 == index { picked.append(s) }
        }
        let names = Set(picked.map(\.name))
        return Suite(scenarios: scenarios.filter { names.contains($0.name) })
    }

    public static func shard(of name: String, count: Int) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int(h % UInt64(count)) + 1
    }
}

/// Shell-style name globs: `*` any run of characters, `?` one character.
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern), t = Array(text)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] { pi += 1; ti += 1 }
            else if pi < p.count, p[pi] == "*" { star = pi; mark = ti; pi += 1 }
            else if star >= 0 { pi = star + 1; mark += 1; ti = mark }
            else { return false }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}

extension ScenarioRunner {
    /// Runs scenarios `jobs` at a time; `progress` hears each result as it finishes. Results come
    /// back in suite order, whatever order they finished in.
    public func run(_ suite: Suite, jobs: Int, progress: @escaping @Sendable (ScenarioResult, Int, Int) async -> Void) async -> [ScenarioResult] {
        await run(suite, jobs: jobs, each: { await self.run($0) }, progress: progress)
    }

    /// The same with another way to run one scenario (the CLI runs each in a worker process).
    public func run(_ suite: Suite, jobs: Int, each: @escaping @Sendable (Scenario) async -> ScenarioResult,
                    progress: @escaping @Sendable (ScenarioResult, Int, Int) async -> Void) async -> [ScenarioResult] {
        let total = suite.scenarios.count
        var results = [ScenarioResult?](repeating: nil, count: total)
        await withTaskGroup(of: (Int, ScenarioResult).self) { group in
            var next = 0, done = 0
            func launch() {
                let i = next
                let scenario = suite.scenarios[i]
                group.addTask { (i, await each(scenario)) }
                next += 1
            }
            while next < min(max(1, jobs), total) { launch() }
            while let (i, r) = await group.next() {
                results[i] = r
                done += 1
                await progress(r, done, total)
                if next < total { launch() }
            }
        }
        return results.compactMap { $0 }
    }
}
