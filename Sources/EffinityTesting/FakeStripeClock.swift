import Billing
import StripeEmulator

/// The app's clock when it runs against an in-process fake: the fake's clock for one account, so
/// time travel there moves the app too, and webhook signatures made at simulated times verify
/// at those same times.
public struct FakeStripeClock: AppClock {
    public let emulator: StripeEmulator
    public let account: String

    public init(emulator: StripeEmulator, account: String) {
        self.emulator = emulator
        self.account = account
    }

    public func now() -> Int { emulator.now(account: account) }
}
