#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import EffinityTesting

/// Scenario workers run in separate processes and pick ports at the same moment: a port claimed
/// by one (an exclusive `flock` on its claim file) must be passed over by the others.
@Suite struct FreePortTests {
    @Test func aProcessNeverGetsThePortItHoldsAgain() throws {
        let first = try #require(FreePort.pick(host: "127.0.0.1"))
        let second = try #require(FreePort.pick(host: "127.0.0.1"))
        #expect(first != second)
        #expect(!FreePort.claim(first))
    }

    @Test func aPortClaimedElsewhereIsPassedOver() throws {
        // A lock taken through another open file description behaves as another process's.
        let port = 1_000 + Int(getpid() % 20_000) + Int.random(in: 0..<20_000)
        mkdir(FreePort.claims, 0o777)
        let fd = open("\(FreePort.claims)/\(port)", O_CREAT | O_RDWR | O_CLOEXEC, 0o666)
        try #require(fd >= 0)
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return }  // held by a concurrent run: nothing to show
        #expect(!FreePort.claim(port))
        flock(fd, LOCK_UN)
        #expect(FreePort.claim(port))
    }
}
