import Testing
@testable import Billing

/// Sequential ids (scenarios) continue after the ones a database already holds, so an app
/// restarted on it never mints an id twice.
@Suite struct AppIDsTests {
    @Test func sequencesContinueAfterStoredIDs() {
        let ids = AppIDs(.sequential)
        ids.continueAfter(["lead_000004", "lead_000002", "user_000001", "acme", "cus_000000000009", "lead_12", "org_x"])
        #expect(ids.make("lead") == "lead_000005")
        #expect(ids.make("user") == "user_000002")
        // Not an app id (a Stripe id has 12 digits; a plain name none): no sequence is touched.
        #expect(ids.make("cus") == "cus_000001")
        #expect(ids.make("prop") == "prop_000001")
    }
}
