import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import StripeWire
@testable import StripeEmulator

/// The Hummingbird adapter: bytes, statuses and headers survive the trip through a real request.
@Suite struct HTTPServerTests {
    func app() throws -> some ApplicationProtocol {
        let emulator = StripeEmulator(database: try .inMemory(), settings: EmulatorSettings(wallClock: FixedWallClock(TestStripe.start)))
        return Application(responder: StripeHTTPResponder(emulator: emulator))
    }

    @Test func createAndReadThroughTheServer() async throws {
        try await app().test(.router) { client in
            let created = try await client.execute(
                uri: "/v1/customers", method: .post,
                headers: [.authorization: "Bearer sk_test_http", .contentType: "application/x-www-form-urlencoded",
                          HTTPField.Name("Idempotency-Key")!: "abc"],
                body: ByteBuffer(string: "email=http%40x.test&metadata%5Bk%5D=v"))
            #expect(created.status == .ok)
            #expect(created.headers[.contentType] == "application/json")
            #expect(created.headers[HTTPField.Name("Request-Id")!]?.hasPrefix("req_") == true)
            let json = try JSONParser.parse(Array(buffer: created.body))
            #expect(json["email"] == "http@x.test")
            #expect(json["metadata"] == ["k": "v"])
            let id = json["id"].stringValue!

            let fetched = try await client.execute(uri: "/v1/customers/\(id)?expand[]=test_clock", method: .get,
                                                   headers: [.authorization: "Bearer sk_test_http"])
            #expect(try JSONParser.parse(Array(buffer: fetched.body))["id"] == .string(id))

            let unauthorized = try await client.execute(uri: "/v1/customers", method: .get)
            #expect(unauthorized.status == .unauthorized)
            let notFound = try await client.execute(uri: "/v2/whatever", method: .get, headers: [.authorization: "Bearer sk_test_http"])
            #expect(notFound.status == .notFound)
        }
    }
}
