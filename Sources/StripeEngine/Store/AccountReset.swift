import GRDB

/// Forgets one tenant: each table's owner deletes the account's rows, in one transaction.
package enum AccountReset {
    package static func run(_ db: Database, account: String) throws {
        try ObjectStore.deleteAccount(db, account: account)
        try RenderStamp.deleteAccount(db, account: account)
        try Scheduler.deleteAccount(db, account: account)
        try DeliveryQueue.deleteAccount(db, account: account)
        try IDMinter.deleteAccount(db, account: account)
        try IdempotencyKeys.deleteAccount(db, account: account)
        try AccountClock.deleteAccount(db, account: account)
        try AccountSettings.deleteAccount(db, account: account)
        try MeterEvents.deleteAccount(db, account: account)
    }
}
