import StripeWire

/// The URLs a customer opens without an API key, as Stripe mints them: an invoice's hosted page
/// (`hosted_invoice_url`) and the PDFs of invoices and credit notes.
///
/// `/i/{account alias}/{object id}/{token}`: the token is a hash of the account and the object,
/// so a URL cannot be guessed from another (ids are sequential in tests) and the same object
/// always gets the same URL (goldens stay stable).
package enum DocumentLinks {
    package static func token(account: String, id: String) -> String {
        String(Digest.hex(Digest.sha256(Array("effinity-document:\(account):\(id)".utf8))).prefix(24))
    }

    /// The page's path (without the base URL); `/pdf` appended is the PDF.
    package static func path(alias: String, account: String, id: String) -> String {
        "/i/\(alias)/\(id)/\(token(account: account, id: id))"
    }

    /// Registers the account's alias (a page request finds the account by it) and returns the page URL.
    package static func pageURL(_ ledger: Ledger, id: String) throws -> String {
        "\(ledger.settings.baseURL)\(path(alias: try AccountAlias.register(ledger), account: ledger.account, id: id))"
    }

    package static func pdfURL(_ ledger: Ledger, id: String) throws -> String {
        try pageURL(ledger, id: id) + "/pdf"
    }

    /// Whether `token` is the one minted for this account's object (compared in constant time).
    package static func verify(_ token: String, account: String, id: String) -> Bool {
        Digest.constantTimeEqual(Array(Self.token(account: account, id: id).utf8), Array(token.utf8))
    }
}
