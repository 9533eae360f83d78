import StripeWire

/// Stripe's check of an email parameter (`email`, `customer_email`): an address it could deliver
/// to, or a 400 `email_invalid` naming the parameter. Stripe does not document its exact rule; this
/// one refuses what no mail server accepts (no `@`, an empty local part, a domain without a dot,
/// spaces) and over-long addresses, and accepts the rest.
enum EmailAddress {
    static let maxLength = 512

    static func check(_ email: String, param: String) throws {
        // An ASCII address has as many characters as bytes; counting characters (grapheme
        // breaking) and testing each for whitespace was 3% of `POST /v1/customers`.
        var address = email
        let ascii = address.withUTF8 { bytes in bytes.allSatisfy { $0 < 0x80 } }
        if ascii {
            guard address.utf8.count > maxLength || !isPlausibleASCII(address) else { return }
        }
        guard email.count <= maxLength else {
            throw StripeError.invalidRequest("Invalid email address: too long (at most \(maxLength) characters).",
                                             param: param, code: "email_invalid")
        }
        guard isPlausible(email) else {
            throw StripeError.invalidRequest("Invalid email address: \(email)", param: param, code: "email_invalid")
        }
    }

    /// ``isPlausible(_:)`` for an address of ASCII bytes only (the same rule, on bytes).
    static func isPlausibleASCII(_ email: String) -> Bool {
        var copy = email
        return copy.withUTF8 { bytes in
            let at = UInt8(ascii: "@"), dot = UInt8(ascii: "."), dash = UInt8(ascii: "-")
            guard let sign = bytes.firstIndex(of: at), bytes[(sign + 1)...].firstIndex(of: at) == nil,
                  sign > 0, sign <= 64,
                  // Character.isWhitespace and isNewline in ASCII: tab to carriage return, space.
                  !bytes.contains(where: { (0x09...0x0D).contains($0) || $0 == 0x20 }) else { return false }
            let labels = bytes[(sign + 1)...].split(separator: dot, omittingEmptySubsequences: false)
            return labels.count >= 2 && labels.allSatisfy { !$0.isEmpty && $0.first != dash && $0.last != dash }
                && !labels.last!.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
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
