import StripeWire

/// One scenario file: a Stripe CLI fixture file (`_meta`, `fixtures`, `env`) plus a `given`
/// block and the added step kinds. Built only by ``ScenarioParser``, so a value of this type has
/// passed validation: every key known, every type right, every reference and duration valid.
public struct Scenario: Sendable {
    /// The file it came from, as given on the command line (used in every message).
    public var file: String
    /// `_meta.name`, or the file name without `.json`: the key of its golden file.
    public var name: String
    public var description: String?
    public var tags: [String]
    public var given: Given
    public var steps: [Step]
    /// The fixture `env` block: resolved after the run and printed (never written to `.env`).
    public var env: [(String, String)]
    /// Whether a step references a test clock's time (`${.clock:…}`): the runner then reads the
    /// clocks before each step.
    public var referencesClocks = false
}

/// The world a scenario starts from.
public struct Given: Sendable {
    /// The frozen start time of both clocks (Unix seconds).
    public var start: Int
    public var orgs: [Org]
    public var users: [User]
    /// A replacement plan catalog (the `plans.json` shape), or nil for the app's own.
    public var plans: JSONValue?
    /// Seeds everything random that is allowed to vary (webhook chaos decisions).
    public var seed: Int
    /// Dunning settings of the fake (`retry_days`, `subscription_end`, `invoice_end`).
    public var dunning: JSONObject
    /// The account's default API version: what fixture steps and the runner's own reads (and so
    /// the snapshots) are rendered at; the newest when nil.
    public var stripeVersion: String?

    public struct Org: Sendable, Equatable {
        public var id: String
        public var name: String
    }

    public struct User: Sendable, Equatable {
        /// The name steps use in `as` (defaults to the email).
        public var alias: String
        public var email: String
        public var org: String
        public var role: String
    }

    /// 2027-01-01T00:00:00Z.
    public static let defaultStart = 1_798_761_600
}

/// One step, with where it sits in its file (for messages).
public struct Step: Sendable {
    public var name: String?
    /// JSON path of the step in its file, like `fixtures[3]`.
    public var location: String
    public var kind: Kind
    /// `"soft": true`: a failure is recorded and the scenario goes on (it still fails at the
    /// end, with every soft failure listed), so one defect does not hide the next.
    public var soft = false
    /// `"known_failure": "why"`: the step is expected to fail for this reason (a reproduction
    /// of a bug not fixed yet). Its failure is reported, not fatal; if it passes, that is
    /// reported too, so the mark can be removed.
    public var knownFailure: String?

    public init(name: String?, location: String, kind: Kind, soft: Bool = false, knownFailure: String? = nil) {
        self.name = name
        self.location = location
        self.kind = kind
        self.soft = soft
        self.knownFailure = knownFailure
    }

    public indirect enum Kind: Sendable {
        case stripe(StripeCall)
        case app(AppCall)
        case checkout(Checkout)
        case portal(Portal)
        case advance(Advance)
        case expectWebhooks(ExpectWebhooks)
        case expectStripe(ExpectStripe)
        case expectEmails(ExpectEmails)
        case inject(Inject)
        case repeatBlock(times: Int, steps: [Step])
        case snapshot(String)
        /// Steps whose requests are in flight at the same time; checked in file order after all answered.
        case parallel([Step])
        /// The customer pays an open invoice on its hosted page (on-session).
        case payInvoice(PayInvoice)
        /// How the app answered webhook deliveries.
        case expectDeliveries(ExpectDeliveries)
        /// Stops the app and starts it again on the same database.
        case restartApp
        /// Delivers every webhook that is due (inside `parallel`, to race an API call).
        case deliverWebhooks
        /// Samples of the app's `/metrics` and their exact values.
        case expectMetrics([String: Double])
    }

    /// The kind's name as written in `kind` (a plain fixture step is `stripe`).
    public var kindName: String {
        switch kind {
        case .stripe: "stripe"
        case .app: "app"
        case .checkout: "checkout"
        case .portal: "portal"
        case .advance: "advance"
        case .expectWebhooks: "expect_webhooks"
        case .expectStripe: "expect_stripe"
        case .expectEmails: "expect_emails"
        case .inject: "inject"
        case .repeatBlock: "repeat"
        case .snapshot: "snapshot"
        case .parallel: "parallel"
        case .payInvoice: "pay_invoice"
        case .expectDeliveries: "expect_deliveries"
        case .restartApp: "restart_app"
        case .deliverWebhooks: "deliver_webhooks"
        case .expectMetrics: "expect_metrics"
        }
    }
}

/// What a response must look like: a status and a JSON subset (objects may have more keys;
/// arrays must have the same length and each element must match).
public struct Expectation: Sendable {
    /// The status, or one of several (`"status": [200, 409]`).
    public var statuses: [Int]?
    public var json: JSONValue?
    /// Response headers that must be present with these values (`"$present"`: any value).
    public var headers: [String: String] = [:]
}

/// A Stripe CLI fixture step: one API call.
public struct StripeCall: Sendable {
    public var method: String
    public var path: String
    public var params: JSONValue
    /// The error type the call must fail with, or one of several.
    public var expectedErrorTypes: [String]?
    public var idempotencyKey: String?
    public var headers: [String: String]
    public var expect: Expectation?
}

/// An HTTP call to the app as one of the `given` users (or anonymous).
public struct AppCall: Sendable {
    public var user: String?
    public var method: String
    public var path: String
    public var body: JSONValue?
    public var headers: [String: String]
    public var idempotencyKey: String?
    public var expect: Expectation?
}

/// Completes a hosted Checkout session headlessly (`session` is its id or URL).
public struct Checkout: Sendable {
    public var session: String
    /// Nil: no card at all (a trial with `payment_method_collection=if_required`).
    public var card: String?
    public var authentication: String?
    public var email: String?
    public var customerName: String?
    public var expectedErrorTypes: [String]?
    public var expect: Expectation?
}

/// Pays an open invoice as the customer does on its hosted page: on-session, with the card on
/// file or a new one, answering a 3D Secure challenge.
public struct PayInvoice: Sendable {
    public var invoice: String
    public var card: String?
    public var authentication: String?
    public var expectedErrorTypes: [String]?
    public var expect: Expectation?
}

/// The app's answers to webhook deliveries (every attempt, failed ones too), since the previous
/// `expect_deliveries` that consumed them.
public struct ExpectDeliveries: Sendable {
    public struct Item: Sendable {
        public var type: String
        /// The status the app answered, or one of several; nil for any.
        public var statuses: [Int]?
    }
    public var mode: ExpectWebhooks.Mode
    public var items: [Item]
    public var consume: Bool
}

/// Acts on a hosted billing portal session (`session` is its id or URL).
public struct Portal: Sendable {
    public var session: String
    public var action: String
    /// For `switch_plan`: the app's plan id, turned into its price by lookup key.
    public var plan: String?
    public var card: String?
    public var reason: String?
    /// Answers the 3D Secure challenge of a card being saved (`complete` or `fail`).
    public var authentication: String?
    public var expectedErrorTypes: [String]?
    public var expect: Expectation?
}

/// Moves the fake's clock and the app's clock together, then drains webhook deliveries.
public enum Advance: Sendable {
    case by(TimeSpan)
    /// An absolute time (Unix seconds).
    case to(Int)
    /// An offset from the scenario's start.
    case toOffset(TimeSpan)
}

/// Webhook events delivered to the app since the previous `expect_webhooks` step.
public struct ExpectWebhooks: Sendable {
    /// `exact`: the whole ordered list; `contains`: these in this order among others;
    /// `any_order`: all of these (each as many times as listed) in any order, among others.
    public enum Mode: String, Sendable { case exact, contains, anyOrder = "any_order" }
    public var mode: Mode
    public var types: [String]
    /// Only events whose object id (`data.object.id`) or whose object's `customer` or
    /// `subscription` is this.
    public var object: String?
    /// False: the next check sees the same deliveries again.
    public var consume = true
}

/// Fetches a Stripe object and matches it.
public struct ExpectStripe: Sendable {
    public var path: String
    public var match: JSONValue
}

/// The app's email outbox for one organization.
public struct ExpectEmails: Sendable {
    public var org: String
    public var mode: ExpectWebhooks.Mode
    /// Each an email kind (`payment_failed`) or an object subset of the email.
    public var emails: [JSONValue]
}

/// A fault, scripted before the steps that should meet it.
public enum Inject: Sendable {
    /// Whose charges fail: a customer, an org's Stripe customer, one saved payment method, or
    /// every payment method with a card number (ones saved later too).
    public enum ChargeTarget: Sendable, Equatable {
        case customer(String)
        case org(String)
        case paymentMethod(String)
        case card(String)
    }
    /// Charges of the target fail from attempt N.
    case chargeFailure(ChargeTarget, fromAttempt: Int, declineCode: String)
    /// "The customer fixed the card": the target's charges succeed again.
    case clearChargeFailure(ChargeTarget)
    /// The next `count` Stripe API calls to `path` answer `status`. `afterCommit`: the call is
    /// carried out first and only its answer is lost. `scope`: `app` (only the app's calls) or
    /// `all` (the scenario's fixture steps too); the runner's own checks are never hit.
    case apiError(path: String, method: String?, status: Int, count: Int, afterCommit: Bool, scope: String)
    /// Webhook delivery chaos for the app's endpoint (the emulator's chaos parameters).
    case webhookChaos(JSONObject)
    /// The app's webhook endpoint is down during a window of virtual time: every attempt in it
    /// fails, and Stripe's retries carry the deliveries past it.
    case webhookOutage(from: ScenarioInstant, until: ScenarioInstant)
}

/// A moment a step names: now, an absolute time, or a duration after the start or after now.
public enum ScenarioInstant: Sendable, Equatable {
    case at(Int)
    case afterStart(TimeSpan)
    case afterNow(TimeSpan)

    func resolve(start: Int, now: Int) -> Int {
        switch self {
        case .at(let t): t
        case .afterStart(let span): span.after(start)
        case .afterNow(let span): span.after(now)
        }
    }
}
