import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP port free on `host` now: `--port 0` must know its port before the fake starts, because
/// the URLs it hands out (Checkout and portal pages, receipts) carry it. Another process could
/// take the port in between; the server then fails to bind and says so.
///
/// Processes of this program also claim each port they are given (an exclusive `flock` on a file
/// named after it, held until the process ends), and pass over ports another one claimed: the
/// kernel hands a port just closed to the next `bind(0)`, so two scenario workers picking at the
/// same moment got the same port, and one world's requests reached the other world's app.
public enum FreePort {
    public static func pick(host: String) -> Int? {
        for _ in 0..<64 {
            guard let port = candidate(host: host) else { return nil }
            if claim(port) { return port }
        }
        // Every candidate held elsewhere (not seen): a port as before, unclaimed.
        return candidate(host: host)
    }

    /// The folder of the claim files (one per port ever claimed; a few bytes of names each).
    static let claims = "/tmp/effinity-port-claims"

    /// The claims this process holds, kept open (a closed descriptor would release the lock).
    private static let held = Mutex<[Int: Int32]>([:])

    /// Claims `port` for this process: false when this process or another already holds it.
    static func claim(_ port: Int) -> Bool {
        held.withLock { held in
            if held[port] != nil { return false }
            mkdir(claims, 0o777)
            let fd = open("\(claims)/\(port)", O_CREAT | O_RDWR | O_CLOEXEC, 0o666)
            // Without a claim file (a read-only /tmp) the port is used unclaimed, as before.
            guard fd >= 0 else { return true }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                close(fd)
                return false
            }
            held[port] = fd
            return true
        }
    }

    private static func candidate(host: String) -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr(host == "localhost" ? "127.0.0.1" : host)
        if address.sin_addr.s_addr == INADDR_NONE { address.sin_addr.s_addr = INADDR_ANY }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { return nil }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { return nil }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
