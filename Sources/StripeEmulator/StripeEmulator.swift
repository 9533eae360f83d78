import Foundation
import GRDB
import Logging
import NIOCore
import StripeEngine
import StripeWire
import Synchronization

/// The fake Stripe: Stripe's v1 REST API over a stateful store, one isolated account per API key.
///
/// It is independent of any HTTP server: ``handle(_:)`` takes a request and returns the exact
/// response bytes, so the same code serves a socket (``StripeHTTPResponder``), in-process tests
/// and the scenario runner.
public final class StripeEmulator: Sendable {
    public let database: EmulatorDatabase
    public let settings: EmulatorSettings
    let router: APIRouter
    let idempotency = IdempotencyGate()
    /// Answers of reusable reads, given again while the account's objects are unchanged.
    let responses = ResponseCache()
    let apiFaults = APIFaults()
    /// Clock moves started from the console, so a long one can show its progress.
    let consoleTravels = ConsoleTravels()
    private let requestCounter = Mutex<Int>(0)
    let logger: Logger
    let deliveries: DeliveryWorker
    /// Due work, then deliveries: the one routine every path that moves time goes through.
    let runner: WorkRunner
    private let wake: AsyncStream<Void>.Continuation
    private let wakeups: AsyncStream<Void>

    /// - Parameters:
    ///   - transport: how webhooks are sent (HTTP by default; tests script it).
    ///   - deliveryTimeout: how long a receiver may take before the attempt counts as failed.
    public init(database: EmulatorDatabase, settings: EmulatorSettings = EmulatorSettings(), logger: Logger? = nil,
                transport: any WebhookTransport = HTTPWebhookTransport(), deliveryTimeout: Duration = .seconds(10)) {
        self.database = database
        self.settings = settings
        self.router = Routes.router()
        let logger = logger ?? Logger(label: "effinity.stripe")
        self.logger = logger
        self.deliveries = DeliveryWorker(database: database, settings: settings, transport: transport, timeout: deliveryTimeout,
                                         logger: logger)
        self.runner = WorkRunner(database: database, settings: settings, deliveries: deliveries)
        (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// A tenant's "now" (its account clock), for code that must share the fake's time, such as
    /// an app under test verifying webhook signatures during a clock advance.
    public func now(account: String) -> Int {
        let settings = self.settings
        return (try? database.writer.read { db in
            try AccountClock(db: db, account: account, wall: settings.wallClock).now()
        }) ?? settings.wallClock.now()
    }

    /// Runs the work due now on the tenant's clock, then attempts every webhook delivery that is
    /// due, repeating until none is left, and returns how many attempts were made. Tests and
    /// scenarios call this instead of sleeping.
    @discardableResult
    public func drainDeliveries(account: String? = nil) async throws -> Int {
        try await runner.runDue(account: account, drain: true).attempted
    }

    /// Runs the work that falls due as wall time passes (renewals, retries, expiries) on every
    /// tenant's own clock, and delivers due webhooks. The server calls this in the background.
    public func runDueWork() async throws {
        try await runner.runDue(drain: false)
    }

    /// Moves the tenant's clock to `target`, running due work and deliveries on the way; returns
    /// how many work items ran (see ``WorkRunner/travel(account:to:)``).
    @discardableResult
    public func travel(account: String, to target: Int) async throws -> Int {
        try await runner.travel(account: account, to: target)
    }

    /// The background loop of a running server: due work and deliveries, on every write and at
    /// least every `interval`. Returns when the task is cancelled.
    public func runBackground(interval: Duration = .milliseconds(500)) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [wake] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    wake.yield()
                }
            }
            group.addTask { [wakeups, logger] in
                for await _ in wakeups {
                    if Task.isCancelled { break }
                    do { try await self.runDueWork() } catch where !(error is CancellationError) && !Task.isCancelled {
                        logger.error("background work failed: \(error)")
                    } catch {}
                }
            }
            await group.waitForAll()
        }
    }

    func newRequestID() -> String {
        switch settings.idMode {
        case .random: return "req_" + IDMinter.randomToken(14)
        case .sequential:
            let n = requestCounter.withLock { c -> Int in c += 1; return c }
            let digits = String(n)
            return "req_" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
        }
    }

    /// Answers one API call.
    public func handle(_ call: APICall) async -> APIResponse {
        let response = await respond(call)
        // API writes wake the background worker themselves when they leave work due (see
        // `dispatch`); other writes (hosted pages, emulator controls) always do.
        if call.method != "GET", response.status < 500, !call.path.hasPrefix("/v1/") { wake.yield() }
        return response
    }

    private func respond(_ call: APICall) async -> APIResponse {
        if HostedPages.isPagePath(call.path) { return await HostedPages(emulator: self).handle(call) }
        if Console.isPath(call.path) { return await Console(emulator: self).handle(call) }
        if PublicClock.isClockPath(call.path) { return await PublicClock(emulator: self).handle(call) }
        let requestID = newRequestID()
        var headers: [(String, String)] = [
            ("Content-Type", "application/json"),
            ("Request-Id", requestID),
        ]
        if let key = call.header("Idempotency-Key") { headers.append(("Idempotency-Key", key)) }
        // The version rendered: the request's, else the account's default (read with the request).
        let requested: APIVersion?
        do {
            requested = try call.header("Stripe-Version").map { try APIVersion.parse($0.trimmingCharacters(in: .whitespaces)) }
        } catch let error as StripeError {
            headers.append(("Stripe-Version", settings.apiVersion))
            return APIResponse(status: error.status, headers: headers, body: JSONWriter.data(error.json))
        } catch {
            return APIResponse(status: 500, headers: headers, body: [])
        }
        var version = requested?.raw ?? settings.apiVersion
        func versioned(_ h: [(String, String)]) -> [(String, String)] { h + [("Stripe-Version", version)] }
        do {
            var lostAnswer: StripeError? = nil
            let key = Result { try APIKeys.account(from: call.header("Authorization")) }
            if call.path.hasPrefix("/v1/"), let account = try? key.get(),
               let injected = apiFaults.take(account: account, method: call.method, path: call.path, caller: call.header("Effinity-Runner")) {
                if injected.error.status != 429 { headers.append(("Stripe-Should-Retry", "true")) }
                if !injected.afterCommit {
                    return APIResponse(status: injected.error.status, headers: versioned(headers), body: JSONWriter.data(injected.error.json))
                }
                lostAnswer = injected.error
            }
            let account = try key.get()
            guard let (route, pathParams) = router.match(method: call.method, path: call.path) else {
                throw StripeError.invalidRequest(
                    "Unrecognized request URL (\(call.method): \(call.path)). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.",
                    status: 404)
            }
            let (status, body, replayed): (Int, [UInt8], Bool)
            switch route.action {
            case .file(let handler):
                var file = try await handler(self, call, account)
                file.headers += [("Request-Id", requestID), ("Stripe-Version", version)]
                return file
            case .direct(let handler):
                (status, body, replayed) = (200, JSONWriter.data(try await handler(self, call, account)), false)
            case .transaction(let handler):
                let outcome = try await dispatch(call, route: route, handler: handler, pathParams: pathParams,
                                                 account: account, requestID: requestID, requested: requested)
                (status, body, replayed) = (outcome.status, outcome.body, outcome.replayed)
                version = outcome.version ?? version
            }
            headers = versioned(headers)
            if status == 200, route.settles {
                // Moving a clock makes work and deliveries due: settle them before answering, so tests never sleep.
                try await runner.runDue(account: account, drain: true)
            }
            if let lostAnswer {
                // The call was carried out and committed; only its answer is lost.
                return APIResponse(status: lostAnswer.status, headers: headers, body: JSONWriter.data(lostAnswer.json))
            }
            if replayed { headers.append(("Idempotent-Replayed", "true")) }
            return APIResponse(status: status, headers: headers, body: body)
        } catch let error as StripeError {
            if error.status == 409 { headers.append(("Stripe-Should-Retry", "true")) }
            if !headers.contains(where: { $0.0 == "Stripe-Version" }) { headers = versioned(headers) }
            return APIResponse(status: error.status, headers: headers, body: JSONWriter.data(error.json))
        } catch {
            logger.error("unexpected error", metadata: ["request": "\(call.method) \(call.path)", "error": "\(error)"])
            let e = StripeError(status: 500, type: .apiError,
                                message: "An unexpected error occurred in the emulator (\(requestID)): \(error)")
            if !headers.contains(where: { $0.0 == "Stripe-Version" }) { headers = versioned(headers) }
            return APIResponse(status: 500, headers: headers, body: JSONWriter.data(e.json))
        }
    }

    private func dispatch(_ call: APICall, route: APIRouter.Route, handler: @escaping APIRouter.Handler, pathParams: [String],
                          account: String, requestID: String, requested: APIVersion?) async throws -> Outcome {
        let form = try FormDecoder().decodeForAPI(call)
        var params = Params(form)
        let expand = try params.strings("expand") ?? []
        let parsedParams = params
        let isWrite = route.writes
        let settings = self.settings
        let method = call.method, path = call.path

        let idempotencyKey = call.method == "POST" ? call.header("Idempotency-Key") : nil
        if let key = idempotencyKey {
            guard key.count <= 255 else {
                throw StripeError.invalidRequest("Idempotency-Key must be at most 255 characters long.", param: "Idempotency-Key")
            }
            guard idempotency.claim(account: account, key: key) else { throw IdempotencyGate.conflict() }
        }
        defer { if let key = idempotencyKey { idempotency.release(account: account, key: key) } }
        // What a retry with the same key must repeat; only requests with a key need it.
        let fingerprint = idempotencyKey == nil ? "" : method + " " + path + " " + JSONWriter.string(.object(form.mapValues(\.canonicalJSON)))

        let responses = self.responses
        let reusable = route.reusable && call.body.isEmpty, query = call.query ?? ""
        let latestCommitted = database.readsSeeLatestCommit
        let work: @Sendable (Database) throws -> Outcome = { db in
            let ids = IDMinter(mode: settings.idMode, db: db, account: account)
            let version: APIVersion
            if let requested { version = requested } else if settings.versionedAccounts.isKnownUnversioned(account) {
                version = APIVersion(settings.apiVersion) ?? .current
            } else {
                let seen = settings.versionedAccounts.generation(account)
                let stored = try AccountSettings.read(db: db, account: account)["api_version"].stringValue
                if stored == nil { settings.versionedAccounts.markUnversioned(account, seenGeneration: seen) }
                version = APIVersion(stored ?? settings.apiVersion) ?? .current
            }
            // A reusable read of an account whose objects are unchanged since it was answered last.
            var reuse: (key: ResponseCache.Key, stamp: Int64)?
            if reusable, let stamp = try RenderStamp.current(db, account: account, latestCommitted: latestCommitted) {
                let key = ResponseCache.Key(account: account, version: version.raw, path: path, query: query)
                if let body = responses.answer(key, stamp: stamp) {
                    return Outcome(status: 200, body: body, replayed: false, version: version.raw)
                }
                reuse = (key, stamp)
            }
            let now = try AccountClock(db: db, account: account, wall: settings.wallClock).now()
            if let key = idempotencyKey, let stored = try IdempotencyKeys.lookup(db: db, account: account, key: key, now: now) {
                guard stored.fingerprint == fingerprint else { throw IdempotencyGate.mismatch(key) }
                return Outcome(status: stored.status, body: stored.body, replayed: true, version: version.raw)
            }
            var request = APIRequest(method: method, path: path, account: account, requestID: requestID,
                                     idempotencyKey: idempotencyKey, now: now, params: parsedParams, pathParams: pathParams,
                                     db: db, ids: ids, settings: settings)
            request.version = version
            var outcome: Outcome
            do {
                var value: JSONValue
                do { value = try handler(&request) } catch let error as StripeError { throw error.forRequestPath(pathParams) }
                try request.params.finish()
                // Paths of the newest shape expand first; paths only older versions have (an
                // invoice's `payment_intent` before basil) expand once the value is in that shape.
                var legacy: [String] = []
                for path in expand {
                    do { value = try Expander(store: request.store).expand(value, paths: [path]) } catch let error as StripeError {
                        guard !LegacyExpansion.paths(at: version).isEmpty else { throw error }
                        legacy.append(path)
                    }
                }
                let body: [UInt8]
                if legacy.isEmpty {
                    // An object returned as stored (or as just saved) is sent as the bytes it was stored as.
                    body = try Rendering.render(value, stored: request.cache.bytes(of: value), for: .apiResponse(version: version),
                                                store: request.store)
                } else {
                    let context = RenderContext(store: request.store)
                    let old = try VersionRenderer.render(value, at: version, context)
                    let expander = Expander(store: request.store, extra: LegacyExpansion.paths(at: version),
                                            prepare: { try VersionRenderer.render($0, at: version, context) })
                    body = JSONWriter.data(try expander.expand(old, paths: legacy))
                }
                outcome = Outcome(status: 200, body: body, replayed: false, version: version.raw)
                if let reuse, !request.cache.readClock, !request.cache.stampTouched {
                    responses.keep(body, for: reuse.key, stamp: reuse.stamp)
                }
            } catch let failure as CommittedFailure {
                try request.params.finish()
                let error = failure.error.forRequestPath(pathParams)
                outcome = Outcome(status: error.status, body: JSONWriter.data(error.json), replayed: false, version: version.raw)
            }
            if let key = idempotencyKey {
                try IdempotencyKeys.store(db: db, account: account, key: key, fingerprint: fingerprint,
                                          status: outcome.status, body: outcome.body, now: now)
            }
            if isWrite, request.cache.queuedWork { outcome.leavesWork = try WorkRunner.hasDueWork(db, account: account, now: now) }
            return outcome
        }
        // Reads run synchronously, on the thread that serves the connection (an event loop, see
        // `StripeChildChannel`): a lookup takes microseconds, far less than handing it to GRDB's
        // queue and waking this thread again. Writes: see `writeRequest`.
        let outcome = isWrite ? try await database.writeRequest(work) : try database.readRequest(work)
        if outcome.leavesWork { wake.yield() }
        return outcome
    }

    struct Outcome: Sendable {
        let status: Int
        let body: [UInt8]
        let replayed: Bool
        /// The API version the body was rendered at.
        var version: String?
        /// The write left webhooks to deliver or work due now: the background worker is woken.
        var leavesWork = false
    }
}
