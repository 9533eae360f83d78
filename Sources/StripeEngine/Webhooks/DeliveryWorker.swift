import GRDB
import Logging
import StripeWire

/// Reads the outbox and delivers: each due delivery is signed (`Stripe-Signature: t=..,v1=..`)
/// over the exact bytes sent, posted, and recorded; failures are retried on the tenant's clock.
///
/// Test-mode schedule (as Stripe's test mode: a few attempts over hours): 3 attempts in all, the
/// second 1 hour after the first, the third 3 hours after the second.
///
/// Order: each endpoint receives its deliveries one at a time in event order (unless chaos
/// reorders them), so a deterministic run sends each endpoint the same sequence every time.
/// Different endpoints are served in parallel, up to ``EmulatorSettings/parallelEndpoints`` at once per tenant
/// (and tenants one after another in the background loop), so a slow or dead endpoint delays
/// only its own deliveries; there is no order between endpoints.
package struct DeliveryWorker: Sendable {
    package static let retryDelays = [3600, 3 * 3600]
    package static var maxAttempts: Int { retryDelays.count + 1 }

    package let database: EmulatorDatabase
    package let settings: EmulatorSettings
    package let transport: any WebhookTransport
    package let timeout: Duration
    package let logger: Logger
    /// One delivery pass per tenant at a time: the background loop and a drain never send the
    /// same delivery twice, and a drain waits for a pass already in flight.
    package let passes = KeyedLock()

    package typealias Due = DeliveryQueue.Due

    /// Accounts with pending deliveries.
    package func accounts() async throws -> [String] {
        try await database.writer.read { db in
            try DeliveryQueue.accountsWithPending(db)
        }
    }

    /// One pass: attempts every delivery due now on each tenant's clock once. Returns the attempts made.
    @discardableResult
    package func deliverDue(account: String? = nil) async throws -> Int {
        var total = 0
        let targets: [String]
        if let account { targets = [account] } else { targets = try await accounts() }
        for acct in targets {
            total += try await deliverDue(forAccount: acct)
        }
        return total
    }

    package func deliverDue(forAccount account: String) async throws -> Int {
        await passes.acquire(account)
        do {
            let n = try await pass(account)
            await passes.release(account)
            return n
        } catch {
            await passes.release(account)
            throw error
        }
    }

    private func pass(_ account: String) async throws -> Int {
        let settings = self.settings
        let (due, chaos): ([Due], [String: DeliveryChaos]) = try await database.writer.read { db in
            let ledger = Ledger(db: db, account: account, ids: IDMinter(mode: settings.idMode, db: db, account: account),
                                settings: settings, request: .automatic)
            let now = try ledger.accountClock.now()
            let due = try DeliveryQueue(db: db, account: account).due(at: now)
            // Each endpoint's own chaos, else the tenant's.
            let tenant = try DeliveryChaos.tenant(ledger)
            var chaos: [String: DeliveryChaos] = [:]
            for endpoint in Set(due.map(\.endpointID)) {
                chaos[endpoint] = try DeliveryChaos.forEndpoint(endpoint, ledger) ?? tenant ?? DeliveryChaos()
            }
            return (due, chaos)
        }
        // Each endpoint's deliveries are reordered among the places they hold in the pass, so
        // endpoints without chaos keep event order.
        var order = due.map(\.seq)
        for (endpoint, c) in chaos {
            let places = due.indices.filter { due[$0].endpointID == endpoint }
            for (place, seq) in zip(places, c.reorder(places.map { due[$0].seq })) { order[place] = seq }
        }
        let bySeq = Dictionary(uniqueKeysWithValues: due.map { ($0.seq, $0) })
        // Each endpoint's deliveries go out one at a time in that order; endpoints are served in
        // parallel (at most `parallelEndpoints` at once), so a slow or dead endpoint delays only
        // itself.
        var queues: [[Due]] = []
        var queueOf: [String: Int] = [:]
        for seq in order {
            let d = bySeq[seq]!
            if let i = queueOf[d.endpointID] { queues[i].append(d) } else {
                queueOf[d.endpointID] = queues.count
                queues.append([d])
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var running = 0
            for queue in queues {
                if running >= settings.parallelEndpoints {
                    try await group.next()
                    running -= 1
                }
                group.addTask {
                    for d in queue { try await self.attempt(d) }
                }
                running += 1
            }
            try await group.waitForAll()
        }
        return due.count
    }

    /// Repeats passes until nothing is due (bounded), so a caller knows every due delivery was attempted.
    @discardableResult
    package func drain(account: String? = nil) async throws -> Int {
        var total = 0
        for _ in 0..<100 {
            let n = try await deliverDue(account: account)
            total += n
            if n == 0 { break }
        }
        return total
    }

    package struct Prepared: Sendable {
        package let url: String
        package let payload: [UInt8]
        package let secrets: [String]
        package let now: Int
        /// The time the signature carries (``SignatureTime``): `now`, or the machine's.
        package let signedAt: Int
        package let chaos: DeliveryChaos
        package let live: Bool
    }

    package func attempt(_ d: Due) async throws {
        let settings = self.settings
        let prepared: Prepared? = try await database.writer.read { db in
            let ledger = Ledger(db: db, account: d.account, ids: IDMinter(mode: settings.idMode, db: db, account: d.account),
                                settings: settings, request: .automatic)
            guard let endpoint = try ledger.store.find(d.endpointID), let event = try ledger.store.find(d.eventID) else { return nil }
            let now = try ledger.accountClock.now()
            let chaos = try DeliveryChaos.forEndpoint(d.endpointID, ledger) ?? DeliveryChaos.tenant(ledger) ?? DeliveryChaos()
            let hidden = try ledger.store.hidden(d.endpointID)
            // At the endpoint's version, or the account's default when it pins none.
            let version = try endpoint.object["api_version"].stringValue.flatMap(APIVersion.init)
                ?? APIVersion(try APIVersion.accountDefault(ledger)) ?? .current
            return Prepared(url: endpoint.object["url"].stringValue ?? "",
                            payload: try Rendering.render(event.object, stored: nil, for: .webhookDelivery(version: version), store: ledger.store),
                            secrets: SigningSecrets.active(hidden, now: now), now: now,
                            signedAt: try SignatureTime.of(ledger) == .real ? SystemWallClock().now() : now, chaos: chaos,
                            live: !endpoint.deleted && endpoint.object["status"] == "enabled")
        }
        guard let p = prepared, p.live else {
            try await database.writer.write { db in
                try DeliveryQueue(db: db, account: d.account).cancel(seq: d.seq)
            }
            return
        }
        let attemptNumber = d.attempts + 1
        let signedAt = p.signedAt + p.chaos.signatureSkewSeconds
        let header = WebhookSignature.header(payload: p.payload, secrets: p.secrets, timestamp: signedAt)
        // Effinity-Clock-Now: the account's virtual time, for an app that follows it (docs/PROJECT.md).
        let headers = [("Content-Type", "application/json; charset=utf-8"), ("Stripe-Signature", header),
                       ("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)"), ("Effinity-Clock-Now", String(p.now))]
        var results: [DeliveryQueue.Attempt] = []
        let sends = p.chaos.duplicates(d.seq, attempt: attemptNumber) ? 2 : 1
        for copy in 0..<sends {
            let started = ContinuousClock.now
            let result: WebhookTransportResult
            if attemptNumber <= p.chaos.failFirst {
                result = WebhookTransportResult(statusCode: 500, error: "injected failure (fail_first=\(p.chaos.failFirst))")
            } else if p.chaos.inOutage(at: p.now) {
                result = WebhookTransportResult(statusCode: 503, error: "injected outage (until \(p.chaos.outageUntil ?? 0))")
            } else {
                result = await transport.post(url: p.url, headers: headers, body: p.payload, timeout: timeout)
            }
            let elapsed = ContinuousClock.now - started
            let microseconds = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
            results.append(.init(result: result, milliseconds: Double(microseconds) / 1000, duplicate: copy > 0))
        }
        let succeeded = results.contains { $0.result.succeeded }
        let retryAfter = attemptNumber < Self.maxAttempts ? Self.retryDelays[attemptNumber - 1] : nil
        let recorded = results
        try await database.writer.write { db in
            try DeliveryQueue(db: db, account: d.account).record(d, attempt: attemptNumber, at: p.now, signedAt: signedAt,
                                                                 attempts: recorded, retryAfter: retryAfter)
            if succeeded {
                let store = ObjectStore(db: db, account: d.account)
                if var event = try store.find(d.eventID)?.object {
                    event["pending_webhooks"] = .int(try DeliveryQueue(db: db, account: d.account).endpointsNotAnswered(eventID: d.eventID))
                    try store.update(event)
                }
            }
        }
        if !succeeded {
            logger.info("webhook delivery failed", metadata: ["event": "\(d.eventID)", "endpoint": "\(d.endpointID)",
                                                              "attempt": "\(attemptNumber)", "status": "\(results.last?.result.statusCode.map(String.init) ?? results.last?.result.error ?? "")"])
        }
    }

    package init(database: EmulatorDatabase, settings: EmulatorSettings, transport: any WebhookTransport, timeout: Duration, logger: Logger) {
        self.database = database
        self.settings = settings
        self.transport = transport
        self.timeout = timeout
        self.logger = logger
    }
}

/// A lock per key for async code: `acquire` waits until the key is free; ownership passes to the
/// next waiter on `release`.
package actor KeyedLock {
    private var busy: Set<String> = []
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    package func acquire(_ key: String) async {
        guard busy.contains(key) else {
            busy.insert(key)
            return
        }
        await withCheckedContinuation { waiters[key, default: []].append($0) }
    }

    package func release(_ key: String) {
        if var queue = waiters[key], !queue.isEmpty {
            let next = queue.removeFirst()
            waiters[key] = queue.isEmpty ? nil : queue
            next.resume()
        } else {
            busy.remove(key)
        }
    }
}
