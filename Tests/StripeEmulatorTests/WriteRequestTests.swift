import Foundation
import Testing
import StripeWire
@testable import StripeEmulator

/// API writes run on the caller's thread when alone and queue when concurrent: both ways must
/// apply every write exactly once.
@Suite struct WriteRequestTests {
    @Test(arguments: [false, true])
    func concurrentWritesAllLand(fileBacked: Bool) async throws {
        let path = "/tmp/effinity-write-\(IDMinter.randomToken(12)).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let stripe = try TestStripe(database: fileBacked ? .file(path) : .inMemory())
        await withTaskGroup(of: Int.self) { group in
            for i in 0..<60 {
                group.addTask { await stripe.post("/v1/customers", [("email", "c\(i)@x.test")]).status }
            }
            for await status in group { #expect(status == 200) }
        }
        let alone = await stripe.post("/v1/customers", [("email", "last@x.test")])
        #expect(alone.status == 200)
        var seen = 0
        var after: String?
        repeat {
            var params = [("limit", "100")]
            if let after { params.append(("starting_after", after)) }
            let page = await stripe.get("/v1/customers", params)
            let data = page.json["data"].arrayValue ?? []
            seen += data.count
            after = page.json["has_more"] == true ? data.last?["id"].stringValue : nil
        } while after != nil
        #expect(seen == 61)
    }
}
