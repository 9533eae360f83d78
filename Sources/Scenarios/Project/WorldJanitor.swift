import Foundation
import StripeWire
import Synchronization

/// What a project world leaves on the machine while it runs — the app's process group, its
/// folder, its PostgreSQL database — recorded twice: in memory, so Ctrl-C and SIGTERM can remove
/// it at once (``cleanAllNow()``), and in `world.json` inside the folder, so the next run can
/// sweep what a runner killed with SIGKILL left behind (``sweepOrphans()``).
public final class WorldJanitor: Sendable {
    public static let shared = WorldJanitor()

    struct Leftovers: Sendable {
        var folder: String
        var group: Int32?
        var database: (server: String, name: String)?
    }

    private let live = Mutex<[String: Leftovers]>([:])
    private let counter = Atomic<Int>(0)

    /// Where worlds live: `$TMPDIR/effinity-worlds`.
    public static var base: String {
        ((ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp") as NSString).appendingPathComponent("effinity-worlds")
    }

    /// A new world folder, named after this process (so a sweep knows whether its owner lives).
    func newWorld() throws -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        let folder = (Self.base as NSString).appendingPathComponent("\(getpid())-\(n)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        live.withLock { $0[folder] = Leftovers(folder: folder) }
        try record(folder)
        return folder
    }

    /// A database name unique to this process and world.
    func databaseName(for folder: String) -> String {
        "effinity_w_" + (folder as NSString).lastPathComponent.replacingOccurrences(of: "-", with: "_")
    }

    func set(_ folder: String, group: Int32? = nil, database: (String, String)? = nil) {
        live.withLock {
            if let group { $0[folder]?.group = group }
            if let database { $0[folder]?.database = (database.0, database.1) }
        }
        try? record(folder)
    }

    private func record(_ folder: String) throws {
        guard let l = live.withLock({ $0[folder] }) else { return }
        var json: JSONValue = ["owner": .int(Int(getpid()))]
        if let g = l.group { json["group"] = .int(Int(g)) }
        if let d = l.database { json["database_server"] = .string(d.server); json["database"] = .string(d.name) }
        try Data(JSONWriter.data(json)).write(to: URL(fileURLWithPath: (folder as NSString).appendingPathComponent("world.json")))
    }

    /// Removes one world's leftovers (its app must already be stopped, or is killed here).
    func finish(_ folder: String, keepFolder: Bool = false) {
        guard let l = live.withLock({ $0.removeValue(forKey: folder) }) else { return }
        Self.remove(l, keepFolder: keepFolder)
    }

    /// The last lines each live world's app printed (a scenario stopped for its timeout shows them).
    public func appLogTails(lines: Int = 10) -> [String] {
        live.withLock { Array($0.values) }.compactMap { l in
            let log = (l.folder as NSString).appendingPathComponent("app.log")
            guard let text = try? String(contentsOfFile: log, encoding: .utf8), !text.isEmpty else { return nil }
            return "the app's last output:\n" + text.split(separator: "\n").suffix(lines).map { "  | \($0)" }.joined(separator: "\n")
        }
    }

    /// Ctrl-C or SIGTERM: every live world of this process, at once and synchronously.
    public func cleanAllNow() {
        let all = live.withLock { w -> [Leftovers] in
            defer { w.removeAll() }
            return Array(w.values)
        }
        for l in all { Self.remove(l, keepFolder: false) }
    }

    static func remove(_ l: Leftovers, keepFolder: Bool) {
        if let g = l.group, g > 1 { kill(-g, SIGKILL) }
        if let d = l.database { PostgresAdmin.dropDatabase(server: d.server, name: d.name) }
        if !keepFolder { try? FileManager.default.removeItem(atPath: l.folder) }
    }

    /// The processes started for the world in `folder` (their environment names it).
    static func processes(ofWorld folder: String) -> [Int32] {
        let marker = Array("\(worldVariable)=\(folder)".utf8)
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry -> Int32? in
            guard let pid = Int32(entry), let env = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { return nil }
            return env.split(separator: 0).contains { Array($0) == marker } ? pid : nil
        }
    }

    /// Whether `pid` runs: it exists (even if not ours) and is not a zombie nobody reaped yet (a
    /// killed runner's workers can stay zombies under a parent that does not reap).
    static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }

    /// The variable every process of a world carries: its folder.
    static let worldVariable = "EFFINITY_WORLD"

    /// Worlds whose runner is gone (killed with SIGKILL, the machine rebooted): their app groups
    /// killed, databases dropped, folders removed. Returns how many.
    @discardableResult
    public static func sweepOrphans() -> Int {
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        var swept = 0
        for name in folders {
            guard let pid = Int32(name.split(separator: "-").first ?? ""), pid != getpid() else { continue }
            if isAlive(pid) { continue }
            let folder = (base as NSString).appendingPathComponent(name)
            let json = (try? Data(contentsOf: URL(fileURLWithPath: (folder as NSString).appendingPathComponent("world.json"))))
                .flatMap { try? JSONParser.parse(Array($0)) } ?? [:]
            var l = Leftovers(folder: folder)
            // Only processes that carry this world in their environment: a group id can be reused.
            for pid in processes(ofWorld: folder) { kill(pid, SIGKILL) }
            if let s = json["database_server"].stringValue, let d = json["database"].stringValue { l.database = (s, d) }
            remove(l, keepFolder: false)
            swept += 1
        }
        return swept
    }
}
