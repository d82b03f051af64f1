// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "stream-config",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "stream-config", targets: ["stream-config"]),
        .library(name: "StreamConfig", targets: ["StreamConfig"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibUUID",
            pkgConfig: "uuid",
            providers: [.apt(["uuid-dev"])]
        ),
        .target(name: "StreamConfig", dependencies: ["CLibUUID"]),
        .target(name: "StreamRelay", dependencies: ["StreamConfig"]),
        .executableTarget(
            name: "stream-config",
            dependencies: [
                "StreamConfig",
                "StreamRelay",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "StreamConfigTests", dependencies: ["StreamConfig"]),
        .testTarget(name: "CLITests", dependencies: ["StreamConfig"]),
        .testTarget(name: "InteropTests", dependencies: ["StreamConfig"]),
    ],
    swiftLanguageModes: [.v6]
)
