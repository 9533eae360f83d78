import Logging

/// Delivers one email from the outbox. EFFINITY ships no mail provider; an SMTP or API
/// client (SES, Postmark, …) goes behind this protocol. `idempotencyKey` is the same for every
/// attempt at one outbox row, for providers that deduplicate a send retried after a crash.
public protocol EmailSender: Sendable {
    func send(_ email: Email, idempotencyKey: String) async throws
}

/// The default sender: writes each email to the log (recipient, kind, subject), for
/// development and for deployments that read their mail from the logs.
public struct LogEmailSender: EmailSender {
    let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public func send(_ email: Email, idempotencyKey: String) async throws {
        logger.info("email sent", metadata: ["to": "\(email.to)", "kind": "\(email.kind)", "subject": "\(email.subject)",
                                             "org": "\(email.orgID)", "idempotency_key": "\(idempotencyKey)"])
    }
}

extension BillingService {
    /// The `send_email` job: hands the outbox row to ``emailSender`` and marks it sent (a row
    /// already sent is not sent again).
    func sendEmail(id: Int) async throws -> String {
        guard let (email, sentAt) = try await store.read({ tx in try tx.email(id: id) }) else { return "missing" }
        guard sentAt == nil else { return "already_sent" }
        try await emailSender.send(email, idempotencyKey: "effinity-email-\(id)")
        let now = clock.now()
        _ = try await store.write { tx in try tx.markEmailSent(id: id, at: now) }
        metrics.recordEmailSent(kind: email.kind)
        return "sent"
    }
}
