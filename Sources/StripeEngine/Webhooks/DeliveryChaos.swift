import GRDB
import StripeWire

/// Deliberate delivery misbehaviour for QA, per endpoint or per tenant, reproducible from a seed:
/// every random choice is a hash of (seed, delivery, attempt), so the same scenario misbehaves
/// the same way however fast the machine is.
package struct DeliveryChaos: Equatable, Sendable {
    package var seed = 0
    /// Chance (0...1) that a delivery is sent twice.
    package var duplicateRate = 0.0
    /// Due deliveries are shuffled within windows of this many (1 = in order).
    package var reorderWindow = 1
    /// Seconds (tenant clock) added before a delivery's first attempt.
    package var delaySeconds = 0
    /// The first N attempts of every delivery fail without reaching the receiver (recorded as 500).
    package var failFirst = 0
    /// Seconds added to the signature's `t=` timestamp (negative: older).
    package var signatureSkewSeconds = 0
    /// An outage of the receiver as a window of the tenant's clock: every attempt made at a time
    /// in `outageFrom..<outageUntil` fails without reaching it (recorded as 503), and Stripe's
    /// retry schedule carries the deliveries past the window.
    package var outageFrom: Int?
    package var outageUntil: Int?

    package func inOutage(at now: Int) -> Bool {
        guard let from = outageFrom, let until = outageUntil else { return false }
        return now >= from && now < until
    }

    package var json: JSONValue {
        ["seed": .int(seed), "duplicate_rate": .double(duplicateRate), "reorder_window": .int(reorderWindow),
         "delay_seconds": .int(delaySeconds), "fail_first": .int(failFirst), "signature_skew_seconds": .int(signatureSkewSeconds),
         "outage_from": .from(outageFrom), "outage_until": .from(outageUntil)]
    }

    package init() {}

    package init(json: JSONValue) {
        seed = json["seed"].intValue ?? 0
        if case .double(let d) = json["duplicate_rate"] { duplicateRate = d } else { duplicateRate = Double(json["duplicate_rate"].intValue ?? 0) }
        reorderWindow = json["reorder_window"].intValue ?? 1
        delaySeconds = json["delay_seconds"].intValue ?? 0
        failFirst = json["fail_first"].intValue ?? 0
        signatureSkewSeconds = json["signature_skew_seconds"].intValue ?? 0
        outageFrom = json["outage_from"].intValue
        outageUntil = json["outage_until"].intValue
    }

    /// A reproducible number in 0..<1 for a decision about a delivery.
    package func roll(_ delivery: Int, _ salt: Int) -> Double {
        var z = UInt64(bitPattern: Int64(seed)) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(bitPattern: Int64(delivery)) &* 0xBF58_476D_1CE4_E5B9
            &+ UInt64(bitPattern: Int64(salt)) &* 0x94D0_49BB_1331_11EB
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }

    package func duplicates(_ delivery: Int, attempt: Int) -> Bool { duplicateRate > 0 && roll(delivery, attempt * 2 + 1) < duplicateRate }

    /// Reorders a batch of due deliveries within windows.
    package func reorder(_ seqs: [Int]) -> [Int] {
        guard reorderWindow > 1 else { return seqs }
        var out: [Int] = []
        var start = 0
        while start < seqs.count {
            let window = Array(seqs[start..<min(start + reorderWindow, seqs.count)])
            out += window.sorted { roll($0, 7) < roll($1, 7) }
            start += reorderWindow
        }
        return out
    }

    package static func tenant(_ ledger: Ledger) throws -> DeliveryChaos? {
        let json = try AccountSettings.read(ledger)["webhook_chaos"]
        return json.isNull ? nil : DeliveryChaos(json: json)
    }

    package static func forEndpoint(_ id: String, _ ledger: Ledger) throws -> DeliveryChaos? {
        let json = try ledger.store.hidden(id)["chaos"]
        return json.isNull ? nil : DeliveryChaos(json: json)
    }

    package static func saveTenant(_ chaos: DeliveryChaos?, _ ledger: Ledger) throws {
        try AccountSettings.write("webhook_chaos", chaos?.json ?? .null, ledger)
    }
}
