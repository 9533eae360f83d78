/// Encodes parameters the way the official SDKs do: bracket notation, indexed arrays, percent-encoding.
///
/// The app's Stripe client and the scenario runner use it, so the emulator sees exactly what a real
/// SDK would send.
public enum FormEncoder {
    public static func encode(_ params: [String: FormValue]) -> String {
        var parts: [String] = []
        for key in params.keys.sorted() { append(params[key]!, name: key, into: &parts) }
        return parts.joined(separator: "&")
    }

    public static func encode(_ params: [(String, FormValue)]) -> String {
        var parts: [String] = []
        for (key, value) in params { append(value, name: key, into: &parts) }
        return parts.joined(separator: "&")
    }

    static func append(_ value: FormValue, name: String, into parts: inout [String]) {
        switch value {
        case .string(let s): parts.append("\(escape(name))=\(escape(s))")
        case .array(let a):
            if a.isEmpty { parts.append("\(escape(name))=") }
            for (i, v) in a.enumerated() { append(v, name: "\(name)[\(i)]", into: &parts) }
        case .dict(let d):
            if d.isEmpty { parts.append("\(escape(name))=") }
            for k in d.keys.sorted() { append(d[k]!, name: "\(name)[\(k)]", into: &parts) }
        }
    }

    /// Percent-encodes all but unreserved characters and brackets (which the SDKs leave raw).
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        let hex = Array("0123456789ABCDEF")
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                 UInt8(ascii: "~"), UInt8(ascii: "["), UInt8(ascii: "]"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out.append("%"); out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 0xF)])
            }
        }
        return out
    }
}
