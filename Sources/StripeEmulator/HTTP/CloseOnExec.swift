#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Marks every socket of this process close-on-exec.
///
/// When the process traps, the Swift runtime starts its backtrace helper, which inherits every
/// descriptor without `FD_CLOEXEC` — the listening socket included — and keeps it while it
/// symbolicates: a restart on the same port then fails with "address in use" for as long.
/// Called once the servers listen, so the listening sockets are covered.
public enum CloseOnExec {
    /// Returns how many descriptors it marked.
    @discardableResult
    public static func markSockets() -> Int {
        var marked = 0
        let limit = Int32(min(sysconf(Int32(_SC_OPEN_MAX)), 65_536))
        guard limit > 0 else { return 0 }
        for fd in 0..<limit {
            var info = stat()
            guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFSOCK else { continue }
            let flags = fcntl(fd, F_GETFD)
            guard flags >= 0, flags & FD_CLOEXEC == 0 else { continue }
            if fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == 0 { marked += 1 }
        }
        return marked
    }

    /// Whether `fd` is close-on-exec (for tests).
    public static func isSet(_ fd: Int32) -> Bool {
        let flags = fcntl(fd, F_GETFD)
        return flags >= 0 && flags & FD_CLOEXEC != 0
    }
}
