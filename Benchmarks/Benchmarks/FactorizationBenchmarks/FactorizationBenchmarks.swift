import Benchmark
import DenseLinalg
import Factorization
import Recommend

/// One suite per factorization kernel, on a long-tailed 20,000 × 5,000 matrix with 500,000
/// interactions (generated, seeded), 2 threads: the same code paths `rectrain bench` times on
/// larger files.
// Names use "_" for spaces: `benchmark thresholds update` writes files under the name with
// spaces replaced, but 1.38.1's `thresholds check` looks them up under the raw name.
let benchmarks: @Sendable () -> Void = {
    let threads = 2
    let x = try! LongTailedMatrix.generate(users: 20_000, items: 5_000, nnz: 500_000, seed: 42).matrix(.binary)
    let ratings = try! LongTailedMatrix.generate(users: 20_000, items: 5_000, nnz: 500_000, seed: 42).matrix(.value)
    // A p90 time 25% or a peak memory 10% above the stored thresholds fails
    // `swift package benchmark thresholds check` (make bench-check).
    let configuration = Benchmark.Configuration(metrics: [.wallClock, .peakMemoryResident], warmupIterations: 1,
                                                maxDuration: .seconds(10), maxIterations: 10,
                                                thresholds: [.wallClock: .init(relative: [.p50: 25, .p90: 25]),
                                                             .peakMemoryResident: .init(relative: [.p50: 10, .p90: 10])])

    Benchmark("implicit_ALS,_64_factors,_5_iterations_(CG)", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try ImplicitALS.fit(x, configuration: .init(factors: 64, regularization: 0.05, iterations: 5, threads: threads)))
        }
    }

    Benchmark("explicit_ALS,_32_factors,_3_iterations", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try ExplicitALS.fit(ratings, configuration: .init(factors: 32, iterations: 3, threads: threads)))
        }
    }

    Benchmark("randomized_SVD,_rank_64", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try TruncatedSVD.randomized(x, configuration: .init(rank: 64, threads: threads)))
        }
    }

    Benchmark("NMF_(HALS),_rank_32,_10_iterations", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try NMF.fit(x, configuration: .init(rank: 32, maxIterations: 10, tolerance: 0, threads: threads)))
        }
    }

    Benchmark("item_cosine_top-20", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try CosineNeighbors.items(x, k: 20, threads: threads))
        }
    }

    let model = try! ImplicitALS.fit(x, configuration: .init(factors: 64, iterations: 3, threads: threads))
    Benchmark("top-10_for_all_users,_64_factors", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try TopN.recommend(userFactors: model.userFactors, itemFactors: model.itemFactors, count: 10,
                                         excluding: x, threads: threads))
        }
    }

    let small = x.transposed().rowSlice(0..<2_000).transposed()  // 2,000 items
    Benchmark("EASE,_2,000_items", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try EASE.fit(small, configuration: .init(regularization: 500, threads: threads)))
        }
    }
}
