// swift-tools-version: 6.1
// libFuzzer targets for every parser of outside bytes (issue 15). A nested package, so that the
// main package never needs the fuzzer runtime. Build and run with Fuzz/run.sh.
import Foundation
import PackageDescription

/// The main package's identity: its folder's name (what `.package(path: "..")` resolves to).
let main = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "RecommendFuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "recommend-fuzz",
            dependencies: [.product(name: "FuzzTargets", package: main)]
        ),
    ]
)
