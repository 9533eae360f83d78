// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "effinity",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "effinity", targets: ["effinity"]),
        .library(name: "StripeWire", targets: ["StripeWire"]),
        .library(name: "StripeEngine", targets: ["StripeEngine"]),
        .library(name: "StripeEmulator", targets: ["StripeEmulator"]),
        .library(name: "Billing", targets: ["Billing"]),
        .library(name: "Scenarios", targets: ["Scenarios"]),
        // The fake and the app wired together on the fake's clock, for a Swift user's own tests.
        .library(name: "EffinityTesting", targets: ["EffinityTesting"]),
    ],
    // PostgreSQL for the app (`swift build --traits Postgres`): off by default, so the everyday
    // build stays lean; SQLite is the embedded default.
    traits: [
        .trait(name: "Postgres", description: "The EFFINITY app's PostgreSQL store (postgres-nio)."),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // System OpenSSL (libssl-dev) for HMAC-SHA256 / SHA-256: no second BoringSSL copy is compiled.
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),
        // RSA, X.509 and PEM for the app's Firebase ID tokens (the same system OpenSSL).
        .systemLibrary(name: "COpenSSLPKI", path: "Sources/COpenSSLPKI", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),
        .target(name: "StripeWire", dependencies: ["COpenSSL"], swiftSettings: swiftSettings),
        // SQLite's own page cache with one change for in-memory databases (see its source): a
        // commit no longer walks every cached page after a B-tree balance.
        .target(name: "CSQLitePageCache", linkerSettings: [.linkedLibrary("sqlite3")]),
        // A small PDF writer (text and lines, the standard Helvetica fonts): invoices', credit
        // notes' and quotes' PDFs. No dependency; no PDF library fits the build.
        .target(name: "PlainPDF", swiftSettings: swiftSettings),
        // The fake Stripe's engine: objects, billing, clocks, the event log and webhook delivery.
        // No HTTP in it (the compiler keeps the API surface above it, the way HummingbirdCore
        // sits below Hummingbird).
        .target(
            name: "StripeEngine",
            dependencies: [
                "StripeWire", "CSQLitePageCache",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for binding rendered JSON without a copy (`RenderedWrite`).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The fake Stripe's API surface: routes, control routes, hosted pages, the HTTP server.
        .target(
            name: "StripeEmulator",
            dependencies: [
                "StripeWire", "StripeEngine", "PlainPDF",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Billing",
            dependencies: [
                "StripeWire", "COpenSSLPKI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["Postgres"])),
            ],
            resources: [.copy("plans.json")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EffinityTesting",
            dependencies: [
                "StripeWire", "StripeEmulator", "Billing",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Scenarios",
            dependencies: [
                "StripeWire", "StripeEmulator", "Billing", "EffinityTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "effinity",
            dependencies: [
                "StripeEmulator", "StripeWire", "Scenarios", "Billing", "EffinityTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "PlainPDFTests", dependencies: ["PlainPDF"], swiftSettings: swiftSettings),
        .testTarget(name: "StripeWireTests", dependencies: ["StripeWire"], swiftSettings: swiftSettings),
        .testTarget(
            name: "StripeEmulatorTests",
            dependencies: [
                "StripeEmulator", "StripeWire", "EffinityTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            // Read by path from the sources (`WireTranscriptTests`), not bundled.
            exclude: ["Goldens"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BillingTests",
            dependencies: ["Billing", "StripeEmulator", "StripeWire", "EffinityTesting",
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HTTPTypes", package: "swift-http-types"),
                           .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "ScenariosTests", dependencies: ["Scenarios", "StripeWire"], swiftSettings: swiftSettings),
    ]
)
