// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Recommend",
    products: [
        .library(name: "DenseLinalg", targets: ["DenseLinalg"]),
        .library(name: "Factorization", targets: ["Factorization"]),
        .library(name: "Recommend", targets: ["Recommend"]),
        .library(name: "Distributed", targets: ["Distributed"]),
        .executable(name: "rectrain", targets: ["rectrain"]),
        // The parsers of outside bytes as fuzz targets: the libFuzzer driver in Fuzz/ and the
        // corpus replay tests run the same code.
        .library(name: "FuzzTargets", targets: ["FuzzTargets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The service (`rectrain serve`) and its feedback store only: embedders of the libraries
        // above never resolve or link these.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.13.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // System libraries: OpenBLAS (CBLAS interface) and LAPACKE. Only DenseLinalg imports them.
        .systemLibrary(
            name: "CBLAS",
            path: "Sources/CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CLapacke",
            path: "Sources/CLapacke",
            pkgConfig: "lapacke",
            providers: [.apt(["liblapacke-dev"])]
        ),
        // Our own C kernels (gathers, sparse products, half precision, HALS, transpose, CPU
        // checks, allocator setting); hot ones are static inline in include/ so Swift inlines them.
        .target(name: "CRecommendKernels"),
        .target(name: "DenseLinalg", dependencies: ["CBLAS", "CLapacke", "CRecommendKernels"]),
        .target(name: "Factorization", dependencies: ["DenseLinalg"]),
        .target(name: "Recommend", dependencies: ["Factorization", "DenseLinalg"]),
        // Distributed training over a communicator (MPI's collectives); the algorithms and the
        // in-process group need no MPI, so they build and test everywhere.
        .target(name: "Distributed", dependencies: ["Recommend", "Factorization", "DenseLinalg"]),
        // Open MPI (Debian's libopenmpi-dev): its handles are C macros, exported by a shim header.
        .systemLibrary(
            name: "CMPI",
            path: "Sources/CMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"])]
        ),
        // The communicator over MPI: only the command line links it, so embedders of the
        // libraries (Distributed included) never need MPI.
        .target(name: "DistributedMPI", dependencies: ["Distributed", "CMPI"]),
        .target(name: "FuzzTargets", dependencies: ["Recommend"]),
        // Benchmark runners (kernel timings, scaling sweeps, process memory): the command line's
        // `bench`, kept out of the library that embedders link.
        .target(name: "KernelBench", dependencies: ["Recommend", "Factorization", "DenseLinalg"]),
        // The durable feedback store (SQLite in WAL mode through SQLiteNIO, which bundles SQLite):
        // the service writes it, `rectrain train --feedback` reads it.
        .target(
            name: "FeedbackStore",
            dependencies: ["Recommend", .product(name: "SQLiteNIO", package: "sqlite-nio")]
        ),
        // The HTTP service on Hummingbird 2: routes, live per-user state, metrics.
        .target(
            name: "RecommendServer",
            dependencies: [
                "Recommend", "Factorization", "FeedbackStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "rectrain",
            dependencies: [
                "Recommend", "Factorization", "DenseLinalg", "KernelBench", "CRecommendKernels",
                "FeedbackStore", "RecommendServer", "Distributed", "DistributedMPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "DenseLinalgTests", dependencies: ["DenseLinalg"]),
        .testTarget(name: "FactorizationTests", dependencies: ["Factorization", "DenseLinalg"]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "Recommend", "Factorization", "DenseLinalg"]),
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets"]),
        .testTarget(name: "KernelBenchTests", dependencies: ["KernelBench"]),
        .testTarget(name: "FeedbackStoreTests", dependencies: ["FeedbackStore", "Recommend"]),
        .testTarget(name: "RecommendTests", dependencies: ["Recommend", "Factorization", "DenseLinalg"]),
        // End-to-end: runs the built rectrain binary (the dependency makes `swift test` build it).
        .testTarget(name: "rectrainTests", dependencies: ["rectrain", "Recommend", "FeedbackStore"]),
    ]
)
