import Prometheus

/// The app's operational metrics: the job queue, the Stripe client, the database and errors.
extension AppMetrics {
    /// Buckets for how long a job waited in the queue, in seconds of the app's clock (a retry
    /// backs off for minutes to hours).
    static let waitBuckets: [Double] = [0, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600]

    static var jobsEnqueued: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "effinity", metricName: "jobs_enqueued", unitName: "total",
                             helpText: "Stripe events the webhook route queued as jobs (emails are queued inside the jobs that write them).")
    }
    static var jobsFinished: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "effinity", metricName: "jobs_finished", unitName: "total",
                             helpText: "Job runs by kind and result: succeeded, retried (failed, queued again with backoff), dead_lettered.")
    }
    static var jobDuration: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "effinity", metricName: "job_duration", unitName: "seconds",
                             helpText: "Time to run one job (Stripe re-reads and the transaction that applies it), by kind.")
    }
    static var jobWait: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "effinity", metricName: "job_wait", unitName: "seconds",
                             helpText: "Job latency: from queued to claimed by a worker, in seconds of the app's clock, by kind.")
    }
    static var queueDepth: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "effinity", metricName: "job_queue_depth", unitName: "",
                             helpText: "Jobs queued or running, by kind.")
    }
    static var oldestJobAge: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "effinity", metricName: "job_oldest_age", unitName: "seconds",
                             helpText: "Age of the oldest job not yet done (0 when the queue is empty).")
    }
    static var deadJobs: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "effinity", metricName: "jobs_dead", unitName: "",
                             helpText: "Dead-lettered jobs (failed on every attempt) waiting for an operator, by kind.")
    }
    static var stripeDuration: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "effinity", metricName: "stripe_request_duration", unitName: "seconds",
                             helpText: "The app's calls to Stripe, each attempt, by method, endpoint and status (`error`: no answer).")
    }
    static var stripeRetries: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "effinity", metricName: "stripe_retries", unitName: "total",
                             helpText: "Stripe calls retried by the app's client, by endpoint and the status that caused it.")
    }
    static var stripeErrors: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "effinity", metricName: "stripe_errors", unitName: "total",
                             helpText: "Stripe calls that failed after the client's retries, by endpoint and status.")
    }
    static var dbDuration: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "effinity", metricName: "db_transaction_duration", unitName: "seconds",
                             helpText: "Database transactions (every query of the app runs in one), by kind (read, write).")
    }
    static var dbInUse: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "effinity", metricName: "db_connections_in_use", unitName: "",
                             helpText: "Database connections held by a transaction now.")
    }
    static var dbMax: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "effinity", metricName: "db_connections_max", unitName: "",
                             helpText: "The connection pool's size (1 for SQLite's single writer).")
    }
    static var httpErrors: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "effinity", metricName: "http_errors", unitName: "total",
                             helpText: "Error answers of the app by status and error code (each also logged with its request id).")
    }
    static var emailsSent: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "effinity", metricName: "emails_sent", unitName: "total",
                             helpText: "Emails handed to the email sender, by kind.")
    }

    /// Series that exist from the start, so dashboards and alerts see 0 rather than nothing.
    func registerOperationalMetrics() {
        _ = registry.makeCounter(descriptor: Self.jobsEnqueued, labels: [("kind", QueuedJob.Kind.stripeEvent.rawValue)])
        for kind in QueuedJob.Kind.allCases {
            for result in JobResult.allCases {
                _ = registry.makeCounter(descriptor: Self.jobsFinished, labels: [("kind", kind.rawValue), ("result", result.rawValue)])
            }
            registry.makeGauge(descriptor: Self.queueDepth, labels: [("kind", kind.rawValue)]).set(0.0)
            registry.makeGauge(descriptor: Self.deadJobs, labels: [("kind", kind.rawValue)]).set(0.0)
        }
        registry.makeGauge(descriptor: Self.oldestJobAge).set(0.0)
        registry.makeGauge(descriptor: Self.dbInUse).set(0.0)
    }

    /// How one run of a job ended.
    public enum JobResult: String, Sendable, CaseIterable {
        case succeeded, retried
        case deadLettered = "dead_lettered"
    }

    func recordJobEnqueued(kind: QueuedJob.Kind) {
        registry.makeCounter(descriptor: Self.jobsEnqueued, labels: [("kind", kind.rawValue)]).increment()
    }

    func recordJobStarted(kind: QueuedJob.Kind, waited seconds: Int) {
        registry.makeValueHistogram(descriptor: Self.jobWait, labels: [("kind", kind.rawValue)], buckets: Self.waitBuckets)
            .record(Double(seconds))
    }

    func recordJobFinished(kind: QueuedJob.Kind, result: JobResult, duration: Duration) {
        registry.makeCounter(descriptor: Self.jobsFinished, labels: [("kind", kind.rawValue), ("result", result.rawValue)]).increment()
        registry.makeDurationHistogram(descriptor: Self.jobDuration, labels: [("kind", kind.rawValue)], buckets: Self.durationBuckets)
            .record(duration)
    }

    func recordEmailSent(kind: String) {
        registry.makeCounter(descriptor: Self.emailsSent, labels: [("kind", kind)]).increment()
    }

    /// One attempt of a Stripe call. `endpoint` is the path with ids replaced (``StripeClient/endpoint(_:)``).
    func recordStripeAttempt(method: String, endpoint: String, status: String, duration: Duration) {
        registry.makeDurationHistogram(descriptor: Self.stripeDuration,
                                       labels: [("endpoint", endpoint), ("method", method), ("status", status)],
                                       buckets: Self.durationBuckets).record(duration)
    }

    func recordStripeRetry(endpoint: String, status: String) {
        registry.makeCounter(descriptor: Self.stripeRetries, labels: [("endpoint", endpoint), ("status", status)]).increment()
    }

    func recordStripeError(endpoint: String, status: String) {
        registry.makeCounter(descriptor: Self.stripeErrors, labels: [("endpoint", endpoint), ("status", status)]).increment()
    }

    func recordTransaction(write: Bool, duration: Duration) {
        registry.makeDurationHistogram(descriptor: Self.dbDuration, labels: [("kind", write ? "write" : "read")],
                                       buckets: Self.durationBuckets).record(duration)
    }

    func setConnectionsInUse(_ n: Int, max: Int) {
        registry.makeGauge(descriptor: Self.dbInUse).set(Double(n))
        registry.makeGauge(descriptor: Self.dbMax).set(Double(max))
    }

    /// An error answer of the app (4xx or 5xx), by status and the error's code.
    public func recordError(status: Int, code: String) {
        registry.makeCounter(descriptor: Self.httpErrors, labels: [("code", code), ("status", String(status))]).increment()
    }

    /// The queue gauges, read from the store at scrape time (every server shows the shared queue).
    func exposeQueue(store: any BillingStore, now: Int) async throws {
        let stats = try await store.read { tx in try tx.jobStats(now: now) }
        registry.makeGauge(descriptor: Self.oldestJobAge).set(Double(stats.oldestAge))
        for kind in QueuedJob.Kind.allCases {
            registry.makeGauge(descriptor: Self.queueDepth, labels: [("kind", kind.rawValue)]).set(Double(stats.depth[kind] ?? 0))
            registry.makeGauge(descriptor: Self.deadJobs, labels: [("kind", kind.rawValue)]).set(Double(stats.dead[kind] ?? 0))
        }
    }
}
