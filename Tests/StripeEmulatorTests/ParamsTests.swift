import Testing
import StripeWire
@testable import StripeEmulator

/// ``Params`` records only the parameters a request sent: reading an absent one records
/// nothing, and ``Params/finish()`` still names the first parameter sent that no handler read.
@Suite struct ParamsTests {
    static func params() -> Params {
        Params([
            "email": .string("a@example.com"),
            "address": .dict(["city": .string("Paris"), "line1": .string("1 rue")]),
            "items": .array([.dict(["price": .string("price_1"), "quantity": .string("2")])]),
            "metadata": .dict(["k": .string("v")]),
        ])
    }

    static func unknown(_ p: Params) -> String? {
        do { try p.finish(); return nil } catch let e as StripeError {
            #expect(e.code == "parameter_unknown")
            return e.param
        } catch { return "unexpected \(error)" }
    }

    @Test func absentParametersAreNotRecorded() throws {
        var p = Self.params()
        for name in ["name", "phone", "description", "balance", "tax_exempt"] { #expect(try p.string(name) == nil) }
        #expect(try p.string("invoice_settings", "default_payment_method") == nil)
        #expect(p.consumed.isEmpty)
        _ = try p.string("email")
        #expect(p.consumed == ["email"])
    }

    @Test func finishNamesTheFirstSentParameterNobodyRead() throws {
        var p = Self.params()
        #expect(Self.unknown(p) == "address[city]")
        _ = try p.string("address", "city")
        _ = try p.string("address", "country")  // absent under a present parameter: harmless
        #expect(Self.unknown(p) == "address[line1]")
        _ = try p.string("address", "line1")
        #expect(Self.unknown(p) == "email")
        _ = try p.string("email")
        #expect(Self.unknown(p) == "items[0][price]")
        _ = try p.string("items", "0", "price")
        #expect(Self.unknown(p) == "items[0][quantity]")
        _ = try p.int("items", "0", "quantity")
        #expect(Self.unknown(p) == "metadata[k]")
        p.consume(["metadata"])  // a whole subtree understood at once
        #expect(Self.unknown(p) == nil)
    }
}
