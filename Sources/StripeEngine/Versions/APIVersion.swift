import StripeWire

/// A Stripe API version the fake can render: `YYYY-MM-DD` up to 2024-06-20, then
/// `YYYY-MM-DD.<release>` (acacia, basil, clover, dahlia, endive). Ordered by date.
///
/// The fake stores every object in the newest shape (``StripeAPIVersion/current``) and renders
/// it for each reader's version through the ``VersionChange``s between the two.
package struct APIVersion: Comparable, Hashable, Sendable, CustomStringConvertible {
    package let raw: String

    /// Every version from the floor the fake supports (2020-08-27) to the newest, oldest first.
    package static let known: [String] = [
        "2020-08-27", "2022-08-01", "2022-11-15", "2023-08-16", "2023-10-16", "2024-04-10", "2024-06-20",
        "2024-09-30.acacia", "2024-10-28.acacia", "2024-11-20.acacia", "2024-12-18.acacia", "2025-01-27.acacia",
        "2025-02-24.acacia", "2025-03-31.basil", "2025-04-30.basil", "2025-05-28.basil", "2025-06-30.basil",
        "2025-07-30.basil", "2025-08-27.basil", "2025-09-30.clover", "2025-10-29.clover", "2025-11-17.clover",
        "2025-12-15.clover", "2026-01-28.clover", "2026-02-25.clover", "2026-03-25.dahlia", "2026-04-22.dahlia",
        "2026-05-27.dahlia", "2026-06-24.dahlia", "2026-07-29.dahlia", "2026-08-26.dahlia", "2026-09-30.endive",
        "2026-10-28.endive",
    ]
    static let knownSet = Set(known)

    package init?(_ raw: String) {
        guard Self.knownSet.contains(raw) else { return nil }
        self.raw = raw
    }

    /// A version the fake knows, or Stripe's 400 naming the value.
    package static func parse(_ raw: String, param: String? = nil) throws -> APIVersion {
        guard let v = APIVersion(raw) else {
            let shape = raw.count >= 10 && raw.prefix(10).allSatisfy { $0.isNumber || $0 == "-" }
            throw StripeError.invalidRequest(
                shape ? "Invalid API version: '\(raw)'. Versions this fake speaks run from \(known.first!) to \(known.last!) (for example 2024-06-20 or 2025-03-31.basil)."
                      : "Invalid API version: '\(raw)'. A version looks like 2024-06-20 or 2025-03-31.basil.",
                param: param)
        }
        return v
    }

    package static let current = APIVersion(StripeAPIVersion.current)!

    package var date: Substring { raw.prefix(10) }
    package var description: String { raw }

    package static func < (a: APIVersion, b: APIVersion) -> Bool { a.date < b.date || (a.date == b.date && a.raw < b.raw) }
}

extension APIVersion {
    /// The account's default version: what it reads when a request sends no `Stripe-Version`, and
    /// what its events and endpoints without a version of their own are rendered at. Set through
    /// `POST /_emulator/settings api_version=…`; the server's default (``EmulatorSettings/apiVersion``)
    /// until then.
    package static func accountDefault(_ ledger: Ledger) throws -> String {
        if let known = ledger.cache.accountVersion { return known }
        let accounts = ledger.settings.versionedAccounts
        if accounts.isKnownUnversioned(ledger.account) { return ledger.settings.apiVersion }
        let seen = accounts.generation(ledger.account)
        let stored = try AccountSettings.read(ledger)["api_version"].stringValue
        if stored == nil { accounts.markUnversioned(ledger.account, seenGeneration: seen) }
        let version = stored ?? ledger.settings.apiVersion
        ledger.cache.accountVersion = version
        return version
    }

    package static func setAccountDefault(_ version: APIVersion, _ ledger: Ledger) throws {
        let accounts = ledger.settings.versionedAccounts, account = ledger.account
        accounts.markVersioned(account)
        try AccountSettings.write("api_version", .string(version.raw), ledger)
        ledger.cache.accountVersion = version.raw
        // A reader of a file database that took the mark above but read the settings from a
        // snapshot older than this write found no version and marked the account unversioned
        // again: once the write is committed, the account is marked once more.
        CommitHooks.afterCommit(ledger.db) { accounts.markVersioned(account) }
    }
}
