import ArgumentParser
import Foundation
import EffinityTesting
import Hummingbird
import StripeEmulator
import StripeWire
import Synchronization

/// `effinity bench`: in-process benchmarks of the fake's engine (the HTTP API figures come from
/// `benchmarks/run.sh`, which measures the server the same way as other fakes).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the fake Stripe's billing engine and webhook delivery (build with -c release for real figures).",
        subcommands: [ClockBench.self, WebhookBench.self, IsolationBench.self, ScenarioBench.self, MeterBench.self, JobsBench.self, MemoryBench.self]
    )
}

/// Resident memory of this process, from /proc.
func residentMemoryMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kb / 1024
}

/// `count` customers paying with `pm_card_visa`, each on a $20 monthly subscription, created
/// through the API in process (the load the clock benchmarks advance).
func monthlySubscriptions(_ count: Int, on emulator: StripeEmulator, key: String) async throws {
    let product = try await emulator.must("POST", "/v1/products", "name=Pro", key: key)
    let price = try await emulator.must("POST", "/v1/prices",
                                        "product=\(product["id"].stringValue!)&currency=usd&unit_amount=2000&recurring[interval]=month", key: key)
    let priceID = price["id"].stringValue!
    for _ in 0..<count {
        let c = try await emulator.must("POST", "/v1/customers",
                                        "payment_method=pm_card_visa&invoice_settings[default_payment_method]=pm_card_visa", key: key)
        _ = try await emulator.must("POST", "/v1/subscriptions", "customer=\(c["id"].stringValue!)&items[0][price]=\(priceID)", key: key)
    }
}

struct ClockBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clock",
        abstract: "Create N monthly subscriptions, then time advancing the account clock by a year (every renewal billed and paid)."
    )

    @Option(help: "Number of subscriptions.") var subscriptions = 10_000
    @Option(help: "Clock advance (a span such as 1y, 6mo).") var advance = "1y1h"
    @Option(help: "Keep the objects in this SQLite file instead of in memory (removed first).") var db: String?
    @Option(help: "Days events are kept (30 as on Stripe; 0 keeps every event, as before retention).") var eventRetentionDays = 30

    func validate() throws {
        guard (0...36_500).contains(eventRetentionDays) else { throw ValidationError("--event-retention-days must be 0 (keep every event) to 36500.") }
    }

    func run() async throws {
        let span = try TimeSpan(parsing: advance)
        let start = 1_800_000_000
        let emulator = StripeEmulator(database: try benchDatabase(db),
                                      settings: EmulatorSettings(idMode: .sequential, wallClock: FixedWallClock(start),
                                                                 eventRetentionDays: eventRetentionDays))
        let key = "sk_test_bench"
        let setupStart = ContinuousClock.now
        try await monthlySubscriptions(subscriptions, on: emulator, key: key)
        let setup = ContinuousClock.now - setupStart
        print("setup_seconds \(fmt(setup))")
        let rssBefore = residentMemoryMiB()
        let storedBefore = try await emulator.database.storageStats(account: key)
        let advanceStart = ContinuousClock.now
        let ran = try await emulator.travel(account: key, to: span.after(start))
        let elapsed = ContinuousClock.now - advanceStart
        let rssAfter = residentMemoryMiB()
        let paid = try await emulator.must("GET", "/v1/invoices?limit=1&status=paid", key: key)
        let storedAfter = try await emulator.database.storageStats(account: key, sampleSize: 2000)
        let render = Self.renderRate(storedAfter.sample)
        let storedMiB = Double(storedAfter.bytes - storedBefore.bytes) / 1_048_576
        print("clock_bench subscriptions=\(subscriptions) advance=\(advance) storage=\(db == nil ? "memory" : "file") event_retention_days=\(eventRetentionDays)")
        print("setup_seconds \(fmt(setup)) (\(subscriptions) customers + subscriptions through the API)")
        print("advance_seconds \(fmt(elapsed)) (work items run: \(ran))")
        print("rss_mib_before_advance \(String(format: "%.1f", rssBefore))")
        print("rss_mib_after_advance \(String(format: "%.1f", rssAfter))")
        print("latest_paid_invoice \(paid["data"][0]["id"].stringValue ?? "none")")
        // What the advance had to render at the least: the JSON it added to the store (objects it
        // rewrote count once), and how fast the JSON writer renders such objects.
        print("stored_objects_added \(storedAfter.objects - storedBefore.objects)")
        print("stored_json_mib_added \(String(format: "%.1f", storedMiB))")
        print("json_render_mib_per_s \(String(format: "%.1f", render))")
        print("render_floor_seconds \(String(format: "%.2f", render > 0 ? storedMiB / render : 0))")
    }

    /// MiB/s of ``JSONWriter`` over these documents: they are parsed once, then rendered pass
    /// after pass for about half a second, and the fastest pass counts (the least disturbed by
    /// other work on the machine, which makes the rendering floor derived from it a true floor).
    static func renderRate(_ documents: [String]) -> Double {
        let values = documents.compactMap { try? JSONParser.parse($0) }
        guard !values.isEmpty else { return 0 }
        let began = ContinuousClock.now
        var fastest = Duration.seconds(3600)
        var bytes = 0
        repeat {
            let start = ContinuousClock.now
            var passBytes = 0
            for v in values { passBytes += JSONWriter.data(v).count }
            let pass = ContinuousClock.now - start
            if pass < fastest { fastest = pass; bytes = passBytes }
        } while ContinuousClock.now - began < .milliseconds(500)
        let seconds = Double(fastest.components.seconds) + Double(fastest.components.attoseconds) / 1e18
        return seconds > 0 ? Double(bytes) / 1_048_576 / seconds : 0
    }
}

func fmt(_ d: Duration) -> String {
    String(format: "%.3f", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
}

struct WebhookBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks",
        abstract: "Deliver N signed events to a local HTTP receiver; print deliveries per second and delivery latency."
    )

    @Option(help: "Number of events to deliver.") var events = 2000
    @Option(help: "Endpoints of the same account whose connections are refused (a dead receiver), besides the live one.")
    var deadEndpoints = 0

    func run() async throws {
        let counter = ReceiverCounter()
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            _ = try await request.body.collect(upTo: 1 << 20)
            counter.increment()
            return .ok
        }
        // Returns once the receiver listens (no polling).
        let receiver = try await LoopbackServer.start(router.buildResponder(), name: "receiver")

        let emulator = StripeEmulator(database: try .inMemory(), settings: EmulatorSettings(wallClock: FixedWallClock(1_800_000_000)))
        let key = "sk_test_hooks"
        _ = try await emulator.must("POST", "/v1/webhook_endpoints",
                                    "url=\(receiver.url)/hook&enabled_events[0]=customer.created", key: key)
        for _ in 0..<deadEndpoints {
            // Port 1 on loopback: nothing listens, every connection is refused.
            _ = try await emulator.must("POST", "/v1/webhook_endpoints", "url=http://127.0.0.1:1/dead&enabled_events[0]=customer.created",
                                        key: key)
        }
        for i in 0..<events { _ = try await emulator.must("POST", "/v1/customers", "email=c\(i)%40bench.test", key: key) }
        let started = ContinuousClock.now
        let attempted = try await emulator.drainDeliveries(account: key)
        let elapsed = ContinuousClock.now - started
        let log = try await emulator.must("GET", "/_emulator/deliveries?limit=1000", key: key)
        let latencies = (log["data"].arrayValue ?? []).compactMap { v -> Double? in
            if case .double(let d) = v["duration_ms"] { return d }
            return v["duration_ms"].intValue.map(Double.init)
        }.sorted()
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("webhook_bench events=\(events) delivered=\(counter.value) attempted=\(attempted) dead_endpoints=\(deadEndpoints)")
        print("deliveries_per_second \(String(format: "%.0f", Double(attempted) / seconds))")
        print("live_deliveries_per_second \(String(format: "%.0f", Double(counter.value) / seconds)) (events the live receiver got, over the whole drain)")
        if !latencies.isEmpty {
            let p50 = latencies[latencies.count / 2], p99 = latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
            print("delivery_latency_ms p50=\(String(format: "%.3f", p50)) p99=\(String(format: "%.3f", p99)) (last \(latencies.count) attempts, signed POST round trip)")
        }
        await receiver.stop()
        guard counter.value == events else { throw ValidationError("only \(counter.value) of \(events) deliveries arrived") }
    }
}

final class ReceiverCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}


/// How a long clock advance of one tenant affects another tenant's requests: tenant A advances
/// N monthly subscriptions by a year while tenant B reads a customer in a loop; prints B's
/// latency percentiles during the advance (in process, so it measures the engine's sharing of
/// the database, not HTTP).
struct IsolationBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "isolation",
        abstract: "Another tenant's GET latency (p50/p99/max) while one tenant advances N subscriptions by a year."
    )

    @Option(help: "Subscriptions of the advancing tenant.") var subscriptions = 1_000
    @Option(help: "Clock advance (a span such as 1y, 6mo).") var advance = "1y"

    func run() async throws {
        let start = 1_800_000_000
        let emulator = StripeEmulator(database: try .inMemory(), settings: EmulatorSettings(wallClock: FixedWallClock(start)))
        let a = "sk_test_advancing", b = "sk_test_reading"
        try await monthlySubscriptions(subscriptions, on: emulator, key: a)
        let reader = try await emulator.must("POST", "/v1/customers", "email=reader%40bench.test", key: b)
        let readerID = reader["id"].stringValue!
        let target = try TimeSpan(parsing: advance).after(start)
        let advanceStart = ContinuousClock.now
        let done = Atomic<Bool>(false)
        let advancing = Task {
            defer { done.store(true, ordering: .releasing) }
            return try await emulator.travel(account: a, to: target)
        }
        var latencies: [Double] = []
        // B reads (and writes a little: every tenth request updates metadata) until A is done.
        var i = 0
        while true {
            let t0 = ContinuousClock.now
            if i % 10 == 9 {
                _ = try await emulator.must("POST", "/v1/customers/\(readerID)", "metadata[n]=\(i)", key: b)
            } else {
                _ = try await emulator.must("GET", "/v1/customers/\(readerID)", key: b)
            }
            latencies.append(Self.ms(ContinuousClock.now - t0))
            i += 1
            if done.load(ordering: .acquiring) { break }
            await Task.yield()
        }
        let ran = try await advancing.value
        let elapsed = ContinuousClock.now - advanceStart
        latencies.sort()
        func pct(_ p: Double) -> String { String(format: "%.2f", latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]) }
        print("isolation_bench subscriptions=\(subscriptions) advance=\(advance) work_items=\(ran) advance_seconds=\(String(format: "%.2f", Self.ms(elapsed) / 1000))")
        print("other_tenant_requests \(latencies.count) p50_ms=\(pct(0.5)) p99_ms=\(pct(0.99)) max_ms=\(String(format: "%.2f", latencies.last ?? 0))")
    }

    static func ms(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }
}
