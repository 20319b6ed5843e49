import DenseLinalg
import Factorization
import Foundation

/// Weight learning of the hybrid: a grid over the simplex scored by validation nDCG@10.
extension HybridRecommender {
    /// Validation splits the weights are scored on: one split of a small dataset is noisy, so each
    /// grid point's nDCG@10 is summed over this many seeded splits.
    public static let validationSplits = 3
    /// The share of each user's pairs a validation split holds out. The members are fitted on
    /// the rest, so a small share keeps their relative strengths close to those on the whole
    /// training data (models differ in how they gain from more data); three splits make up for
    /// the fewer held-out pairs. Against 20% and two splits, the learned hybrid's test nDCG@10
    /// was higher on ML-100K and on two generated worlds alike (docs/benchmarks.md).
    public static let validationFraction = 0.1
    /// Only users with at least this many training titles are validation users: with fewer,
    /// holding out a share leaves too little history to score. Without any, the given weights stay.
    public static let minimumValidationHistory = 5

    /// For each of ``validationSplits`` seeded splits, holds out ``validationFraction`` of each
    /// user's pairs (users with at least ``minimumValidationHistory`` titles, at most 2,000 users) and fits the members on the rest;
    /// keeps the weights with the best nDCG@10 summed over the splits.
    mutating func learn(_ data: TrainingData) throws {
        let grid = HybridRecommender.simplex(members.count, steps: 10)
        var totals = [Double](repeating: 0, count: grid.count)
        for split in 0..<Self.validationSplits {
            try score(grid, on: data, seed: data.seed &+ 17 &+ UInt64(split), into: &totals)
        }
        guard let best = totals.indices.max(by: { totals[$0] < totals[$1] || (totals[$0] == totals[$1] && $0 > $1) }), totals[best] > 0 else { return }
        for m in members.indices { members[m].weight = grid[best][m] }
        weightsWereLearned = true
    }

    /// Adds each weight vector's validation nDCG@10 (summed over users) on one seeded split.
    func score(_ grid: [[Float]], on data: TrainingData, seed: UInt64, into totals: inout [Double]) throws {
        let split = try Splitter.randomPerUserPairs(data.interactions, testFraction: Self.validationFraction, seed: seed)
        // The subset keeps the id maps, so its matrices have the full shape.
        let sub = try TrainingData(data.interactions.subset(split.train), items: data.items, compute: data.compute, seed: data.seed)
        var relevant = [Int: Set<Int>]()
        for row in split.test { relevant[Int(data.interactions.users[row]), default: []].insert(Int(data.interactions.items[row])) }
        let counts = data.binary.rowCounts
        let users = relevant.keys.filter { counts[$0] >= Self.minimumValidationHistory }.sorted().prefix(2_000)
        guard !users.isEmpty else { return }
        var trial = self
        trial.learnWeights = false
        for m in trial.members.indices { try trial.members[m].model.fit(sub) }
        // Normalised scores of every member for every validation user, computed once.
        let seen = users.map { Set(sub.binary.row($0).columns.map(Int.init)) }
        var normalised: [[[Float]]] = []
        for (model, _) in trial.members {
            normalised.append(try users.enumerated().map { r, u in ScoreNormalization.minMax(try model.scores(user: u), excluding: seen[r]) })
        }
        for (g, weights) in grid.enumerated() {
            var total = 0.0
            for (r, u) in users.enumerated() {
                var combined = [Float](repeating: 0, count: data.itemCount)
                for m in weights.indices where weights[m] > 0 { for j in 0..<data.itemCount { combined[j] += weights[m] * normalised[m][r][j] } }
                total += RankingMetrics.ndcg(TopN.best(combined, count: 10) { !seen[r].contains($0) }.map(\.index), relevant[u]!, k: 10)
            }
            totals[g] += total
        }
    }

    /// Every weight vector of `n` non-negative multiples of 1/steps summing to 1.
    static func simplex(_ n: Int, steps: Int) -> [[Float]] {
        func compositions(_ parts: Int, _ total: Int) -> [[Int]] {
            if parts == 1 { return [[total]] }
            var out: [[Int]] = []
            for first in 0...total { for rest in compositions(parts - 1, total - first) { out.append([first] + rest) } }
            return out
        }
        return compositions(n, steps).map { $0.map { Float($0) / Float(steps) } }
    }
}
