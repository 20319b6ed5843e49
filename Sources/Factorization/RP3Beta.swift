import DenseLinalg
import Foundation

/// RP3β (Paudel, Christoffel, Newell & Bernstein, "Updatable, accurate, diverse, and scalable
/// recommendations for interactive applications", ACM TiiS 2016; one of the strongest simple
/// baselines in Dacrema, Cremonesi & Jannach, RecSys 2019): a three-step random walk
/// item → user → item on the binary interaction graph, each step's transition probabilities
/// raised to the power α, and the arrival item's popularity divided out to the power β:
/// ```
/// Wᵢⱼ = nᵢ^(−α) · Σ_{u ∈ N(i) ∩ N(j)} nᵤ^(−α) · nⱼ^(−β)      (i ≠ j)
/// ```
/// with nᵢ, nⱼ the items' user counts and nᵤ the user's item count; each item keeps its k largest
/// weights. A user's score for j is Σ over their items i of Wᵢⱼ.
public enum RP3Beta {
    /// The top-`k` RP3β weights of every item of a users × items matrix (its pattern is used).
    /// - Parameters: `alpha` ≥ 0 (1: plain transition probabilities), `beta` ≥ 0 (0: no
    ///   popularity penalty), `k` ≥ 1.
    /// - Throws: ``FactorizationError`` for empty or non-finite input or parameters out of range.
    /// - Complexity: O(Σᵤ nᵤ²) time (each item's two-step walk), O(threads · items) scratch.
    public static func neighbors(_ x: SparseMatrix, alpha: Float, beta: Float, k: Int, threads: Int = 1) throws -> NeighborList {
        try validate(x, "RP3beta")
        try require(alpha >= 0 && alpha.isFinite, "alpha", alpha, "a finite value ≥ 0")
        try require(beta >= 0 && beta.isFinite, "beta", beta, "a finite value ≥ 0")
        try require(k > 0, "neighbors", k, "a positive integer")
        try require(threads > 0, "threads", threads, "a positive integer")
        let n = x.columns, k = min(k, max(1, n - 1))
        let xt = x.transposedPattern()
        let userWeight = x.rowCounts.map { $0 == 0 ? Float(0) : pow(Float($0), -alpha) }
        let itemCounts = (0..<n).map { xt.rowPointers[$0 + 1] - xt.rowPointers[$0] }
        let fromWeight = itemCounts.map { $0 == 0 ? Float(0) : pow(Float($0), -alpha) }
        let toWeight = itemCounts.map { $0 == 0 ? Float(0) : pow(Float($0), -beta) }
        var indices = [Int32](repeating: -1, count: n * k), scores = [Float](repeating: 0, count: n * k)
        indices.withUnsafeMutableBufferPointer { ip in
        scores.withUnsafeMutableBufferPointer { sp in
            let out = UncheckedSendable((ip.baseAddress!, sp.baseAddress!))
            Parallel.forEachBlock(count: n, threads: threads, minimumBlock: 16) { range in
                let (ib, sb) = out.value
                var row = [Float](repeating: 0, count: n)
                var touched: [Int32] = []
                for i in range {
                    // Two steps of the walk: i → its users u → their items j.
                    for q in xt.rowPointers[i]..<xt.rowPointers[i + 1] {
                        let u = Int(xt.columnIndices[q]), w = userWeight[u]
                        for p in x.rowPointers[u]..<x.rowPointers[u + 1] {
                            let j = Int(x.columnIndices[p])
                            if row[j] == 0 { touched.append(Int32(j)) }
                            row[j] += w
                        }
                    }
                    var candidates: [(index: Int32, score: Float)] = []
                    candidates.reserveCapacity(touched.count)
                    for j32 in touched {
                        let j = Int(j32)
                        if j != i { candidates.append((j32, fromWeight[i] * row[j] * toWeight[j])) }
                        row[j] = 0
                    }
                    touched.removeAll(keepingCapacity: true)
                    // Best first; equal weights rank the smaller index first.
                    candidates.sort { $0.score > $1.score || ($0.score == $1.score && $0.index < $1.index) }
                    for (rank, c) in candidates.prefix(k).enumerated() where c.score > 0 {
                        ib[i * k + rank] = c.index; sb[i * k + rank] = c.score
                    }
                }
            }
        }}
        return NeighborList(k: k, indices: indices, scores: scores)
    }
}
