#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// A child started with `posix_spawn` as the leader of a new process group, with every signal
/// unblocked and at its default action. Foundation's `Process` cannot promise that: a child
/// spawned from a server thread inherits that thread's blocked signals (SIGTERM among them) and
/// the runner's ignored SIGINT and SIGTERM, so an app under test would not stop when asked.
final class SpawnedProcess: Sendable {
    let pid: pid_t
    private let exit = Mutex<Int32?>(nil)

    private init(pid: pid_t) { self.pid = pid }

    /// Starts `argv` (the program found on `PATH`) in `cwd` with exactly `environment`, its
    /// standard output and error appended to `output`, standard input from /dev/null.
    static func spawn(_ argv: [String], cwd: String, environment: [String: String], output: String) throws -> SpawnedProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        // `sh` changes to the folder and execs the program (found on PATH), keeping the pid.
        let args = (["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", cwd] + argv).map { strdup($0) } + [nil]
        let env = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in args + env { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/bin/sh", &actions, &attributes, args, env)
        guard rc == 0 else { throw SpawnFailure(program: argv[0], code: rc) }
        return SpawnedProcess(pid: pid)
    }

    struct SpawnFailure: Error, CustomStringConvertible {
        let program: String
        let code: Int32
        var description: String { "cannot run \(program): \(String(cString: strerror(code)))" }
    }

    /// Whether it still runs (reaping it once it has exited).
    var isRunning: Bool {
        exit.withLock { status in
            guard status == nil else { return false }
            var raw: Int32 = 0
            let r = waitpid(pid, &raw, WNOHANG)
            if r == pid || (r == -1 && errno == ECHILD) { status = raw; return false }
            return true
        }
    }

    /// How it ended: `exited with code N` or `was killed by signal N`.
    var ending: String {
        guard let raw = exit.withLock({ $0 }) else { return "is running" }
        let signal = raw & 0x7f
        return signal == 0 ? "exited with code \((raw >> 8) & 0xff)" : "was killed by signal \(signal)"
    }
}
