import Testing
@testable import StripeWire

@Suite struct StripeErrorTests {
    @Test func rendersStripeShape() {
        let e = StripeError.noSuch("customer", "cus_x")
        #expect(e.status == 404)
        let json = e.json["error"]
        #expect(json["type"] == "invalid_request_error")
        #expect(json["code"] == "resource_missing")
        #expect(json["message"] == "No such customer: 'cus_x'")
        #expect(json["param"] == "id")
        #expect(json["doc_url"] == "https://stripe.com/docs/error-codes/resource-missing")
    }

    @Test func parsesBack() {
        let e = StripeError(status: 402, type: .cardError, code: "card_declined", declineCode: "insufficient_funds",
                            message: "Your card has insufficient funds.")
        #expect(StripeError(status: 402, body: e.json) == e)
    }
}
