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
        }
    }
}

/// What a response must look like: a status and a JSON subset (objects may have more keys;
/// arrays must have the same length and each element must match).
public struct Expectation: Sendable {
    public var status: Int?
    public var json: JSONValue?
}

/// A Stripe CLI fixture step: one API call.
public struct StripeCall: Sendable {
    public var method: String
    public var path: String
    public var params: JSONValue
    public var expectedErrorType: String?
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
    public var card: String
    public var authentication: String?
    public var expectedErrorType: String?
    public var expect: Expectation?
}

/// Acts on a hosted billing portal session (`session` is its id or URL).
public struct Portal: Sendable {
    public var session: String
    public var action: String
    /// For `switch_plan`: the app's plan id, turned into its price by lookup key.
    public var plan: String?
    public var card: String?
    public var reason: String?
    public var expectedErrorType: String?
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
    public enum Mode: String, Sendable { case exact, contains }
    public var mode: Mode
    public var types: [String]
    /// Only events whose object id (`data.object.id`) or whose object's `customer` or
    /// `subscription` is this.
    public var object: String?
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
    /// Charges of a customer (or of an org's Stripe customer) fail from attempt N.
    case chargeFailure(customer: String?, org: String?, fromAttempt: Int, declineCode: String)
    /// The next `count` Stripe API calls to `path` answer `status`.
    case apiError(path: String, method: String?, status: Int, count: Int)
    /// Webhook delivery chaos for the app's endpoint (the emulator's chaos parameters).
    case webhookChaos(JSONObject)
}
