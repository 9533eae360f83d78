import Foundation
import Testing
import StripeWire
@testable import Scenarios

/// Corrupted scenario files never crash the parser: each either still parses or is refused
/// with errors that name the file (which the CLI turns into exit code 2).
@Suite struct ScenarioFuzzTests {
    /// The project's scenario files (not the goldens or schemas), by path under `scenarios/`.
    static func suiteFileNames() throws -> [String] {
        let root = scenariosRoot
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: root.path])
        }
        return enumerator.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".json") && !$0.hasPrefix("goldens") && !$0.hasSuffix("schema.json") }.sorted()
    }

    static let scenariosRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scenarios")

    /// The project holds 41 scenario files; fewer than 40 found means the test looks in the wrong
    /// place (or files were lost), not that there is nothing to check.
    static let minimumSuiteFiles = 40

    static var suiteFiles: [[UInt8]] {
        get throws { try suiteFileNames().map { try Array(Data(contentsOf: scenariosRoot.appendingPathComponent($0))) } }
    }

    /// A small deterministic generator (SplitMix64), so a failure reproduces from its seed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let tokens: [[UInt8]] = ["{", "}", "[", "]", ",", ":", "\"", "${", "}", "null", "-1", "1e999", "\"kind\"", "\"advance\"",
                                    "\"by\"", "\"${x:y}\"", "\\u0000", "true", "\"repeat\"", "\"times\"", "99999999999999999999"].map { Array($0.utf8) }

    static func mutate(_ input: [UInt8], _ g: inout SplitMix) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &g) where !bytes.isEmpty {
            let i = Int.random(in: 0..<bytes.count, using: &g)
            switch Int.random(in: 0..<5, using: &g) {
            case 0: bytes.remove(at: i)
            case 1: bytes.insert(UInt8.random(in: 0...255, using: &g), at: i)
            case 2: bytes.insert(contentsOf: tokens[Int.random(in: 0..<tokens.count, using: &g)], at: i)
            case 3: bytes = Array(bytes[..<i])
            default:
                let j = Int.random(in: 0..<bytes.count, using: &g)
                bytes.swapAt(i, j)
            }
        }
        return bytes
    }

    @Test(arguments: [1, 2, 3, 4])
    func corruptedFilesAreRefusedCleanly(seed: UInt64) throws {
        let files = try Self.suiteFiles
        try #require(files.count >= Self.minimumSuiteFiles)
        var g = SplitMix(state: seed)
        var refused = 0
        for n in 0..<1500 {
            let input = Self.mutate(files[n % files.count], &g)
            do {
                _ = try ScenarioParser.parse(input, file: "fuzz.json")
            } catch {
                refused += 1
                #expect(!error.errors.isEmpty)
                #expect(error.errors.allSatisfy { $0.file == "fuzz.json" && !$0.message.isEmpty })
            }
        }
        #expect(refused > 1000)
    }

    @Test func everySuiteFileIsValid() throws {
        let names = try Self.suiteFileNames()
        #expect(names.count >= Self.minimumSuiteFiles, "only \(names.count) scenario files under \(Self.scenariosRoot.path)")
        for name in names {
            let bytes = try Array(Data(contentsOf: Self.scenariosRoot.appendingPathComponent(name)))
            #expect(throws: Never.self, "\(name)") { _ = try ScenarioParser.parse(bytes, file: name) }
        }
    }
}
