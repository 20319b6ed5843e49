import DenseLinalg
import Foundation

/// Ranking metrics at K for one user's list, with the protocol of the shared splits:
/// binary gain, log₂ discount, ideal DCG and MAP normalised over min(K, |relevant|).
public enum RankingMetrics {
    /// precision@K = hits / K.
    public static func precision(_ list: [Int], _ relevant: Set<Int>, k: Int) -> Double {
        Double(list.prefix(k).filter(relevant.contains).count) / Double(k)
    }

    /// recall@K = hits / |relevant|.
    public static func recall(_ list: [Int], _ relevant: Set<Int>, k: Int) -> Double {
        relevant.isEmpty ? 0 : Double(list.prefix(k).filter(relevant.contains).count) / Double(relevant.count)
    }

    /// F1 = 2PR / (P + R), 0 when both are 0.
    public static func f1(precision p: Double, recall r: Double) -> Double { p + r > 0 ? 2 * p * r / (p + r) : 0 }

    /// nDCG@K = Σ_{hit at rank i} 1/log₂(i + 1) over Σ_{i ≤ min(K, |relevant|)} 1/log₂(i + 1).
    public static func ndcg(_ list: [Int], _ relevant: Set<Int>, k: Int) -> Double {
        var dcg = 0.0
        for (i, item) in list.prefix(k).enumerated() where relevant.contains(item) { dcg += 1 / log2(Double(i) + 2) }
        let ideal = (0..<min(k, relevant.count)).reduce(0.0) { $0 + 1 / log2(Double($1) + 2) }
        return ideal > 0 ? dcg / ideal : 0
    }

    /// MAP@K: Σ over hits of precision at the hit's rank, over min(K, |relevant|).
    public static func averagePrecision(_ list: [Int], _ relevant: Set<Int>, k: Int) -> Double {
        var hits = 0, sum = 0.0
        for (i, item) in list.prefix(k).enumerated() where relevant.contains(item) {
            hits += 1
            sum += Double(hits) / Double(i + 1)
        }
        let denominator = min(k, relevant.count)
        return denominator > 0 ? sum / Double(denominator) : 0
    }

    /// 1 when any of the top K is relevant.
    public static func hit(_ list: [Int], _ relevant: Set<Int>, k: Int) -> Double {
        list.prefix(k).contains(where: relevant.contains) ? 1 : 0
    }

    /// 1 / rank of the first relevant item in the top K, 0 when none.
    public static func reciprocalRank(_ list: [Int], _ relevant: Set<Int>, k: Int) -> Double {
        guard let i = list.prefix(k).firstIndex(where: relevant.contains) else { return 0 }
        return 1 / Double(i + 1)
    }
}

/// Rating-prediction errors.
public enum RatingMetrics {
    /// Root mean squared error; NaN (undefined, not a perfect 0) over no ratings.
    public static func rmse(_ predicted: [Float], _ actual: [Float]) -> Double {
        guard !actual.isEmpty else { return .nan }
        return (zip(predicted, actual).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / Double(actual.count)).squareRoot()
    }

    /// Mean absolute error; NaN (undefined) over no ratings.
    public static func mae(_ predicted: [Float], _ actual: [Float]) -> Double {
        guard !actual.isEmpty else { return .nan }
        return zip(predicted, actual).reduce(0.0) { $0 + Double(abs($1.0 - $1.1)) } / Double(actual.count)
    }
}

/// Properties of the recommendation lists as a whole.
public enum ListMetrics {
    /// Distinct recommended items / catalogue size.
    public static func coverage(_ lists: [[Int]], catalogue: Int) -> Double {
        catalogue == 0 ? 0 : Double(Set(lists.flatMap { $0 }).count) / Double(catalogue)
    }

    /// Mean over lists of 1 − mean pairwise cosine similarity of the items' feature vectors.
    public static func diversity(_ lists: [[Int]], vectors: [[Float]]) -> Double {
        var total = 0.0, counted = 0
        for list in lists where list.count > 1 {
            var sum = 0.0, pairs = 0
            for a in 0..<list.count {
                for b in (a + 1)..<list.count {
                    sum += cosine(vectors[list[a]], vectors[list[b]]); pairs += 1
                }
            }
            total += 1 - sum / Double(pairs); counted += 1
        }
        return counted > 0 ? total / Double(counted) : 0
    }

    /// Mean self-information −log₂(p(i)) of recommended items, p(i) = users with i / users.
    public static func novelty(_ lists: [[Int]], itemUsers: [Float], users: Int) -> Double {
        let all = lists.flatMap { $0 }
        guard !all.isEmpty, users > 0 else { return 0 }
        return all.reduce(0.0) { $0 - log2(max(Double(itemUsers[$1]), 1) / Double(users)) } / Double(all.count)
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot: Float = 0, na: Float = 0, nb: Float = 0
        for i in 0..<a.count { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i] }
        return na > 0 && nb > 0 ? Double(dot / (na * nb).squareRoot()) : 0
    }
}

/// The paired bootstrap (Efron & Tibshirani 1993, ch. 16; as Sakai 2006 uses it for IR
/// metrics): resample users with replacement, keeping each user's pair of values, and read the
/// interval of the mean difference from the percentiles of the resampled means.
public enum PairedBootstrap {
    public struct Interval: Sendable, Equatable {
        /// Mean of a − b over the users.
        public var difference: Double
        /// The percentile interval's ends.
        public var low: Double, high: Double
        /// Whether the interval excludes 0 (the difference is unlikely to be chance at its level).
        public var isSignificant: Bool { low > 0 || high < 0 }
    }

    /// The `level` (e.g. 0.95) interval of mean(a − b), from `resamples` resamples drawn with
    /// `seed`. `a` and `b` are per-user values in the same user order.
    /// - Precondition: `a.count == b.count`, both non-empty, `resamples` > 0, 0 < `level` < 1.
    /// - Complexity: O(resamples · n).
    public static func interval(_ a: [Double], _ b: [Double], level: Double = 0.95, resamples: Int = 10_000, seed: UInt64 = 42) -> Interval {
        precondition(a.count == b.count && !a.isEmpty && resamples > 0 && level > 0 && level < 1, "PairedBootstrap: bad arguments")
        let d = zip(a, b).map { $0 - $1 }
        let n = d.count
        var g = SeededGenerator(seed: seed)
        var means = [Double](repeating: 0, count: resamples)
        for r in 0..<resamples {
            var total = 0.0
            for _ in 0..<n { total += d[Int(g.next() % UInt64(n))] }
            means[r] = total / Double(n)
        }
        means.sort()
        let tail = (1 - level) / 2
        let lo = means[min(resamples - 1, Int((tail * Double(resamples)).rounded(.down)))]
        let hi = means[min(resamples - 1, Int(((1 - tail) * Double(resamples)).rounded(.up)) - 1)]
        return Interval(difference: d.reduce(0, +) / Double(n), low: lo, high: hi)
    }
}
