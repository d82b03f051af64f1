// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "stream-config",
    // Linux only: the code uses Glibc throughout (a macOS claim here was never true).
    products: [
        .executable(name: "stream-config", targets: ["stream-config"]),
        .library(name: "StreamConfig", targets: ["StreamConfig"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibUUID",
            pkgConfig: "uuid",
            providers: [.apt(["uuid-dev"])]
        ),
        .target(name: "StreamConfig", dependencies: ["CLibUUID"]),
        // LZ4 block streaming (Debian liblz4-dev): the relay compresses a filtered child's stream
        // toward its parent (LZ4Encoder). No well-kept Swift package wraps LZ4's streaming API.
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        // The system side: files (atomic writes, locks, reads), config directories, processes,
        // containers, certificates and keys, the TLS file transaction, edit targets. One error type.
        .target(
            name: "StreamConfigSystem",
            dependencies: [
                "StreamConfig",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        .target(
            name: "StreamRelay",
            dependencies: [
                "StreamConfig",
                "CLZ4",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "stream-config",
            dependencies: [
                "StreamConfig",
                "StreamConfigSystem",
                "StreamRelay",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "X509", package: "swift-certificates"),  // RelayCertificate.swift
            ]
        ),
        .executableTarget(name: "lint-bench", dependencies: ["StreamConfig"], path: "bench/LintBench"),
        // Every reader of untrusted bytes as a libFuzzer target (scripts/fuzz.sh); a plain build
        // replays inputs (fuzz/regressions).
        .executableTarget(
            name: "stream-config-fuzz",
            dependencies: [
                "StreamConfig",
                "StreamConfigSystem",
                "StreamRelay",
                "CLZ4",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            path: "fuzz/Targets"
        ),
        // relay-bench's TLS scenario uses the system OpenSSL (what Netdata children link) for its
        // blocking children and poll(2) sink.
        .systemLibrary(name: "COpenSSL", path: "bench/COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // epoll for the sink and the storm's children (10,000 descriptors in one loop).
        .systemLibrary(name: "CEpoll", path: "bench/CEpoll"),
        .executableTarget(name: "relay-bench", dependencies: ["StreamConfig", "COpenSSL", "CEpoll"], path: "bench/RelayBench"),
        // What every test target shares (one test process): a process runner that owns its descriptors.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "StreamConfigTests", dependencies: ["StreamConfig", "TestSupport"]),
        .testTarget(
            name: "StreamConfigSystemTests",
            dependencies: [
                "StreamConfigSystem",
                "StreamConfig",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                "TestSupport",
            ]
        ),
        .testTarget(
            name: "StreamRelayTests",
            dependencies: [
                "StreamRelay",
                "CLZ4",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                "TestSupport",
            ]
        ),
        .testTarget(name: "CLITests", dependencies: ["StreamConfig", "TestSupport"]),
        .testTarget(name: "InteropTests", dependencies: ["StreamConfig", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
