import Testing
@testable import StripeWire

@Suite struct SignatureTests {
    @Test func hmacKnownVector() {
        // RFC-style well-known vector: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
        let mac = Digest.hmacSHA256(key: Array("key".utf8), message: Array("The quick brown fox jumps over the lazy dog".utf8))
        #expect(Digest.hex(mac) == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
    }

    @Test func sha256KnownVector() {
        #expect(Digest.hex(Digest.sha256(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // FIPS 180-2's other vectors: nothing, and a million "a" (many blocks).
        #expect(Digest.hex(Digest.sha256([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digest.hex(Digest.sha256([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Literal expectations computed once outside this project, e.g.
    /// `printf '%s' '1700000000.{}' | openssl dgst -sha256 -hmac whsec_test` (and the same with
    /// Python's `hmac.new(secret, b"<t>." + payload, hashlib.sha256).hexdigest()`).
    @Test func stripeSignatureVector() {
        #expect(WebhookSignature.sign(payload: Array("{}".utf8), secret: "whsec_test", timestamp: 1_700_000_000)
            == "35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91")
        let payload = Array(#"{"id":"evt_1","object":"event","data":{"name":"Jürgen"}}"#.utf8)
        #expect(WebhookSignature.sign(payload: payload, secret: "whsec_5f1c0d2e9a7b", timestamp: 1_735_689_600)
            == "03f35fc2bdf541c10cfa528fa73d2844d96ab1bc6253afb1b66f56873e99b009")
        #expect(WebhookSignature.header(payload: Array("{}".utf8), secrets: ["whsec_test"], timestamp: 1_700_000_000)
            == "t=1700000000,v1=35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91")
    }

    @Test func verifiesAnyMatchingV1AndRejectsTampering() throws {
        let payload = Array(#"{"id":"evt_1"}"#.utf8)
        let header = WebhookSignature.header(payload: payload, secrets: ["whsec_old", "whsec_new"], timestamp: 1000)
        try WebhookSignature.verify(payload: payload, header: header, secret: "whsec_new", now: 1010)
        try WebhookSignature.verify(payload: payload, header: header, secret: "whsec_old", now: 1010)
        #expect(throws: WebhookSignature.Failure.noMatchingSignature) {
            try WebhookSignature.verify(payload: payload + [0x20], header: header, secret: "whsec_new", now: 1010)
        }
        #expect(throws: WebhookSignature.Failure.noMatchingSignature) {
            try WebhookSignature.verify(payload: payload, header: header, secret: "whsec_other", now: 1010)
        }
        #expect(throws: WebhookSignature.Failure.timestampOutsideTolerance(age: 400)) {
            try WebhookSignature.verify(payload: payload, header: header, secret: "whsec_new", now: 1400)
        }
        #expect(throws: WebhookSignature.Failure.malformedHeader) {
            try WebhookSignature.verify(payload: payload, header: "garbage", secret: "whsec_new", now: 1000)
        }
    }

    @Test func constantTimeCompare() {
        #expect(Digest.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!Digest.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!Digest.constantTimeEqual([1, 2], [1, 2, 3]))
    }
}
