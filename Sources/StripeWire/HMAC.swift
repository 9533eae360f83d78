import COpenSSL

/// HMAC-SHA256 and SHA-256 from the system OpenSSL.
public enum Digest {
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = key.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), m.baseAddress, m.count, &out, &length)
            }
        }
        return Array(out.prefix(Int(length)))
    }

    public static func sha256(_ message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        guard let md = sha256Method else {
            _ = message.withUnsafeBufferPointer { m in SHA256(m.baseAddress, m.count, &out) }
            return out
        }
        var length: UInt32 = 0
        _ = message.withUnsafeBufferPointer { m in EVP_Digest(m.baseAddress, m.count, &out, &length, md, nil) }
        return out
    }

    /// SHA-256 looked up in OpenSSL's providers once: the one-shot `SHA256()` looks it up on every
    /// call, and that lookup was most of hashing a card number or a customer id (every charge and
    /// every new customer hashes one). A fetched method is immutable and safe to share between threads.
    nonisolated(unsafe) private static let sha256Method: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Compares two byte strings in time independent of where they differ.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}
