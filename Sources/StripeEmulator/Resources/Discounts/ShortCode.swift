import StripeEngine

/// Stripe's generated coupon ids and promotion codes: eight upper-case letters and digits
/// (`Z4OV52SU`). In sequential id mode they count instead (`C0000001`), so goldens stay stable.
enum ShortCode {
    static func make(_ req: APIRequest, kind: String) throws -> String {
        let minted = try req.newID(kind)
        let tail = minted.split(separator: "_").last.map(String.init) ?? minted
        if req.settings.idMode == .sequential {
            return String(kind.prefix(1)).uppercased() + String(tail.suffix(7))
        }
        return String(tail.uppercased().prefix(8))
    }
}
