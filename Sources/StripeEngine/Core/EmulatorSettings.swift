import StripeWire

/// Settings fixed for the life of an emulator.
public struct EmulatorSettings: Sendable {
    public var idMode: IDMode
    public var wallClock: any WallClock
    /// The address the fake is reachable at, for hosted page URLs.
    public var baseURL: String
    /// The API version rendered and echoed when a request does not pin one.
    public var apiVersion: String
    /// Enforce real Stripe's test-clock caps (3 customers per clock, advances of at most two
    /// billing intervals), so suites written here also run against Stripe.
    public var strictClocks: Bool
    /// The most scheduled items (renewals, retries, expiries) one request may run by moving a
    /// clock (20,000 by default): an advance that would run more answers a 400 asking for
    /// smaller steps, so no request runs for minutes. Time travel commits what ran before the
    /// limit (in chunks, the clock at the last item); a test-clock advance or a freeze is one
    /// transaction and runs nothing.
    public var workLimitPerRequest: Int
    /// Endpoints of one tenant a delivery pass serves at once (8 by default; 1 delivers every
    /// event to one endpoint after another, in event order across endpoints).
    public var parallelEndpoints: Int
    /// The console (`/console`) asks for an account's API key before showing it, and offers no
    /// list of accounts: set when the server listens beyond loopback.
    public var consoleRequiresKey: Bool
    /// Days an event stays retrievable after it was logged, on the account's clock (30, as real
    /// Stripe keeps them; 0 keeps every event): see ``EventRetention``. An advance of a year
    /// would otherwise keep every event it emitted, about ten full objects per renewal.
    public var eventRetentionDays: Int
    /// The accounts with a default API version of their own (shared by every copy of these settings).
    package let versionedAccounts = VersionedAccounts()

    public init(idMode: IDMode = .random, wallClock: any WallClock = SystemWallClock(),
                baseURL: String = "http://127.0.0.1:12111", apiVersion: String = StripeAPIVersion.current,
                strictClocks: Bool = false, workLimitPerRequest: Int = 20_000,
                parallelEndpoints: Int = 8, consoleRequiresKey: Bool = false,
                eventRetentionDays: Int = 30) {
        self.idMode = idMode
        self.wallClock = wallClock
        self.baseURL = baseURL
        self.apiVersion = apiVersion
        self.strictClocks = strictClocks
        self.workLimitPerRequest = workLimitPerRequest
        self.parallelEndpoints = max(1, parallelEndpoints)
        self.consoleRequiresKey = consoleRequiresKey
        self.eventRetentionDays = max(0, eventRetentionDays)
    }
}

/// The Stripe API version whose object shapes the emulator renders (the one the current SDKs pin).
public enum StripeAPIVersion {
    public static let current = "2026-10-28.endive"
}
