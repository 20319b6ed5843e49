import Benchmark
import Foundation
import Recommend

/// Real-time paths of the Recommend layer on the default synthetic world (seed 42).
// Names use "_" for spaces: `benchmark thresholds update` writes files under the name with
// spaces replaced, but 1.38.1's `thresholds check` looks them up under the raw name.
let benchmarks: @Sendable () -> Void = {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("recommend-bench-world-42").path
    if !FileManager.default.fileExists(atPath: dir + "/sessions.csv") {
        _ = try! SyntheticWorld.generate(SyntheticWorldConfiguration(), to: dir)
    }
    let (world, sessions) = try! SyntheticWorld.load(directory: dir)
    let cut = sessions.count * 4 / 5
    var model = SessionRecommender()
    try! model.fit(Array(sessions.items[..<cut]), items: world.interactions.itemIDs.count)
    let queries = sessions.items[cut...].filter { $0.count > 1 }.prefix(1000).map { $0.dropLast().map(Int.init) }

    Benchmark("session_next-title_top-20,_one_request", configuration: .init(metrics: [.wallClock], warmupIterations: 10,
                                                                             maxDuration: .seconds(5), maxIterations: 100_000,
                                                                             thresholds: [.wallClock: .init(relative: [.p50: 25, .p90: 25])])) { benchmark in
        var i = 0
        for _ in benchmark.scaledIterations {
            blackHole(try model.recommend(session: queries[i % queries.count], count: 20))
            i += 1
        }
    }
}
