import Testing
@testable import StripeWire

@Suite struct TrimmingTests {
    @Test func trimsOnlyTheGivenCharactersAtBothEnds() {
        #expect(" \t Bearer sk_test_x \t".trimmed(of: " ", "\t") == "Bearer sk_test_x")
        #expect("  a  b  ".trimmed(of: " ") == "a  b")
        #expect("\tkeep ".trimmed(of: " ") == "\tkeep")
        #expect("   ".trimmed(of: " ").isEmpty)
        #expect("".trimmed(of: " ").isEmpty)
        let sub = "x= v1 ".split(separator: "=")[1]
        #expect(sub.trimmed(of: " ") == "v1")
    }
}
