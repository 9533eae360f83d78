import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import StripeWire
@testable import StripeEmulator

#if canImport(Glibc)
import Glibc
#endif

/// Connections the client closes, abandons or leaves idle are closed by the server, and the
/// number it keeps open is capped: a long-running shared fake never runs out of descriptors.
@Suite(.timeLimit(.minutes(1))) struct ConnectionTests {
    func app(_ limits: ConnectionLimits, _ count: ConnectionCount) throws -> some ApplicationProtocol {
        let emulator = StripeEmulator(database: try .inMemory(), settings: EmulatorSettings(wallClock: FixedWallClock(TestStripe.start)))
        return Application(responder: StripeHTTPResponder(emulator: emulator),
                           server: .stripe(emulator, limits: limits, connections: count))
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// A 30 s receive timeout, as the idle test's: a machine running every suite at once (and a
    /// build beside them) delayed an answer past 5 s; the assertion is that the close comes at all.
    static func connect(_ port: Int) throws -> Int32 { try RawHTTP.connect(port: port, timeout: 30) }

    static func send(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
    }

    /// Everything the server sends until it closes (throws on the receive timeout), read off
    /// the cooperative threads (see `RawHTTP.blocking`).
    static func readToClose(_ fd: Int32) async throws -> String {
        try await RawHTTP.blocking { try readToCloseBlocking(fd) }
    }

    static func readToCloseBlocking(_ fd: Int32) throws -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 { throw Failure(description: "the server did not close the connection") }
            if n == 0 { return String(decoding: received, as: UTF8.self) }
            received.append(contentsOf: buffer[0..<n])
        }
    }

    /// Waits (bounded) until the server has released every connection.
    /// The connections open once the test client's own connection is up (it connects lazily).
    static func baseline(_ client: some TestClientProtocol, _ count: ConnectionCount) async throws -> Int {
        _ = try await client.execute(uri: "/v1/customers", method: .get, headers: [.authorization: "Bearer sk_test_base"])
        return count.current
    }

    static func settled(_ count: ConnectionCount, to value: Int) async throws -> Bool {
        for _ in 0..<500 {
            if count.current == value { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return count.current == value
    }

    @Test func halfClosedConnectionsAreAnsweredThenClosed() async throws {
        let count = ConnectionCount()
        try await app(ConnectionLimits(), count).test(.live) { client in
            let port = client.port!
            let base = try await Self.baseline(client, count)
            // A request followed by the client's FIN: the answer comes, then the server closes.
            let fd = try Self.connect(port)
            defer { close(fd) }
            Self.send(fd, "GET /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_test_half\r\n\r\n")
            shutdown(fd, Int32(SHUT_WR))
            let answer = try await Self.readToClose(fd)
            #expect(answer.hasPrefix("HTTP/1.1 200"))
            // 1,000 connections the client closes first (half with a request, half without)
            // leave nothing open on the server.
            try await RawHTTP.blocking {
                for i in 0..<1000 {
                    let c = try Self.connect(port)
                    if i.isMultiple(of: 2) { Self.send(c, "GET /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_test_half\r\n\r\n") }
                    shutdown(c, Int32(SHUT_WR))
                    _ = try Self.readToCloseBlocking(c)
                    close(c)
                }
            }
            #expect(try await Self.settled(count, to: base))
        }
    }

    @Test func idleConnectionsAreClosed() async throws {
        let count = ConnectionCount()
        try await app(ConnectionLimits(idleTimeout: .milliseconds(200)), count).test(.live) { client in
            // A 30 s receive timeout: the close comes after 200 ms, but a loaded CI machine running
            // every suite at once has delayed it past 5 s (the assertion is that it comes at all).
            let fd = try RawHTTP.connect(port: client.port!, timeout: 30)
            defer { close(fd) }
            // Nothing sent: the server closes the connection after the idle timeout (the test
            // client's own idle connection too).
            #expect(try await Self.readToClose(fd) == "")
            #expect(try await Self.settled(count, to: 0))
        }
    }

    @Test func connectionsBeyondTheCapAreRefusedWithAStripeError() async throws {
        let count = ConnectionCount()
        try await app(ConnectionLimits(maxConnections: 3), count).test(.live) { client in
            let port = client.port!
            #expect(try await Self.baseline(client, count) == 1)
            let first = try Self.connect(port), second = try Self.connect(port)
            defer { close(first); close(second) }
            #expect(try await Self.settled(count, to: 3))
            let third = try Self.connect(port)
            defer { close(third) }
            let refusal = try await Self.readToClose(third)
            #expect(refusal.hasPrefix("HTTP/1.1 503"))
            #expect(refusal.contains("Stripe-Should-Retry: true"))
            let body = String(refusal[refusal.range(of: "\r\n\r\n")!.upperBound...])
            let json = try JSONParser.parse(Array(body.utf8))
            #expect(json["error"]["type"] == "api_error")
            #expect(json["error"]["message"].stringValue?.contains("3 connections") == true)
        }
    }
}
