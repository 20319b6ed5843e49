// swift-tools-version: 6.1
// Benchmarks live in their own package so the main build and tests never pull
// package-benchmark. Run from this folder: swift package benchmark
import PackageDescription

let package = Package(
    name: "RecommendBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // cblas.h again, under another module name, to call BLAS directly as the baseline.
        .systemLibrary(name: "CBLASDirect", path: "Sources/CBLASDirect", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .executableTarget(
            name: "DenseLinalgBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "DenseLinalg", package: "main"),
                "CBLASDirect",
            ],
            path: "Benchmarks/DenseLinalgBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "FactorizationBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Factorization", package: "main"),
                .product(name: "Recommend", package: "main"),
            ],
            path: "Benchmarks/FactorizationBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "LoaderBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Recommend", package: "main"),
            ],
            path: "Benchmarks/LoaderBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "RecommendBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Recommend", package: "main"),
            ],
            path: "Benchmarks/RecommendBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
