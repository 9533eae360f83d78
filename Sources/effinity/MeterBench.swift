import ArgumentParser
import StripeEmulator
import StripeWire

/// `effinity bench meters`: usage-based billing at scale. N customers on a metered monthly price
/// (a billing meter summing `value`); each month every customer sends E meter events through the
/// API in process, then the account clock advances to the next renewal, which bills the month's
/// usage in arrears (and pays it). Prints the ingest rate and the advances' time.
struct MeterBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meters",
        abstract: "N metered subscriptions, E meter events each per month, advanced M months; print ingest rate and advance time."
    )

    @Option(help: "Number of metered subscriptions.") var subscriptions = 1000
    @Option(help: "Meter events per subscription per month.") var events = 100
    @Option(help: "Months to advance.") var months = 12

    func run() async throws {
        let start = 1_800_000_000  // 2027-01-15 08:00 UTC: renewals on the 15th
        let emulator = StripeEmulator(database: try .inMemory(),
                                      settings: EmulatorSettings(idMode: .sequential, wallClock: FixedWallClock(start)))
        let key = "sk_test_meters"
        let setupStart = ContinuousClock.now
        let meter = try await emulator.must("POST", "/v1/billing/meters",
                                            "display_name=Calls&event_name=calls&default_aggregation[formula]=sum", key: key)
        // 2¢ a call: each event below is worth 3 calls, so a month costs events × 3 × 2¢.
        let price = try await emulator.must("POST", "/v1/prices",
                                            "product_data[name]=Calls&currency=usd&unit_amount=2&recurring[interval]=month&recurring[usage_type]=metered&recurring[meter]=\(meter["id"].stringValue!)",
                                            key: key)
        var customers: [String] = []
        for _ in 0..<subscriptions {
            let c = try await emulator.must("POST", "/v1/customers",
                                            "payment_method=pm_card_visa&invoice_settings[default_payment_method]=pm_card_visa", key: key)
            let id = c["id"].stringValue!
            customers.append(id)
            _ = try await emulator.must("POST", "/v1/subscriptions", "customer=\(id)&items[0][price]=\(price["id"].stringValue!)", key: key)
        }
        print("setup_seconds \(fmt(ContinuousClock.now - setupStart)) (\(subscriptions) customers + metered subscriptions through the API)")
        var ingest = Duration.zero, advance = Duration.zero
        var workItems = 0
        for month in 1...months {
            let began = ContinuousClock.now
            for _ in 0..<events {
                for c in customers {
                    _ = try await emulator.must("POST", "/v1/billing/meter_events",
                                                "event_name=calls&payload[stripe_customer_id]=\(c)&payload[value]=3", key: key)
                }
            }
            ingest += ContinuousClock.now - began
            let travelStart = ContinuousClock.now
            workItems += try await emulator.travel(account: key, to: UTCCalendar.addMonths(start, month, anchorDay: 15) + 2 * 3600)
            advance += ContinuousClock.now - travelStart
        }
        let total = subscriptions * events * months
        let seconds = Double(ingest.components.seconds) + Double(ingest.components.attoseconds) / 1e18
        let latest = try await emulator.must("GET", "/v1/invoices?limit=1&status=paid&customer=\(customers[0])", key: key)
        print("meter_bench subscriptions=\(subscriptions) events_per_month=\(events) months=\(months)")
        print("meter_events_ingested \(total) in \(fmt(ingest)) s: \(Int(Double(total) / max(seconds, 1e-9))) events/s (one at a time, in process)")
        print("advance_seconds \(fmt(advance)) (\(months) renewals of \(subscriptions) subscriptions, work items run: \(workItems))")
        print("latest_paid_invoice_total \(latest["data"][0]["total"].intValue ?? -1) (expected \(events * 3 * 2))")
        print("rss_mib \(String(format: "%.1f", residentMemoryMiB()))")
    }
}
