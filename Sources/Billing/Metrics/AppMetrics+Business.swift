import Prometheus

/// The business metrics the seed names: subscription events, MRR and ARR by plan, and
/// average usage per limited resource, all read from the database at scrape time (so every app
/// server shows the same numbers, whichever worker handled the events).
extension AppMetrics {
    static var businessEvents: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "effinity", metricName: "business_events", unitName: "total",
                             helpText: "Subscription events by event (new_subscription, trial_converted, trial_canceled, churn_voluntary, churn_involuntary, upgrade, downgrade, payment_failed, payment_recovered) and plan.")
    }
    static var planMRR: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "effinity", metricName: "plan_mrr", unitName: "cents",
                             helpText: "Monthly recurring revenue by plan, in cents (active and past_due subscriptions times the plan's monthly price).")
    }
    static var planARR: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "effinity", metricName: "plan_arr", unitName: "cents",
                             helpText: "Annual recurring revenue by plan, in cents (twelve times its MRR).")
    }
    static var arr: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "effinity", metricName: "arr", unitName: "cents",
                             helpText: "Annual recurring revenue in cents: twelve times effinity_mrr_cents.")
    }
    static var averageUsage: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "effinity", metricName: "average_usage", unitName: "",
                             helpText: "Average use per organization of each limited resource: leads in the current period, properties, seats.")
    }

    /// `paying` is the count of `active` and `past_due` subscriptions by plan (as for ``mrr``).
    func exposeBusiness(store: any BillingStore, catalog: PlanCatalog, paying: [String: Int]) async throws {
        let (counts, usage) = try await store.read { tx in (try tx.businessEventCounts(), try tx.averageUsage()) }
        var total = 0
        for plan in catalog.plans {
            let mrr = (paying[plan.id] ?? 0) * plan.monthlyPriceCents
            total += mrr
            registry.makeGauge(descriptor: Self.planMRR, labels: [("plan", plan.id)]).set(Double(mrr))
            registry.makeGauge(descriptor: Self.planARR, labels: [("plan", plan.id)]).set(Double(mrr * 12))
            for event in BusinessEvent.allCases {
                let key = event.rawValue + "|" + plan.id
                let now = counts[event]?[plan.id] ?? 0
                let delta = exportedBusinessTotals.withLock { seen -> Int in
                    let d = max(0, now - (seen[key] ?? 0))
                    seen[key] = max(now, seen[key] ?? 0)
                    return d
                }
                registry.makeCounter(descriptor: Self.businessEvents, labels: [("event", event.rawValue), ("plan", plan.id)])
                    .increment(by: Int64(delta))
            }
        }
        registry.makeGauge(descriptor: Self.arr).set(Double(total * 12))
        for resource in BillingPolicy.Resource.allCases {
            registry.makeGauge(descriptor: Self.averageUsage, labels: [("resource", resource.rawValue)]).set(usage[resource] ?? 0)
        }
    }
}
