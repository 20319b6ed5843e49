import DenseLinalg
import Foundation

/// Settings of ``SparseEASE``.
public struct SparseEASEConfiguration: Sendable, Equatable {
    /// λ of the penalty Λ = λ + p/(1−p)·diag(XᵀX), > 0. Default 200 (EDLAE's).
    public var regularization: Float = 200
    /// EDLAE's emphasised-denoising dropout p in [0, 1); 0 gives EASE's penalty λI. Default 0.7.
    public var dropout: Float = 0.7
    /// Items each item's weights may come from (its most co-occurring items), ≥ 1. Default 256.
    public var neighbors: Int = 256
    /// Threads for the per-item solves. Default 1.
    public var threads: Int = 1
    /// The most popular items whose co-occurrence counts (part of XᵀX) are computed once and
    /// kept as a dense c × c matrix (4·c² bytes: 64 MiB at the default 4,096), ≥ 0. On
    /// long-tailed data nearly every item's neighbours are popular items, each with thousands of
    /// users; without the cache every item rebuilds their counts from those users. The weights
    /// do not depend on it (the counts are exact integers either way).
    public var cachedItems: Int = 4096

    public init(regularization: Float = 200, dropout: Float = 0.7, neighbors: Int = 256, threads: Int = 1, cachedItems: Int = 4096) {
        self.regularization = regularization; self.dropout = dropout; self.neighbors = neighbors; self.threads = threads
        self.cachedItems = cachedItems
    }
}

/// EASE-quality item weights where EASE's dense items × items inverse does not fit: each column
/// of B is EASE's regression restricted to the item's `neighbors` most co-occurring items.
///
/// EASE's column j (Steck, WWW 2019) is the ridge regression of item j's column of X on every
/// other item, bⱼ = (G₋ⱼ + Λ)⁻¹ G₋ⱼ,ⱼ with G = XᵀX; here the regressors are the m items that
/// co-occur most with j (the sparsity pattern of a column-wise sparse approximate inverse, as
/// SPAI restricts each column; SANSA, Spišák et al. RecSys 2023, sparsifies an LDLᵀ factor
/// instead), so bⱼ = (G_NN + Λ_N)⁻¹ G_N,ⱼ, one m × m Cholesky solve per item. Items that never
/// co-occur with j are never regressors; when every pair of items co-occurs and m ≥ the number
/// of items it is EASE (EDLAE with `dropout` > 0) exactly.
///
/// Memory: B holds at most items·m weights (CSR, 8 bytes each), the popular items' dense
/// co-occurrence counts (``SparseEASEConfiguration/cachedItems``) and per-thread scratch of
/// O(users + items + m²); never an items × items matrix.
public enum SparseEASE {
    /// The weights B (items × items CSR, row i = the weights from item i to the items it helps
    /// predict; zero diagonal) of a users × items matrix (its pattern is used).
    /// - Throws: ``FactorizationError`` for empty or non-finite input or parameters out of range.
    /// - Complexity: O(Σᵤ nᵤ² + Σⱼ (Σ_{a ∈ N(j), a uncached} Σ_{u ∈ users(a)} nᵤ + m³)), plus the
    ///   cache's O(Σᵤ |Xᵤ ∩ C|²) once.
    public static func fit(_ x: SparseMatrix, configuration c: SparseEASEConfiguration = .init()) throws -> SparseMatrix {
        try validate(x, "sparse EASE")
        try require(c.regularization > 0 && c.regularization.isFinite, "regularization", c.regularization, "a finite value > 0")
        try require(c.dropout >= 0 && c.dropout < 1, "dropout", c.dropout, "a probability in [0, 1)")
        try require(c.neighbors > 0, "neighbors", c.neighbors, "a positive integer")
        try require(c.threads > 0, "threads", c.threads, "a positive integer")
        try require(c.cachedItems >= 0, "cached items", c.cachedItems, "an integer ≥ 0")
        let n = x.columns
        let xt = x.transposedPattern()
        let counts = (0..<n).map { Float(xt.rowPointers[$0 + 1] - xt.rowPointers[$0]) }
        let emphasis = c.dropout / (1 - c.dropout)
        let penalty = counts.map { c.regularization + emphasis * $0 }
        let cache = PopularGram(x, counts: counts, size: min(n, c.cachedItems), threads: c.threads)
        // Fixed blocks: the result does not depend on the thread count.
        let blockCount = max(1, min(n, 64))
        let blocks = Parallel.mapBlocks(count: n, threads: c.threads, blocks: blockCount) { range -> (rows: [Int32], columns: [Int32], values: [Float]) in
            var rows: [Int32] = [], columns: [Int32] = [], values: [Float] = []
            var cooccur = [Float](repeating: 0, count: n), touched: [Int32] = []
            var position = [Int32](repeating: -1, count: n)  // an item's place in N, -1 outside
            for j in range {
                // Candidates: the items sharing users with j, by co-occurrence count.
                for q in xt.rowPointers[j]..<xt.rowPointers[j + 1] {
                    let u = Int(xt.columnIndices[q])
                    for p in x.rowPointers[u]..<x.rowPointers[u + 1] {
                        let i = Int(x.columnIndices[p])
                        if cooccur[i] == 0 { touched.append(Int32(i)) }
                        cooccur[i] += 1
                    }
                }
                var candidates = touched.filter { Int($0) != j }.map { (index: $0, count: cooccur[Int($0)]) }
                for i in touched { cooccur[Int(i)] = 0 }
                touched.removeAll(keepingCapacity: true)
                guard !candidates.isEmpty else { continue }
                candidates.sort { $0.count > $1.count || ($0.count == $1.count && $0.index < $1.index) }
                let chosen = candidates.prefix(c.neighbors).map(\.index)
                let m = chosen.count
                // b = G_N,j: the co-occurrence counts.
                var b = candidates.prefix(m).map(\.count)
                // G_NN exactly (upper triangle): cached pairs from the popular items' counts, and
                // each other chosen item's counts from its own (few) users.
                var a = [Float](repeating: 0, count: m * m)
                for (p, item) in chosen.enumerated() { position[Int(item)] = Int32(p) }
                for (p, item) in chosen.enumerated() {
                    let cp = cache.index[Int(item)]
                    if cp >= 0 {
                        let row = Int(cp) * cache.size
                        for q in p..<m {
                            let cq = cache.index[Int(chosen[q])]
                            if cq >= 0 { a[p * m + q] = cache.counts[row + Int(cq)] }
                        }
                        continue
                    }
                    // Pairs with cached items and with uncached items at or after p (each
                    // uncached pair counted once, by its first member), the diagonal included.
                    for t in xt.rowPointers[Int(item)]..<xt.rowPointers[Int(item) + 1] {
                        let u = Int(xt.columnIndices[t])
                        for r in x.rowPointers[u]..<x.rowPointers[u + 1] {
                            let q = Int(position[Int(x.columnIndices[r])])
                            guard q >= 0, q >= p || cache.index[Int(chosen[q])] >= 0 else { continue }
                            if q >= p { a[p * m + q] += 1 } else { a[q * m + p] += 1 }
                        }
                    }
                }
                for item in chosen { position[Int(item)] = -1 }
                for (p, i) in chosen.enumerated() { a[p * m + p] += penalty[Int(i)] }
                // Row-major with the upper triangle filled: LAPACK (column-major) reads it as the lower.
                let info = a.withUnsafeMutableBufferPointer { ap in
                    b.withUnsafeMutableBufferPointer { bp in UnsafeKernels.solvePositiveDefinite(ap.baseAddress!, order: m, bp.baseAddress!) }
                }
                guard info == 0 else { continue }  // cannot happen: Λ > 0 makes G_NN + Λ positive definite
                for (p, i) in chosen.enumerated() where b[p] != 0 {
                    rows.append(i); columns.append(Int32(j)); values.append(b[p])
                }
            }
            return (rows, columns, values)
        }
        return try SparseMatrix(rows: n, columns: n, rowIndices: blocks.flatMap(\.rows), columnIndices: blocks.flatMap(\.columns),
                                values: blocks.flatMap(\.values), duplicates: .sum, threads: 1)
    }
}

/// The co-occurrence counts XᵀX among the `size` most watched items (ties by index), dense,
/// computed once: what ``SparseEASE`` reads instead of rebuilding popular items' counts.
struct PopularGram {
    let size: Int
    /// Each item's row in ``counts``, -1 for an item outside the cache.
    let index: [Int32]
    /// size × size, row-major, exact integer counts.
    let counts: [Float]

    init(_ x: SparseMatrix, counts itemCounts: [Float], size: Int, threads: Int) {
        self.size = size
        var index = [Int32](repeating: -1, count: x.columns)
        let popular = (0..<x.columns).sorted { itemCounts[$0] > itemCounts[$1] || (itemCounts[$0] == itemCounts[$1] && $0 < $1) }.prefix(size)
        for (p, item) in popular.enumerated() { index[item] = Int32(p) }
        self.index = index
        guard size > 0 else { counts = []; return }
        // Each user's cached items, then every pair of them; threads own ranges of rows.
        var starts = [0], cached: [Int32] = []
        for u in 0..<x.rows {
            for r in x.rowPointers[u]..<x.rowPointers[u + 1] where index[Int(x.columnIndices[r])] >= 0 {
                cached.append(index[Int(x.columnIndices[r])])
            }
            starts.append(cached.count)
        }
        let rows = Parallel.mapBlocks(count: size, threads: threads, blocks: min(size, max(1, threads * 4))) { range -> [Float] in
            var block = [Float](repeating: 0, count: range.count * size)
            for u in 0..<(starts.count - 1) {
                let list = cached[starts[u]..<starts[u + 1]]
                for a in list where range.contains(Int(a)) {
                    let row = (Int(a) - range.lowerBound) * size
                    for b in list { block[row + Int(b)] += 1 }
                }
            }
            return block
        }
        counts = rows.flatMap { $0 }
    }
}
