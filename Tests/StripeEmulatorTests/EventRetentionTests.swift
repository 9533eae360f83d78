import Testing
import GRDB
import StripeWire
@testable import StripeEmulator
@testable import StripeEngine

/// Events stay retrievable 30 days of the account's clock, as Stripe keeps them; then they are
/// gone as if they had never been, unless a delivery of theirs is still pending.
@Suite struct EventRetentionTests {
    static let day = 86_400

    @Test func anEventOlderThanThirtyDaysIsGoneLikeAnUnknownOne() async throws {
        let s = try TestStripe()
        _ = await s.customer(card: nil)
        let first = try #require(await s.allEvents().first)
        let firstID = try #require(first["id"].stringValue)
        #expect(first["type"] == "customer.created")
        #expect(first["created"] == .int(TestStripe.start))

        // 29 days on: still there.
        _ = await s.post("/_emulator/time/set", [("to", String(TestStripe.start + 29 * Self.day))])
        #expect(await s.get("/v1/events/\(firstID)").status == 200)
        _ = await s.customer(card: nil)
        let secondID = try #require(await s.allEvents().last?["id"].stringValue)

        // 30 days and a second after the first: the first is gone, the second (one day old) kept.
        let moved = await s.post("/_emulator/time/set", [("to", String(TestStripe.start + 30 * Self.day + 1))])
        #expect(moved.status == 200)
        let gone = await s.get("/v1/events/\(firstID)")
        #expect(gone.status == 404)
        let unknown = await s.get("/v1/events/evt_neverexisted")
        #expect(gone.error["type"] == unknown.error["type"])
        #expect(gone.error["code"] == "resource_missing")
        #expect(gone.error["param"] == unknown.error["param"])
        #expect(gone.error["message"] == .string("No such event: '\(firstID)'"))
        #expect(await s.get("/v1/events/\(secondID)").status == 200)
        #expect(await s.allEvents().compactMap { $0["id"].stringValue } == [secondID])
        let byType = await s.get("/v1/events", [("type", "customer.created")])
        #expect(byType.json["data"].arrayValue?.compactMap { $0["id"].stringValue } == [secondID])
        // The objects themselves are kept: only events expire.
        #expect(await s.get("/v1/customers", [("limit", "10")]).json["data"].arrayValue?.count == 2)
    }

    @Test func aYearOfRenewalsKeepsTheObjectsAndOnlyTheLastThirtyDaysOfEvents() async throws {
        let s = try TestStripe()
        let price = await s.monthlyPrice(1000)
        let customer = await s.customer()
        let sub = await s.post("/v1/subscriptions", [("customer", customer), ("items[0][price]", price)])
        #expect(sub.json["status"] == "active")
        let year = TestStripe.start + 366 * Self.day
        #expect(await s.post("/_emulator/time/set", [("to", String(year))]).status == 200)

        let invoices = await s.get("/v1/invoices", [("subscription", sub.id), ("limit", "100")])
        // The first invoice and twelve renewals (2027-01-15 to 2028-01-15), all paid and kept.
        #expect(invoices.json["data"].arrayValue?.count == 13)
        #expect(invoices.json["data"].arrayValue?.allSatisfy { $0["status"] == "paid" } == true)
        let events = await s.allEvents()
        #expect(!events.isEmpty)
        #expect(events.allSatisfy { ($0["created"].intValue ?? 0) >= year - 30 * Self.day })
        // The last renewal's events are all there (2028-01-15 is one day before `year`).
        #expect(events.filter { $0["type"] == "invoice.paid" }.count == 1)
    }

    /// An event of a test clock set 60 days in the past carries that clock's time as `created`,
    /// but counts its 30 days from the account time it was logged at.
    @Test func aTestClockInThePastKeepsItsEventsThirtyDaysOfTheAccountClock() async throws {
        let s = try TestStripe()
        let past = TestStripe.start - 60 * Self.day
        let clock = await s.post("/v1/test_helpers/test_clocks", [("frozen_time", String(past))])
        #expect(clock.status == 200)
        let customer = await s.post("/v1/customers", [("test_clock", clock.id)])
        #expect(customer.status == 200)
        let event = try #require(await s.allEvents().first { $0["type"] == "customer.created" })
        #expect(event["created"] == .int(past))
        let id = try #require(event["id"].stringValue)
        #expect(await s.post("/_emulator/time/set", [("to", String(TestStripe.start + 29 * Self.day))]).status == 200)
        #expect(await s.get("/v1/events/\(id)").status == 200)
        // Freezing the clock past the 30 days expires it too.
        #expect(await s.post("/_emulator/time/freeze", [("at", String(TestStripe.start + 30 * Self.day + 1))]).status == 200)
        #expect(await s.get("/v1/events/\(id)").status == 404)
    }

    @Test func zeroDaysKeepsEveryEvent() async throws {
        let s = try TestStripe(eventRetentionDays: 0)
        _ = await s.customer(card: nil)
        let id = try #require(await s.allEvents().first?["id"].stringValue)
        #expect(await s.post("/_emulator/time/set", [("to", String(TestStripe.start + 400 * Self.day))]).status == 200)
        #expect(await s.get("/v1/events/\(id)").status == 200)
    }

    @Test func anEventWaitingForADeliveryIsKeptUntilTheDeliveryEnds() async throws {
        let s = try TestStripe()
        // Nothing listens on port 1: the delivery stays pending (a retry is due later).
        let endpoint = await s.post("/v1/webhook_endpoints", [("url", "http://127.0.0.1:1/hook"), ("enabled_events[0]", "*")])
        #expect(endpoint.status == 200)
        _ = await s.customer(card: nil)
        let events = await s.allEvents()
        #expect(events.count == 1)
        let account = s.key, settings = s.emulator.settings
        let later = TestStripe.start + 31 * Self.day
        func prune() async throws -> Int {
            try await s.emulator.database.writer.write { db in
                try EventRetention.prune(Ledger.automatic(db: db, account: account, settings: settings), now: later, days: 30)
            }
        }
        #expect(try await prune() == 0)
        try await s.emulator.database.writer.write { db in
            try db.execute(sql: "UPDATE webhook_deliveries SET state = 'failed' WHERE account = ?", arguments: [account])
        }
        #expect(try await prune() == 1)
        #expect(try await prune() == 0)
        #expect(await s.get("/v1/events/\(events[0]["id"].stringValue ?? "")").status == 404)
    }
}

extension EventRetentionTests {
    /// Every renewal of one instant runs in one chunk of time travel, so a month later more
    /// than one batch of events expires at once: all of them go, a batch per transaction.
    @Test func moreThanABatchOfExpiredEventsAllGo() async throws {
        let s = try TestStripe()
        let account = s.key, count = EventRetention.batch * 2 + 7
        try await s.emulator.database.writer.write { db in
            for i in 0..<count {
                try db.execute(sql: """
                    INSERT INTO events (account, id, created, data, tag, logged) VALUES (?, ?, ?, '{}', 'customer.updated', ?)
                    """, arguments: [account, "evt_bulk\(i)", TestStripe.start, TestStripe.start])
            }
        }
        func events() async throws -> Int {
            try await s.emulator.database.writer.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE account = ?", arguments: [account]) ?? -1
            }
        }
        #expect(try await events() == count)
        #expect(await s.post("/_emulator/time/set", [("to", String(TestStripe.start + 30 * Self.day - 1))]).status == 200)
        #expect(try await events() == count)
        #expect(await s.post("/_emulator/time/set", [("to", String(TestStripe.start + 30 * Self.day + 1))]).status == 200)
        #expect(try await events() == 0)
    }
}
