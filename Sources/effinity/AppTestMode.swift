import ArgumentParser
import AsyncHTTPClient
import Billing
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StripeWire
import Synchronization

/// The app's clock under a scenario runner (`effinity app --clock-url`): the fake's virtual
/// time, read once from its clock URL at start and then from the `Effinity-Clock-Now` header of
/// every request (the runner's app steps and the fake's webhook deliveries carry it). Time only
/// moves forward. This is the "two-line change" docs/PROJECT.md describes, in EFFINITY.
final class FollowingClock: AppClock {
    private let time = Atomic<Int>(0)

    func now() -> Int {
        let t = time.load(ordering: .relaxed)
        return t > 0 ? t : Int(Date().timeIntervalSince1970)
    }

    func observe(_ t: Int) {
        var current = time.load(ordering: .relaxed)
        while t > current {
            let (exchanged, original) = time.compareExchange(expected: current, desired: t, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// Reads the clock URL (`{"now": …}`) once.
    func start(from url: String) async throws {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 16)
        guard response.status == .ok, let now = try JSONParser.parse(Array(buffer: body))["now"].intValue else {
            throw ValidationError("--clock-url \(url) answered \(response.status.code), not {\"now\": …}")
        }
        observe(now)
    }
}

/// Passes every request on, after showing its `Effinity-Clock-Now` header to the clock (when
/// the app follows one). Under a runner (`drainAfterWebhooks`), a webhook's jobs are applied
/// before it is answered: the event takes effect at the simulated moment it was delivered, as
/// in the runner's own process, so a scenario gives the same snapshots either way.
struct ClockObservingResponder<Inner: HTTPResponder>: HTTPResponder {
    let inner: Inner
    let clock: FollowingClock?
    var drainAfterWebhooks: JobWorker? = nil
    static var header: HTTPField.Name { HTTPField.Name("Effinity-Clock-Now")! }

    func respond(to request: Request, context: Inner.Context) async throws -> Response {
        if let clock, let value = request.headers[Self.header], let t = Int(value) { clock.observe(t) }
        let response = try await inner.respond(to: request, context: context)
        if let worker = drainAfterWebhooks, request.method == .post, request.uri.path == "/api/billing/webhooks" {
            _ = try await worker.drain()
        }
        return response
    }
}

/// `effinity app --test-routes`: how a scenario runner makes the organizations and users of a
/// scenario in an app it runs as a process (`orgs.create` and `users.create` of a project file).
/// Refused with a live key: they mint sessions without a password.
enum TestRoutes {
    static func add(to router: Router<AppRequestContext>, service: BillingService) {
        router.post("/_test/orgs") { req, _ in
            let body = try await json(req)
            guard let id = body["id"].stringValue, !id.isEmpty else { return answer(400, ["error": "id is required"]) }
            try await service.ensureOrganization(id: id, name: body["name"].stringValue ?? id)
            return answer(200, ["id": .string(id)])
        }
        // Answers once the due jobs are done (a project file's `app.settle`).
        router.post("/_test/drain") { _, _ in
            answer(200, ["jobs": .int(try await JobWorker(service: service).drain())])
        }
        router.post("/_test/users") { req, _ in
            let body = try await json(req)
            guard let email = body["email"].stringValue, email.contains("@"), let org = body["org"].stringValue, !org.isEmpty else {
                return answer(400, ["error": "email and org are required"])
            }
            guard let role = Role(rawValue: body["role"].stringValue ?? "owner") else {
                return answer(400, ["error": "role must be owner, admin or member"])
            }
            let days = body["ttl_days"].intValue ?? 30
            let (user, _, _) = try await service.ensureMember(email: email, org: org, role: role)
            let token = try await service.createSession(userID: user.id, orgID: org, ttl: days * 86400)
            return answer(200, ["token": .string(token), "user": .string(user.id)])
        }
    }

    static func json(_ req: Request) async throws -> JSONValue {
        let body = try await req.body.collect(upTo: 1 << 16)
        return (try? JSONParser.parse(Array(buffer: body))) ?? [:]
    }

    static func answer(_ status: Int, _ body: JSONValue) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.data(body))))
    }
}
