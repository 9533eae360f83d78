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

    public init(idMode: IDMode = .random, wallClock: any WallClock = SystemWallClock(),
                baseURL: String = "http://127.0.0.1:12111", apiVersion: String = StripeAPIVersion.current,
                strictClocks: Bool = false) {
        self.idMode = idMode
        self.wallClock = wallClock
        self.baseURL = baseURL
        self.apiVersion = apiVersion
        self.strictClocks = strictClocks
    }
}

/// The Stripe API version whose object shapes the emulator renders (the one the current SDKs pin).
public enum StripeAPIVersion {
    public static let current = "2026-10-28.endive"
}
