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

    /// Concurrent writes share a transaction (``GroupCommit``), each in its own savepoint: a
    /// request that fails after writing leaves nothing behind, the others in its batch all land,
    /// and each gets its own answer. A subscription on a customer whose card is declined writes
    /// objects then fails with a 402 at creation (`error_if_incomplete`), rolled back whole.
    @Test(arguments: [false, true])
    func aFailingWriteInABatchLeavesNothingAndTheOthersLand(fileBacked: Bool) async throws {
        let path = "/tmp/effinity-batch-\(IDMinter.randomToken(12)).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let stripe = try TestStripe(database: fileBacked ? .file(path) : .inMemory())
        let price = await stripe.monthlyPrice(2500)
        let declined = await stripe.customer(card: "pm_card_chargeCustomerFail")
        let eventsBefore = await stripe.eventTypes().count
        let before = await stripe.get("/v1/subscriptions", [("customer", declined), ("status", "all")]).json["data"].arrayValue?.count
        #expect(before == 0)
        let results = await withTaskGroup(of: (Int, Int).self) { group -> [(Int, Int)] in
            for i in 0..<40 {
                group.addTask {
                    if i % 4 == 0 {
                        let r = await stripe.post("/v1/subscriptions", [("customer", declined), ("items[0][price]", price),
                                                                        ("payment_behavior", "error_if_incomplete")])
                        return (i, r.status)
                    }
                    return (i, await stripe.post("/v1/customers", [("email", "b\(i)@x.test")]).status)
                }
            }
            var all: [(Int, Int)] = []
            for await r in group { all.append(r) }
            return all
        }
        for (i, status) in results { #expect(status == (i % 4 == 0 ? 402 : 200), "request \(i)") }
        let subs = await stripe.get("/v1/subscriptions", [("customer", declined), ("status", "all")])
        #expect(subs.json["data"].arrayValue?.count == 0)
        let invoices = await stripe.get("/v1/invoices", [("customer", declined)])
        #expect(invoices.json["data"].arrayValue?.count == 0)
        // 30 customers, each with its `customer.created`; nothing of the failed subscriptions.
        #expect(await stripe.eventTypes().count == eventsBefore + 30)
        let customers = await stripe.get("/v1/customers", [("limit", "100")])
        // 30 made here and the one whose card fails.
        #expect(customers.json["data"].arrayValue?.count == 31)
    }
}
