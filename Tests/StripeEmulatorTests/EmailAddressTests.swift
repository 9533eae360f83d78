import Testing
import StripeWire
@testable import StripeEmulator

/// The byte-wise check of ASCII addresses must agree with the character-wise rule it shortcuts:
/// `check` trusts it to accept, so accepting anything the rule refuses would let a bad address in.
@Suite struct EmailAddressTests {
    static let samples = [
        "jenny@example.com", "a@b.co", "first.last+tag@sub.example.org", "x@localhost", "@example.com",
        "jenny@", "jenny@@example.com", "je@nny@example.com", "jenny@example..com", "jenny@.example.com",
        "jenny@example.com.", "jenny@-example.com", "jenny@example-.com", "jenny@example.123", "jenny@1.2.3.4",
        "jen ny@example.com", "jenny@exa\tmple.com", "jenny\r\n@example.com", "jenny@example.com\n",
        "jenny\u{0B}@example.com", "jenny\u{1F}@example.com", String(repeating: "a", count: 64) + "@example.com",
        String(repeating: "a", count: 65) + "@example.com", "a@b.c-d.e", "a@b.c1", "a@b.1c", "",
    ]

    @Test(arguments: samples) func asciiRuleAgreesWithTheCharacterRule(_ email: String) {
        #expect(EmailAddress.isPlausibleASCII(email) == EmailAddress.isPlausible(email))
    }

    @Test func randomASCIIAddressesAgree() {
        // Deterministic: a fixed linear congruential sequence over the characters that matter.
        let alphabet = Array("ab1-.@ \t\r\n".utf8)
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let length = Int(state >> 59)
            var bytes: [UInt8] = []
            for _ in 0..<length {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes.append(alphabet[Int(state >> 33) % alphabet.count])
            }
            let email = String(decoding: bytes, as: UTF8.self)
            #expect(EmailAddress.isPlausibleASCII(email) == EmailAddress.isPlausible(email), "\(email.debugDescription)")
        }
    }

    @Test func checkRefusesWhatTheRuleRefuses() throws {
        try EmailAddress.check("jenny@example.com", param: "email")
        try EmailAddress.check("jénny@example.com", param: "email")
        func refusal(_ email: String) -> StripeError? {
            do { try EmailAddress.check(email, param: "customer_email") } catch let e as StripeError { return e } catch { return nil }
            return nil
        }
        for email in ["jenny@example", "jénny@exämple", "jen ny@example.com"] {
            let e = refusal(email)
            #expect(e?.status == 400 && e?.type == .invalidRequestError && e?.code == "email_invalid" && e?.param == "customer_email")
            #expect(e?.message == "Invalid email address: \(email)")
        }
        let long = refusal(String(repeating: "a", count: 501) + "@example.com")  // 513 characters
        #expect(long?.code == "email_invalid" && long?.param == "customer_email")
        #expect(long?.message == "Invalid email address: too long (at most 512 characters).")
    }
}
