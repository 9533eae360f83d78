import Prometheus
import Synchronization

/// The app's Prometheus metrics, in a registry of its own.
///
/// Each ``BillingService`` gets its own ``PrometheusCollectorRegistry`` instead of bootstrapping the
/// process-wide `MetricsSystem`: tests run many apps concurrently in one process, and a global
/// bootstrap can happen only once, so their numbers would mix. The registry's `make*` functions
/// are used directly, and the handles are kept here so recording never looks a metric up by name
/// twice.
///
/// Counters and histograms are recorded as things happen; the subscription gauges are computed
/// from the store when `/metrics` is scraped (``exposition(store:catalog:now:)``), so they are never stale
/// and need no bookkeeping on every webhook.
public final class AppMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// The business event totals this registry has exported so far (counters only go up: each
    /// scrape adds what the database counted since).
    let exportedBusinessTotals = Mutex<[String: Int]>([:])

    /// Webhook outcomes: every delivery ends as exactly one of these.
    public enum WebhookOutcome: String, Sendable, CaseIterable {
        case processed, duplicate, ignored
        /// Not accepted (bad or missing signature, stale timestamp, not an event, or a failure while
        /// handling it): the app answered with an error and Stripe will retry.
        case rejected
    }

    /// Buckets for request latency and webhook processing time, from 5 ms to 10 s.
    static let durationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    // Descriptors are computed: `MetricNameDescriptor` is not Sendable, so it cannot be a static let.
    static var requestDuration: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "effinity", metricName: "http_request_duration", unitName: "seconds",
            helpText: "HTTP request latency by route pattern, method and status.")
    }
    static var webhookDuration: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "effinity", metricName: "webhook_processing_duration", unitName: "seconds",
            helpText: "Time to answer a Stripe webhook delivery (verify, dedupe, record as a job), by event type.")
    }
    static var webhookEvents: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "effinity", metricName: "webhook_events", unitName: "total",
            helpText: "Stripe webhook events by type and outcome: processed or ignored by their job, duplicate (seen before), rejected at the route.")
    }
    static var webhookRetriesSeen: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "effinity", metricName: "webhook_retries_seen", unitName: "total",
            helpText: "Deliveries of an event the app had already received (Stripe retries and duplicate deliveries), by event type.")
    }
    static var limitReached: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "effinity", metricName: "limit_reached", unitName: "total",
            helpText: "Creations refused with 403 limit_reached, by resource.")
    }
    static var activeSubscriptions: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "effinity", metricName: "active_subscriptions", unitName: "",
            helpText: "Organizations whose subscription is active, trialing or past_due, by plan.")
    }
    static var mrr: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "effinity", metricName: "mrr", unitName: "cents",
            helpText: "Monthly recurring revenue in cents: active and past_due paid subscriptions times the plan's monthly price.")
    }

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        registerOperationalMetrics()
        // Present from the start (at 0), so a dashboard can tell "none yet" from "not exported".
        for resource in BillingPolicy.Resource.allCases {
            _ = registry.makeCounter(descriptor: Self.limitReached, labels: [("resource", resource.rawValue)])
        }
    }

    /// One HTTP request, labelled by the route pattern (`/api/leads/{id}`, never the raw path, so the
    /// number of series stays bounded).
    public func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        registry.makeDurationHistogram(
            descriptor: Self.requestDuration,
            labels: [("method", method), ("route", route), ("status", String(status))],
            buckets: Self.durationBuckets
        ).record(duration)
    }

    /// One webhook delivery answered: recorded as a job (`queued`, counted when the job applies
    /// it) or seen before (`duplicate`: a Stripe retry or duplicate delivery, counted as a retry
    /// seen). `eventType` is the verified event's type.
    public func recordWebhookAnswer(eventType: String, queued: Bool, duration: Duration) {
        if !queued {
            registry.makeCounter(descriptor: Self.webhookEvents, labels: [("event_type", eventType), ("outcome", WebhookOutcome.duplicate.rawValue)])
                .increment()
            registry.makeCounter(descriptor: Self.webhookRetriesSeen, labels: [("event_type", eventType)]).increment()
        }
        registry.makeDurationHistogram(descriptor: Self.webhookDuration, labels: [("event_type", eventType)], buckets: Self.durationBuckets)
            .record(duration)
    }

    /// A delivery refused (bad or missing signature, stale timestamp, not an event): `unverified`
    /// when the signature did not verify (an attacker's body must not choose label values).
    public func recordWebhookRejected(eventType: String, duration: Duration) {
        registry.makeCounter(descriptor: Self.webhookEvents, labels: [("event_type", eventType), ("outcome", WebhookOutcome.rejected.rawValue)])
            .increment()
        registry.makeDurationHistogram(descriptor: Self.webhookDuration, labels: [("event_type", eventType)], buckets: Self.durationBuckets)
            .record(duration)
    }

    /// An event applied by its job: processed, ignored (a type the app does not handle, or an
    /// object gone from Stripe) or duplicate (applied before).
    func recordWebhookApplied(eventType: String, outcome: BillingService.WebhookOutcome) {
        let label: WebhookOutcome = switch outcome {
        case .processed, .queued: .processed
        case .duplicate: .duplicate
        case .ignored: .ignored
        }
        registry.makeCounter(descriptor: Self.webhookEvents, labels: [("event_type", eventType), ("outcome", label.rawValue)]).increment()
    }

    /// A creation refused at the plan's limit.
    public func recordLimitReached(resource: String) {
        registry.makeCounter(descriptor: Self.limitReached, labels: [("resource", resource)]).increment()
    }

    /// Refreshes the gauges from the store, then renders everything in the Prometheus text format
    /// (version 0.0.4).
    ///
    /// - `effinity_active_subscriptions{plan}`: organizations whose subscription is `active`,
    ///   `trialing` or `past_due` (every plan, free included), and on the free plan those whose
    ///   subscription ended (back on free): who can use the product now.
    /// - `effinity_mrr_cents`: `active` and `past_due` subscriptions on paid plans times the plan's
    ///   monthly price from the ``PlanCatalog``. `trialing` is left out because nothing has been paid
    ///   yet and a trial may never convert; `past_due` stays in because it is still billed while Stripe
    ///   retries, until Stripe cancels it. Catalog prices, not Stripe's amounts, so discounts and
    ///   prorations are not reflected.
    /// `now` is the app's clock (the age of the oldest job is measured on it).
    public func exposition(store: any BillingStore, catalog: PlanCatalog, now: Int) async throws -> String {
        let (live, paying, ended) = try await store.read { tx in
            (try tx.countSubscriptions(statuses: ["active", "trialing", "past_due"]), try tx.countSubscriptions(statuses: ["active", "past_due"]),
             try tx.countSubscriptions(statuses: OrgSubscription.endedStatuses.sorted()))
        }
        var mrr = 0
        for plan in catalog.plans {
            // An org whose subscription ended is on the free plan (its row keeps the final status).
            let count = (live[plan.id] ?? 0) + (plan.isFree ? ended[plan.id] ?? 0 : 0)
            registry.makeGauge(descriptor: Self.activeSubscriptions, labels: [("plan", plan.id)]).set(Double(count))
            mrr += (paying[plan.id] ?? 0) * plan.monthlyPriceCents
        }
        registry.makeGauge(descriptor: Self.mrr).set(Double(mrr))
        try await exposeBusiness(store: store, catalog: catalog, paying: paying)
        try await exposeQueue(store: store, now: now)
        return registry.emitToString()
    }
}
