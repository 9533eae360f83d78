import Testing
@testable import StripeEmulator

/// Random ids come from a fast process-wide sequence; they must still look like Stripe's and
/// never repeat, and secrets must come from the system generator.
@Suite struct IDMinterTests {
    static let base62 = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    @Test func tokensAreBase62OfTheAskedLength() {
        for length in [0, 1, 9, 10, 11, 14, 24, 58] {
            let token = IDMinter.randomToken(length)
            #expect(token.count == length)
            #expect(token.allSatisfy(Self.base62.contains))
            #expect(IDMinter.secretToken(length).count == length)
        }
    }

    @Test func idsNeverRepeatEvenFromManyThreads() async {
        let batches = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<4 { group.addTask { (0..<25_000).map { _ in IDMinter.randomToken(14) } } }
            var all: [[String]] = []
            for await batch in group { all.append(batch) }
            return all
        }
        let ids = batches.flatMap { $0 }
        #expect(Set(ids).count == ids.count)
        // Every position draws on the whole alphabet (no stuck or biased-to-one character).
        for position in 0..<14 {
            let used = Set(ids.prefix(5_000).map { Array($0)[position] })
            #expect(used.count == 62)
        }
    }
}
