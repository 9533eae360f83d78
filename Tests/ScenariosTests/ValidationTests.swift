import Testing
import StripeWire
@testable import Scenarios

/// Every kind of validation error names the file, the JSON path and what is wrong.
@Suite struct ValidationTests {
    func errors(_ text: String) -> [ScenarioError] {
        do {
            _ = try ScenarioParser.parse(Array(text.utf8), file: "s.json")
            return []
        } catch {
            return error.errors
        }
    }

    func wrap(_ steps: String, given: String = "") -> String {
        #"{"_meta":{"template_version":0},\#(given.isEmpty ? "" : #""given":\#(given),"#)"fixtures":[\#(steps)]}"#
    }

    let owner = #"{"orgs":["acme"],"users":[{"email":"o@acme.test","org":"acme","as":"owner"}]}"#

    @Test func aPlainFixtureFileIsValid() throws {
        let s = try ScenarioParser.parse(Array(wrap(#"{"name":"c","path":"/v1/customers","method":"post","params":{"email":"a@b.c"}},{"name":"d","path":"/v1/customers/${c:id}","method":"get"}"#).utf8), file: "dir/plain.json")
        #expect(s.name == "plain")
        #expect(s.steps.count == 2)
        guard case .stripe(let call) = s.steps[1].kind else { Issue.record("not a stripe step"); return }
        #expect(call.method == "GET")
    }

    @Test func unknownKeysNameTheNearestValidOne() {
        let e = errors(wrap(#"{"name":"c","path":"/v1/customers","parms":{}}"#))
        #expect(e == [ScenarioError(file: "s.json", path: "fixtures[0].parms", message: "unknown key 'parms' (did you mean 'params'?)")])
        #expect(e[0].description == "s.json: fixtures[0].parms: unknown key 'parms' (did you mean 'params'?)")
    }

    @Test func unknownStepKindsAndTopLevelKeys() {
        #expect(errors(wrap(#"{"kind":"advnce","by":"1d"}"#)).map(\.message) == ["unknown step kind 'advnce' (did you mean 'advance'?)"])
        #expect(errors(#"{"_meta":{"template_version":0},"fixtures":[{"name":"a","path":"/v1/x"}],"givn":{}}"#).map(\.message)
                == ["unknown key 'givn' (did you mean 'given'?)"])
    }

    @Test func wrongTypes() {
        let e = errors(wrap(#"{"name":"c","path":"/v1/customers","params":[1]},{"kind":"repeat","times":"3","steps":[{"kind":"advance","by":"1d"}]}"#))
        #expect(e.map(\.path) == ["fixtures[0].params", "fixtures[1].times"])
        #expect(e.map(\.message) == ["expected an object, found an array", "expected an integer, found a string"])
        #expect(errors(#"{"_meta":{"template_version":0},"fixtures":{}}"#).map(\.message) == ["expected an array of steps, found an object"])
        #expect(errors("[1,2]").map(\.message) == ["expected an object, found an array"])
    }

    @Test func missingRequiredKeys() {
        #expect(errors(#"{"fixtures":[]}"#).map(\.message) == ["missing required key '_meta'", "has no steps"])
        #expect(errors(wrap(#"{"name":"x","method":"post"}"#)).map(\.message) == ["missing required key 'path'"])
        #expect(errors(wrap(#"{"kind":"portal","session":"bps_1"}"#)).map(\.message) == ["missing required key 'action'"])
    }

    @Test func badReferencesNameTheNearestStep() {
        let e = errors(wrap(#"{"name":"customer","path":"/v1/customers"},{"name":"p","path":"/v1/customers/${cutsomer:id}"}"#))
        #expect(e.map(\.path) == ["fixtures[1].path"])
        #expect(e.map(\.message) == ["reference ${cutsomer:id} names no earlier step (did you mean 'customer'?)"])
        // A step cannot refer to itself or to a later one.
        #expect(errors(wrap(#"{"name":"a","path":"/v1/customers/${b:id}"},{"name":"b","path":"/v1/customers"}"#)).count == 1)
        #expect(errors(wrap(#"{"name":"a","path":"/v1/customers/${a:id}"}"#)).count == 1)
        // With a default, an unknown name is allowed (the fixture CLI's rule).
        #expect(errors(wrap(#"{"name":"a","path":"/v1/customers/${zzz:id|cus_1}"}"#)).isEmpty)
        #expect(errors(wrap(#"{"name":"a","path":"/v1/customers/${a}"}"#)).map(\.message) == ["cannot resolve ${a}: expected ${name:json.path}"])
        #expect(errors(wrap(#"{"name":"a","path":"/v1/x","params":{"t":"${.now:+3x}"}}"#)).map(\.message)
                == ["bad time expression ${.now:+3x}: expected a duration like +8d or +1h30m"])
    }

    @Test func badDurationsAndTimes() {
        #expect(errors(wrap(#"{"kind":"advance","by":"3x"}"#)).map(\.message) == ["invalid duration '3x': unknown unit at 'x' (use y, mo, w, d, h, m or s)"])
        #expect(errors(wrap(#"{"kind":"advance","by":"d3"}"#)).map(\.message).first?.hasPrefix("invalid duration 'd3'") == true)
        #expect(errors(wrap(#"{"kind":"advance","to":"2027-02-30"}"#)).map(\.path) == ["fixtures[0].to"])
        #expect(errors(wrap(#"{"kind":"advance","by":"1d","to":"+2d"}"#)).map(\.message) == ["advance takes 'by' or 'to', not both"])
        #expect(errors(wrap(#"{"kind":"advance","by":"1d"}"#, given: #"{"start":"yesterday"}"#)).map(\.path) == ["given.start"])
    }

    @Test func usersOrgsAndSnapshotsMustExistAndBeUnique() {
        #expect(errors(wrap(#"{"kind":"app","as":"ownr","path":"/api/leads"}"#, given: owner)).map(\.message)
                == ["no user 'ownr' in given.users (did you mean 'owner'?)"])
        #expect(errors(wrap(#"{"kind":"expect_emails","org":"acm","exact":[]}"#, given: owner)).map(\.message)
                == ["no org 'acm' in given.orgs (did you mean 'acme'?)"])
        #expect(errors(wrap(#"{"kind":"advance","by":"1d"}"#, given: #"{"orgs":["a"],"users":[{"email":"x@y.z","org":"b"}]}"#)).map(\.message)
                == ["no org 'b' in given.orgs"])
        #expect(errors(wrap(#"{"kind":"snapshot","name":"s"},{"kind":"snapshot","name":"s"}"#)).map(\.message) == ["snapshot 's' is taken twice"])
        // As in the Stripe CLI, a later fixture step may reuse a name (its answer replaces the earlier one's).
        #expect(errors(wrap(#"{"name":"a","path":"/v1/x"},{"name":"a","path":"/v1/y"}"#)).isEmpty)
        #expect(errors(wrap(#"{"name":"a","path":"/v1/x"},{"name":"a","kind":"advance","by":"1d"}"#)).map(\.message) == ["step name 'a' is used twice"])
        #expect(errors(wrap(#"{"name":"a","kind":"advance","by":"1d"},{"name":"a","path":"/v1/y"}"#)).map(\.message) == ["step name 'a' is used twice"])
    }

    @Test func choicesAndInjectShapes() {
        #expect(errors(wrap(#"{"name":"a","path":"/v1/x","expected_error_type":"card_eror"}"#)).map(\.message)
                == ["must be one of 'api_error', 'card_error', 'idempotency_error', 'invalid_request_error', found 'card_eror' (did you mean 'card_error'?)"])
        #expect(errors(wrap(#"{"kind":"inject"}"#)).map(\.message) == ["inject takes exactly one of charge_failure, api_error, webhook_chaos, webhook_outage"])
        #expect(errors(wrap(#"{"kind":"inject","api_error":{"path":"/v1/x","status":404}}"#)).map(\.message) == ["must be 429 or between 500 and 599"])
        #expect(errors(wrap(#"{"kind":"expect_webhooks","exact":["a"],"contains":["b"]}"#)).count == 1)
    }

    @Test func everyErrorOfAFileIsReportedAtOnce() {
        let e = errors(#"{"_meta":{"template_version":2},"fixtures":[{"name":"a","path":"v1/x"},{"kind":"advance","by":"0q"},{"kind":"nope"}]}"#)
        #expect(e.map(\.path) == ["_meta.template_version", "fixtures[0].path", "fixtures[1].by", "fixtures[2].kind"])
    }

    @Test func notJSONAtAll() {
        #expect(errors("{\"_meta\": ").first?.message.hasPrefix("not valid JSON") == true)
        #expect(errors("").count == 1)
    }

    @Test func newStepShapesAreValidated() {
        #expect(errors(wrap(#"{"kind":"parallel","steps":[{"kind":"advance","by":"1d"},{"name":"x","path":"/v1/customers"}]}"#)).map(\.message)
                == ["a parallel block holds stripe, app, deliver_webhooks steps, not 'advance'"])
        #expect(errors(wrap(#"{"kind":"parallel","steps":[{"name":"x","path":"/v1/customers"}]}"#)).map(\.message)
                == ["expected an array of at least two steps"])
        #expect(errors(wrap(#"{"name":"x","path":"/v1/customers","soft":true,"known_failure":"b"}"#)).map(\.message)
                == ["a step is either soft or a known_failure, not both"])
        #expect(errors(wrap(#"{"name":"x","path":"/v1/customers","expect":{"status":[200,"x"]}}"#)).map(\.message)
                == ["status codes are whole numbers from 100 to 599"])
        #expect(errors(wrap(#"{"name":"x","path":"/v1/customers","expected_error_type":["card_error","card_eror"]}"#)).count == 1)
        #expect(errors(wrap(#"{"kind":"inject","charge_failure":{"card":"4242424242424242","customer":"cus_1"}}"#)).map(\.message)
                == ["name whose charges fail with exactly one of customer, org, payment_method or card"])
        #expect(errors(wrap(#"{"kind":"inject","charge_failure":{"card":"4242424242424242","clear":true,"from_attempt":2}}"#)).map(\.message)
                == ["clear takes no from_attempt or decline_code"])
        #expect(errors(wrap(#"{"kind":"inject","webhook_outage":{"from":"+1d"}}"#)).map(\.message)
                == ["an outage needs 'until' (a time) or 'for' (a duration from now), one of them"])
        #expect(errors(wrap(#"{"kind":"inject","webhook_outage":{"from":"tomorrow","until":"+2d"}}"#)).count == 1)
        #expect(errors(wrap(#"{"kind":"inject","api_error":{"path":"/v1/x","scope":"runner"}}"#)).count == 1)
        #expect(errors(wrap(#"{"kind":"expect_deliveries","contains":[{"type":"invoice.paid","status":"ok"}]}"#)).count == 1)
        #expect(errors(wrap(#"{"kind":"expect_webhooks","any_order":["a"],"exact":["b"]}"#)).count == 1)
        #expect(errors(wrap(#"{"kind":"pay_invoice","invoice":"in_1","authentication":"maybe"}"#)).count == 1)
        #expect(errors(wrap(#"{"name":"x","path":"/v1/x","params":{"t":"${.clock:nope+1d}"}}"#)).map(\.message)
                == ["${.clock:nope+1d} names no earlier step or test clock id"])
        #expect(errors(wrap(#"{"kind":"checkout","session":"cs_1","card":null,"email":"a@b.test","name_on_card":"A"}"#)).isEmpty)
        #expect(errors(wrap(#"{"kind":"restart_app"},{"kind":"deliver_webhooks"},{"name":"t","path":"/v1/x","params":{"a":"${.now}","b":"${generate-uuid}"}}"#)).isEmpty)
    }
}
