import Foundation
import Testing
import StripeWire
@testable import StripeEmulator

/// Auth, errors, routing, headers: the parts of the wire every endpoint shares.
@Suite struct ProtocolTests {
    @Test func missingAndMalformedKeysAre401() async throws {
        let s = try TestStripe()
        let none = await s.call("GET", "/v1/customers", headers: ["Authorization": ""])
        #expect(none.status == 401)
        #expect(none.error["type"] == "invalid_request_error")
        #expect(none.error["message"].stringValue?.contains("You did not provide an API key") == true)
        for bad in ["Bearer nope", "Bearer sk_live_abcdefghijkl", "Bearer pk_test_abcdef", "Token sk_test_abc", "Bearer sk_test_"] {
            let r = await s.call("GET", "/v1/customers", headers: ["Authorization": bad])
            #expect(r.status == 401, "\(bad)")
            #expect(r.error["message"].stringValue?.hasPrefix("Invalid API Key provided") == true)
        }
    }

    /// `Bearer sk_test_…` is read on bytes; every other form through the general parser. Both
    /// must name the same account, and refuse the same keys.
    @Test func keysReadTheSameOnEitherPath() throws {
        let key = "sk_test_Abc_123"
        for header in ["Bearer \(key)", "Bearer  \(key) ", "bearer \(key)", "BEARER \(key)\t",
                       "Basic " + Data("\(key):".utf8).base64EncodedString()] {
            #expect(try APIKeys.account(from: header) == key, "\(header)")
        }
        #expect(try APIKeys.account(from: "Bearer rk_test_restricted1") == "rk_test_restricted1")
        for bad in ["Bearer sk_test_é_abc", "Bearer sk_test_a-b-c", "Bearer sk_test_a b", "Bearer sk_test_",
                    "Bearer " + "sk_test_" + String(repeating: "a", count: 248), "Bearer sk_live_abcdefghij"] {
            #expect(throws: StripeError.self, "\(bad)") { try APIKeys.account(from: bad) }
        }
        #expect(try APIKeys.account(from: "Bearer " + "sk_test_" + String(repeating: "a", count: 247)).utf8.count == 255)
    }

    /// The indexed router answers what a scan of the whole table answers, for every route (with
    /// its parameters filled in, and with a literal where a parameter is) and for paths no route has.
    @Test func theIndexedRouterMatchesLikeAScan() {
        let router = Routes.router()
        func scan(_ method: String, _ path: String) -> (String, [String])? {
            let parts = path.split(separator: "/")
            var best: (APIRouter.Route, [String], Int)?
            for route in router.routes where route.method == method && route.pattern.count == parts.count {
                var params: [String] = [], literals = 0, ok = true
                for (p, s) in zip(route.pattern, parts) {
                    if p.first == "{" { params.append(String(s)) } else if p == s { literals += 1 } else { ok = false; break }
                }
                if ok, best == nil || literals > best!.2 { best = (route, params, literals) }
            }
            return best.map { ($0.0.pattern.joined(separator: "/"), $0.1) }
        }
        var paths: [(String, String)] = [("GET", "/v1"), ("GET", "/v1/nothing/here"), ("POST", "/v2/billing/meter_event_stream"),
                                         ("DELETE", "/v1/customers"), ("GET", "/_emulator/clock")]
        for route in router.routes {
            let filled = route.pattern.map { $0.first == "{" ? "x_1" : String($0) }
            paths.append((route.method, "/" + filled.joined(separator: "/")))
            let literal = route.pattern.map { $0.first == "{" ? "search" : String($0) }
            paths.append((route.method, "/" + literal.joined(separator: "/")))
        }
        for (method, path) in paths {
            let indexed = router.match(method: method, path: path).map { ($0.0.pattern.joined(separator: "/"), $0.1) }
            let scanned = scan(method, path)
            #expect(indexed?.0 == scanned?.0 && indexed?.1 == scanned?.1, "\(method) \(path)")
        }
    }

    @Test func basicAuthWithKeyAsUser() async throws {
        let s = try TestStripe()
        let created = await s.post("/v1/customers", [("email", "basic@x.test")])
        let basic = "Basic " + Data("\(s.key):".utf8).base64EncodedString()
        let r = await s.call("GET", "/v1/customers/\(created.id)", headers: ["Authorization": basic])
        #expect(r.status == 200)
        #expect(r.json["email"] == "basic@x.test")
    }

    @Test func tenantsAreIsolated() async throws {
        let s = try TestStripe()
        let other = "sk_test_other_tenant"
        let mine = await s.post("/v1/customers", [("email", "mine@x.test")])
        let theirs = await s.call("GET", "/v1/customers/\(mine.id)", key: other)
        #expect(theirs.status == 404)
        let theirList = await s.call("GET", "/v1/customers", key: other)
        #expect(theirList.json["data"] == [])
    }

    @Test func unknownIdIsResourceMissing() async throws {
        let s = try TestStripe()
        let r = await s.get("/v1/customers/cus_nope")
        #expect(r.status == 404)
        #expect(r.error["code"] == "resource_missing")
        #expect(r.error["message"] == "No such customer: 'cus_nope'")
        #expect(r.error["param"] == "id")
        #expect(r.error["doc_url"] == "https://stripe.com/docs/error-codes/resource-missing")
    }

    @Test func unknownRouteNamesIt() async throws {
        let s = try TestStripe()
        let r = await s.get("/v1/nothing_here")
        #expect(r.status == 404)
        #expect(r.error["message"].stringValue?.contains("Unrecognized request URL (GET: /v1/nothing_here)") == true)
        let wrongMethod = await s.call("PUT", "/v1/customers")
        #expect(wrongMethod.status == 404)
    }

    @Test func unknownParametersAreNamed() async throws {
        let s = try TestStripe()
        let top = await s.post("/v1/customers", [("emial", "x@y.test")])
        #expect(top.status == 400)
        #expect(top.error["param"] == "emial")
        #expect(top.error["message"] == "Received unknown parameter: emial")
        let nested = await s.post("/v1/customers", [("invoice_settings[fooo]", "1")])
        #expect(nested.error["param"] == "invoice_settings[fooo]")
        let onGet = await s.get("/v1/customers", [("colour", "red")])
        #expect(onGet.status == 400)
        #expect(onGet.error["param"] == "colour")
        // Nothing was written by the refused requests.
        let list = await s.get("/v1/customers")
        #expect(list.json["data"] == [])
    }

    @Test func wrongTypesAreClearErrors() async throws {
        let s = try TestStripe()
        let r = await s.post("/v1/customers", [("balance", "lots")])
        #expect(r.status == 400)
        #expect(r.error["param"] == "balance")
        let nested = await s.post("/v1/customers", [("email[x]", "1")])
        #expect(nested.status == 400)
        #expect(nested.error["param"] == "email")
        let badForm = await s.post("/v1/customers", [("a[0]", "1"), ("a[x]", "2")])
        #expect(badForm.status == 400)
    }

    @Test func requestIdAndVersionHeaders() async throws {
        let s = try TestStripe()
        let r = await s.call("GET", "/v1/customers", headers: ["Stripe-Version": "2024-06-20"])
        #expect(r.response.header("Request-Id")?.hasPrefix("req_") == true)
        #expect(r.response.header("Stripe-Version") == "2024-06-20")
        let d = await s.get("/v1/customers")
        #expect(d.response.header("Stripe-Version") == StripeAPIVersion.current)
        let err = await s.get("/v1/customers/cus_x")
        #expect(err.response.header("Request-Id")?.hasPrefix("req_") == true)
    }

    @Test func deterministicIdsAreSequentialPerPrefixAndTenant() async throws {
        let s = try TestStripe(idMode: .sequential)
        let a = await s.post("/v1/customers")
        let b = await s.post("/v1/customers")
        let p = await s.post("/v1/products", [("name", "P")])
        let other = await s.post("/v1/customers", key: "sk_test_second")
        #expect(a.id == "cus_000000000001")
        #expect(b.id == "cus_000000000002")
        #expect(p.id == "prod_000000000001")
        #expect(other.id == "cus_000000000001")
        #expect(a.response.header("Request-Id") == "req_000000000001")
    }

    @Test func fileDatabaseSurvivesReopening() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("effinity-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let key: String
        let id: String
        do {
            let s = try TestStripe(database: try .file(path))
            key = s.key
            id = await s.post("/v1/customers", [("email", "persist@x.test")]).id
        }
        let reopened = StripeEmulator(database: try .file(path), settings: EmulatorSettings(wallClock: FixedWallClock(TestStripe.start)))
        let r = await reopened.handle(APICall(method: "GET", path: "/v1/customers/\(id)", headers: ["Authorization": "Bearer \(key)"]))
        #expect(r.status == 200)
        #expect(try JSONParser.parse(r.body)["email"] == "persist@x.test")
    }
}
