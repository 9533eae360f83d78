import COpenSSLPKI
import Foundation

/// RS256 (RSASSA-PKCS1-v1_5 over SHA-256) with the system OpenSSL: verifying with the public
/// key of a PEM X.509 certificate (Google's Firebase signing certificates), and, for the local
/// signer and tests, making an RSA key pair with a self-signed certificate and signing.
/// A few OpenSSL calls instead of a JWT library and its second copy of a crypto library.
enum OpenSSLRSA {
    struct Failure: Error, CustomStringConvertible { let description: String }

    /// The public key of a PEM certificate; only RSA keys are accepted (RS256).
    final class PublicKey: @unchecked Sendable {
        // Immutable after init; OpenSSL's EVP_PKEY is safe to use for verification from several threads.
        let key: OpaquePointer

        init(certificatePEM pem: String) throws {
            let bytes = Array(pem.utf8)
            guard let bio = bytes.withUnsafeBufferPointer({ BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }) else {
                throw Failure(description: "out of memory")
            }
            defer { BIO_free(bio) }
            guard let cert = PEM_read_bio_X509(bio, nil, nil, nil) else { throw Failure(description: "not a PEM certificate") }
            defer { X509_free(cert) }
            guard let key = X509_get_pubkey(cert) else { throw Failure(description: "the certificate has no public key") }
            guard EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA else {
                EVP_PKEY_free(key)
                throw Failure(description: "the certificate's key is not RSA")
            }
            self.key = key
        }

        deinit { EVP_PKEY_free(key) }

        /// Whether `signature` is this key's RS256 signature of `message`.
        func verifyRS256(signature: [UInt8], message: [UInt8]) -> Bool {
            guard let ctx = EVP_MD_CTX_new() else { return false }
            defer { EVP_MD_CTX_free(ctx) }
            guard EVP_DigestVerifyInit(ctx, nil, EVP_sha256(), nil, key) == 1 else { return false }
            return signature.withUnsafeBufferPointer { s in
                message.withUnsafeBufferPointer { m in EVP_DigestVerify(ctx, s.baseAddress, s.count, m.baseAddress, m.count) == 1 }
            }
        }
    }

    /// An RSA key pair made here, with a self-signed certificate for its public half.
    final class KeyPair: @unchecked Sendable {
        let key: OpaquePointer
        /// The PEM certificate (what Google publishes per `kid`).
        let certificatePEM: String

        init(bits: Int32 = 2048, commonName: String = "effinity-local-signer") throws {
            guard let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nil) else { throw Failure(description: "no RSA context") }
            defer { EVP_PKEY_CTX_free(ctx) }
            var made: OpaquePointer? = nil
            guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) == 1,
                  EVP_PKEY_keygen(ctx, &made) == 1, let key = made else { throw Failure(description: "RSA key generation failed") }
            do {
                certificatePEM = try Self.selfSigned(key, commonName: commonName)
            } catch {
                EVP_PKEY_free(key)
                throw error
            }
            self.key = key
        }

        deinit { EVP_PKEY_free(key) }

        static func selfSigned(_ key: OpaquePointer, commonName: String) throws -> String {
            guard let cert = X509_new() else { throw Failure(description: "out of memory") }
            defer { X509_free(cert) }
            X509_set_version(cert, 2)
            ASN1_INTEGER_set(X509_get_serialNumber(cert), 1)
            X509_gmtime_adj(X509_getm_notBefore(cert), -3600)
            X509_gmtime_adj(X509_getm_notAfter(cert), 3650 * 86400)
            X509_set_pubkey(cert, key)
            let name = X509_get_subject_name(cert)
            _ = commonName.withCString { cn in
                X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, UnsafeRawPointer(cn).assumingMemoryBound(to: UInt8.self), -1, -1, 0)
            }
            X509_set_issuer_name(cert, name)
            guard X509_sign(cert, key, EVP_sha256()) > 0 else { throw Failure(description: "self-signing failed") }
            guard let bio = BIO_new(BIO_s_mem()) else { throw Failure(description: "out of memory") }
            defer { BIO_free(bio) }
            guard PEM_write_bio_X509(bio, cert) == 1 else { throw Failure(description: "PEM encoding failed") }
            var out: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = chunk.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, Int32($0.count)) }
                if n <= 0 { break }
                out += chunk[0..<Int(n)]
            }
            return String(decoding: out, as: UTF8.self)
        }

        /// The RS256 signature of `message`.
        func signRS256(_ message: [UInt8]) throws -> [UInt8] {
            guard let ctx = EVP_MD_CTX_new() else { throw Failure(description: "out of memory") }
            defer { EVP_MD_CTX_free(ctx) }
            guard EVP_DigestSignInit(ctx, nil, EVP_sha256(), nil, key) == 1 else { throw Failure(description: "sign init failed") }
            var length = 0
            guard message.withUnsafeBufferPointer({ EVP_DigestSign(ctx, nil, &length, $0.baseAddress, $0.count) }) == 1 else {
                throw Failure(description: "sign failed")
            }
            var signature = [UInt8](repeating: 0, count: length)
            guard message.withUnsafeBufferPointer({ m in
                signature.withUnsafeMutableBufferPointer { EVP_DigestSign(ctx, $0.baseAddress, &length, m.baseAddress, m.count) }
            }) == 1 else { throw Failure(description: "sign failed") }
            return Array(signature.prefix(length))
        }
    }
}
