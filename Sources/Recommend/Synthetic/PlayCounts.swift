import DenseLinalg
import Foundation

/// Play-count data with the shape of music and video logs (Hu, Koren & Volinsky's setting):
/// a pair's count says how much the user cares, not only that they played. Each user has a
/// taste (a point in a latent space of `factors` dimensions, items too). Half of a user's pairs
/// follow taste (an item drawn with probability ∝ popularity · exp(3·affinity)) and are played
/// many times, a long-tailed count 1 + ⌊Pareto⌋ that grows with the affinity; the other half
/// are one-off samples of the popular catalogue, played once or twice. The binary matrix cannot
/// tell the two halves apart; the counts can.
public enum PlayCounts {
    /// `users` × `items` pairs (each user's items distinct, at least 2 per user, long-tailed
    /// activity around `perUser`), value = play count ≥ 1, timestamps increasing. Deterministic
    /// for a seed.
    /// - Throws: ``RecommenderError/invalidInput(model:reason:)`` for sizes that cannot hold the pairs.
    public static func generate(users: Int, items: Int, perUser: Int = 20, factors: Int = 8, seed: UInt64) throws -> Interactions {
        guard users > 0, items >= 10, perUser >= 2, perUser <= items / 4, factors > 0 else {
            throw RecommenderError.invalidInput(model: "play counts", reason: "needs users > 0, items ≥ 10, 2 ≤ per-user pairs ≤ items / 4, factors > 0")
        }
        var g = SeededGenerator(seed: seed)
        let scale = 1 / Double(factors).squareRoot()
        let userTaste = (0..<users * factors).map { _ in g.nextGaussian() * scale.squareRoot() }
        let itemTaste = (0..<items * factors).map { _ in g.nextGaussian() * scale.squareRoot() }
        let popularity = (0..<items).map { 1 / pow(Double($0) + 5, 0.8) }
        func draw(_ weights: [Double]) -> Int {
            let total = weights.reduce(0, +)
            var x = g.nextUnit() * total
            for (i, w) in weights.enumerated() { x -= w; if x <= 0 { return i } }
            return weights.count - 1
        }
        var out = Interactions(userIDs: IDMap((0..<users).map { "u\($0)" }), itemIDs: IDMap((0..<items).map { "i\($0)" }))
        var time: Int64 = 1_600_000_000
        for u in 0..<users {
            // Activity: perUser · Pareto-ish factor in [0.5, 4].
            let want = min(items / 2, max(2, Int(Double(perUser) * min(4, 0.5 / max(0.125, g.nextUnit())))))
            var affinity = [Double](repeating: 0, count: items)
            for i in 0..<items {
                var dot = 0.0
                for f in 0..<factors { dot += userTaste[u * factors + f] * itemTaste[i * factors + f] }
                affinity[i] = dot
            }
            let tasteWeights = (0..<items).map { popularity[$0] * exp(3 * affinity[$0]) }
            var seen = Set<Int>()
            var attempts = 0
            while seen.count < want && attempts < 50 * want {
                attempts += 1
                let followsTaste = g.nextUnit() < 0.5
                let item = draw(followsTaste ? tasteWeights : popularity)
                guard seen.insert(item).inserted else { continue }
                let plays: Int
                if followsTaste {
                    // Long-tailed: 1 + ⌊2^(1 + 2·affinity⁺) / U^0.7⌋, capped at 10,000.
                    let level = pow(2, 1 + 2 * max(0, affinity[item]))
                    plays = 1 + min(9_999, Int(level / pow(max(1e-9, g.nextUnit()), 0.7)))
                } else {
                    plays = g.nextUnit() < 0.8 ? 1 : 2
                }
                time += Int64(g.next() % 60)
                out.append(user: Int32(u), item: Int32(item), value: Float(plays), timestamp: time)
            }
        }
        return out
    }
}
