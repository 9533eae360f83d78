#if canImport(Glibc)
import Glibc

/// Closes the listening sockets the moment the process crashes, before the Swift runtime's
/// backtrace (which takes seconds and keeps the process, and so its port, alive): a restart on
/// the same port binds at once.
///
/// Installed once the servers listen: it records this process's listening sockets and puts a
/// handler on the crash signals that closes them (`close` is async-signal-safe) and then hands
/// the signal to the handler that was there before (the runtime's backtracer).
public enum CrashListenerRelease {
    nonisolated(unsafe) private static var fds = UnsafeMutablePointer<Int32>.allocate(capacity: 64)
    nonisolated(unsafe) private static var count: Int32 = 0
    nonisolated(unsafe) private static var previous = UnsafeMutablePointer<sigaction>.allocate(capacity: 32)
    nonisolated(unsafe) private static var installed = false
    static let signals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT]

    /// Records the listening sockets (up to 64) and installs the handler (once; later calls
    /// only add sockets). Not thread-safe: call from the servers' start-up.
    public static func install() {
        for fd in listeningSockets() where count < 64 && !(0..<Int(count)).contains(where: { fds[$0] == fd }) {
            fds[Int(count)] = fd
            count += 1
        }
        guard !installed else { return }
        installed = true
        for sig in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_sigaction = { sig, info, context in
                for i in 0..<Int(CrashListenerRelease.count) { _ = close(CrashListenerRelease.fds[i]) }
                // Hand the signal on to the previous handler (the runtime's backtracer), or the default.
                let old = CrashListenerRelease.previous[Int(sig)]
                if let chained = old.__sigaction_handler.sa_sigaction, old.sa_flags & SA_SIGINFO != 0 {
                    chained(sig, info, context)
                } else if let plain = old.__sigaction_handler.sa_handler,
                          unsafeBitCast(plain, to: Int.self) > 1 {  // neither SIG_DFL (0) nor SIG_IGN (1)
                    plain(sig)
                } else {
                    signal(sig, SIG_DFL)
                    raise(sig)
                }
            }
            action.sa_flags = SA_SIGINFO | SA_ONSTACK
            sigemptyset(&action.sa_mask)
            _ = sigaction(sig, &action, previous.advanced(by: Int(sig)))
        }
    }

    /// This process's sockets in the LISTEN state.
    static func listeningSockets() -> [Int32] {
        var result: [Int32] = []
        let limit = Int32(min(sysconf(Int32(_SC_OPEN_MAX)), 65_536))
        for fd in 0..<max(limit, 0) {
            var info = stat()
            guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFSOCK else { continue }
            var listening: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            if getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) == 0, listening != 0 { result.append(fd) }
        }
        return result
    }
}
#else
public enum CrashListenerRelease {
    public static func install() {}
}
#endif
