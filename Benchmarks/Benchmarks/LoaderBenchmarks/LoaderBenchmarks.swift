import Benchmark
import Foundation
import Recommend

/// Parsing a 10,000,000-row ratings CSV (generated once into the temporary folder, seeded) and
/// building its CSR matrix; the throughput column reads as rows per second × 10⁷.
// Names use "_" for spaces: `benchmark thresholds update` writes files under the name with
// spaces replaced, but 1.38.1's `thresholds check` looks them up under the raw name.
let benchmarks: @Sendable () -> Void = {
    let rows = 10_000_000
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("recommend-loader-10m-seed42.csv").path
    if !FileManager.default.fileExists(atPath: path) {
        let data = try! LongTailedMatrix.generate(users: 500_000, items: 50_000, nnz: rows, seed: 42)
        try! data.writeCSV(to: path)
    }
    Benchmark("parse_10M-row_ratings_CSV_and_build_CSR",
              configuration: .init(metrics: [.wallClock, .throughput, .peakMemoryResident], warmupIterations: 1,
                                   maxDuration: .seconds(60), maxIterations: 5,
                                   thresholds: [.wallClock: .init(relative: [.p50: 25, .p90: 25]),
                                                .peakMemoryResident: .init(relative: [.p50: 10, .p90: 10])])) { benchmark in
        for _ in benchmark.scaledIterations {
            let loaded = try RatingsCSV.load(path: path)
            blackHole(try loaded.interactions.matrix(.binary))
        }
    }
}
