import StripeWire

/// Stripe's check of an email parameter (`email`, `customer_email`): an address it could deliver
/// to, or a 400 `email_invalid` naming the parameter. Stripe does not document its exact rule; this
/// one refuses what no mail server accepts (no `@`, an empty local part, a domain without a dot,
/// spaces) and over-long addresses, and accepts the rest.
enum EmailAddress {
    static let maxLength = 512

    static func check(_ email: String, param: String) throws {
        guard email.count <= maxLength else {
            throw StripeError.invalidRequest("Invalid email address: too long (at most \(maxLength) characters).",
                                             param: param, code: "email_invalid")
        }
        guard isPlausible(email) else {
            throw StripeError.invalidRequest("Invalid email address: \(email)", param: param, code: "email_invalid")
        }
    }

    static func isPlausible(_ email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let local = parts.first, let domain = parts.last,
              !local.isEmpty, local.count <= 64, !email.contains(where: { $0.isWhitespace || $0.isNewline }) else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && labels.allSatisfy { !$0.isEmpty && !$0.hasPrefix("-") && !$0.hasSuffix("-") }
            && !(labels.last!.allSatisfy(\.isNumber))
    }
}
