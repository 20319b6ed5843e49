import DenseLinalg
import Factorization
import Foundation

/// Weight learning of the hybrid: a grid over the simplex scored by validation nDCG@10.
extension HybridRecommender {
    /// Holds out 20% of each user's interactions (users with at least 5, at most 2,000 users),
    /// fits the members on the rest, and keeps the weights with the best validation nDCG@10.
    mutating func learn(_ data: TrainingData) throws {
        let split = try Splitter.randomPerUser(data.interactions, testFraction: 0.2, seed: data.seed &+ 17)
        // The subset keeps the id maps, so its matrices have the full shape.
        let sub = try TrainingData(data.interactions.subset(split.train), items: data.items, compute: data.compute, seed: data.seed)
        var relevant = [Int: Set<Int>]()
        for row in split.test { relevant[Int(data.interactions.users[row]), default: []].insert(Int(data.interactions.items[row])) }
        let counts = data.binary.rowCounts
        let users = relevant.keys.filter { counts[$0] >= 5 }.sorted().prefix(2_000)
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
        var bestWeights = members.map(\.weight), bestScore = -1.0
        for weights in HybridRecommender.simplex(members.count, steps: 10) {
            var total = 0.0
            for (r, u) in users.enumerated() {
                var combined = [Float](repeating: 0, count: data.itemCount)
                for m in weights.indices where weights[m] > 0 { for j in 0..<data.itemCount { combined[j] += weights[m] * normalised[m][r][j] } }
                total += RankingMetrics.ndcg(TopN.best(combined, count: 10) { !seen[r].contains($0) }.map(\.index), relevant[u]!, k: 10)
            }
            if total > bestScore + 1e-12 { bestScore = total; bestWeights = weights }
        }
        for m in members.indices { members[m].weight = bestWeights[m] }
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
