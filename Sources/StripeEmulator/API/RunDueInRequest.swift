import StripeEngine
import StripeWire

extension Ledger {
    /// Runs the work due on `clock` up to `until` inside the request's transaction, at most
    /// ``EmulatorSettings/workLimitPerRequest`` items: beyond it, a 400 naming `param` (and the
    /// transaction rolls back, so nothing ran).
    @discardableResult
    func runDueInRequest(clock: String, until: Int, param: String) throws -> Int {
        do {
            return try Scheduler.run(self, clock: clock, until: until, limit: settings.workLimitPerRequest)
        } catch let e as Scheduler.WorkLimitExceeded {
            throw StripeError.invalidRequest(e.description + " Nothing was run.", param: param)
        }
    }
}
