import DenseLinalg
import Testing
@testable import Recommend

/// The thread count changes how fast, never what: every registered ranking model trained and
/// asked on one thread answers as on two (``ComputeSettings`` through the public API).
@Suite struct ThreadDeterminismTests {
    /// 1,100 users × 120 titles, ~14,000 seeded interactions with a popularity skew and two
    /// taste groups, enough rows for the parallel loops, the blocked GEMMs (256+ rows) and the partial Gram
    /// matrices (1,024+ rows) to split into several blocks.
    static func data(threads: Int) throws -> TrainingData {
        var g = SeededGenerator(seed: 11)
        var data = Interactions(userIDs: IDMap((0..<1_100).map { "u\($0)" }), itemIDs: IDMap((0..<120).map { "i\($0)" }))
        for u in 0..<1_100 {
            var seen = Set<Int>()
            for _ in 0..<(6 + Int(g.next() % 14)) {
                let r = Double(g.next() % 10_000) / 10_000
                var i = Int(r * r * 120) % 120
                if u % 3 == 0 { i = 119 - i }
                if seen.insert(i).inserted { data.append(user: Int32(u), item: Int32(i), value: 1, timestamp: Int64(u * 1_000 + seen.count)) }
            }
        }
        let items = (0..<120).map { ItemMetadata(id: "i\($0)", title: "T\($0)", genres: ["G\($0 % 7)", "H\($0 % 3)"]) }
        return try TrainingData(data, items: items, compute: ComputeSettings(threads: threads), seed: 3)
    }

    @Test(arguments: ModelKind.ranking.map(\.rawValue))
    func oneAndTwoThreadsGiveTheSameRecommendations(model name: String) throws {
        let one = try Self.data(threads: 1), two = try Self.data(threads: 2)
        // Small factor models and few iterations keep the test short; the parallel paths are the same.
        let kind = ModelKind(name)
        var options = ModelOptions()
        if kind.hyperparameters.contains(.factors) { options.factors = 64 }  // the AVX2 and half-precision widths
        if kind.hyperparameters.contains(.iterations) { options.iterations = 3 }
        var a = try kind.makeRecommender(options), b = try kind.makeRecommender(options)
        try Parallel.withBLASThreads(1) { try a.fit(one) }
        try Parallel.withBLASThreads(2) { try b.fit(two) }
        let users = Array(0..<one.users)
        let la = try a.recommend(users: users, count: 10, excluding: one.binary, threads: 1)
        let lb = try b.recommend(users: users, count: 10, excluding: two.binary, threads: 2)
        #expect(la.indices == lb.indices, "\(name): \(zip(la.indices, lb.indices).filter { $0 != $1 }.count) entries differ on 1 and 2 threads")
        #expect(zip(la.scores, lb.scores).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($0)) }, "\(name): different scores")
    }
}
