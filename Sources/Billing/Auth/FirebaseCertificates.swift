import AsyncHTTPClient
import Foundation
import NIOCore
import StripeWire

/// The certificates Firebase ID tokens are signed with, by key id (`kid`), as Google publishes
/// them (a JSON object of PEM certificates): fetched from Google and kept for the `max-age` of
/// its `Cache-Control`, or read once from a file (offline, tests), or given (the local signer).
public actor FirebaseCertificates {
    public enum Source: Sendable {
        /// Google's published certificates for Firebase Auth.
        case google
        case url(String)
        /// A file holding the same JSON (`{"kid": "-----BEGIN CERTIFICATE-----…"}`).
        case file(String)
        case fixed([String: String])
    }

    public static let googleURL = "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com"

    let source: Source
    private var keys: [String: OpenSSLRSA.PublicKey] = [:]
    /// Until when (app clock) `keys` may be used; `Int.max` for a file or fixed set.
    private var validUntil = Int.min

    public init(_ source: Source) {
        self.source = source
    }

    /// The public key for `kid`, or nil when the current set has no such key.
    func key(_ kid: String, now: Int) async throws -> OpenSSLRSA.PublicKey? {
        if now >= validUntil { try await load(now: now) }
        return keys[kid]
    }

    private func load(now: Int) async throws {
        switch source {
        case .fixed(let pems):
            keys = try Self.parse(pems)
            validUntil = .max
        case .file(let path):
            keys = try Self.parse(Self.pems(try Array(Data(contentsOf: URL(fileURLWithPath: path)))))
            validUntil = .max
        case .google, .url:
            let url: String = if case .url(let u) = source { u } else { Self.googleURL }
            var request = HTTPClientRequest(url: url)
            request.method = .GET
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            guard response.status == .ok else { throw IDTokenRejection("the signing certificates could not be fetched (HTTP \(response.status.code))") }
            let body = try await response.body.collect(upTo: 1 << 20)
            keys = try Self.parse(Self.pems(Array(buffer: body)))
            validUntil = now + (Self.maxAge(response.headers.first(name: "Cache-Control")) ?? 0)
        }
    }

    static func pems(_ json: [UInt8]) throws -> [String: String] {
        guard case .object(let object)? = try? JSONParser.parse(json) else {
            throw IDTokenRejection("the signing certificates are not a JSON object")
        }
        return object.mapValues(\.stringValue).compactMapValues { $0 }
    }

    static func parse(_ pems: [String: String]) throws -> [String: OpenSSLRSA.PublicKey] {
        try pems.mapValues { try OpenSSLRSA.PublicKey(certificatePEM: $0) }
    }

    /// `max-age=N` of a `Cache-Control` header.
    static func maxAge(_ header: String?) -> Int? {
        header?.split(separator: ",").lazy.map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.lowercased().hasPrefix("max-age=") }.flatMap { Int($0.dropFirst(8)) }
    }
}
