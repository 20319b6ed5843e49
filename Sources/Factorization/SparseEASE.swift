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

    public init(regularization: Float = 200, dropout: Float = 0.7, neighbors: Int = 256, threads: Int = 1) {
        self.regularization = regularization; self.dropout = dropout; self.neighbors = neighbors; self.threads = threads
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
/// Memory: B holds at most items·m weights (CSR, 8 bytes each) plus per-thread scratch of
/// O(users + items + m²); never an items × items matrix.
public enum SparseEASE {
    /// The weights B (items × items CSR, row i = the weights from item i to the items it helps
    /// predict; zero diagonal) of a users × items matrix (its pattern is used).
    /// - Throws: ``FactorizationError`` for empty or non-finite input or parameters out of range.
    /// - Complexity: O(Σⱼ (Σ_{u ∈ users(j)} nᵤ + Σ_{a ∈ N(j)} n_a + Σᵤ |Xᵤ ∩ N(j)|² + m³)).
    public static func fit(_ x: SparseMatrix, configuration c: SparseEASEConfiguration = .init()) throws -> SparseMatrix {
        try validate(x, "sparse EASE")
        try require(c.regularization > 0 && c.regularization.isFinite, "regularization", c.regularization, "a finite value > 0")
        try require(c.dropout >= 0 && c.dropout < 1, "dropout", c.dropout, "a probability in [0, 1)")
        try require(c.neighbors > 0, "neighbors", c.neighbors, "a positive integer")
        try require(c.threads > 0, "threads", c.threads, "a positive integer")
        let n = x.columns, users = x.rows
        let xt = x.transposedPattern()
        let counts = (0..<n).map { Float(xt.rowPointers[$0 + 1] - xt.rowPointers[$0]) }
        let emphasis = c.dropout / (1 - c.dropout)
        let penalty = counts.map { c.regularization + emphasis * $0 }
        // Fixed blocks: the result does not depend on the thread count.
        let blockCount = max(1, min(n, 64))
        let blocks = Parallel.mapBlocks(count: n, threads: c.threads, blocks: blockCount) { range -> (rows: [Int32], columns: [Int32], values: [Float]) in
            var rows: [Int32] = [], columns: [Int32] = [], values: [Float] = []
            var cooccur = [Float](repeating: 0, count: n), touched: [Int32] = []
            var slot = [Int32](repeating: -1, count: users), seenUsers: [Int32] = [], userCounts: [Int32] = []
            var offsets: [Int] = [], fill: [Int32] = []  // each seen user's positions in N, contiguous
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
                // G_NN exactly: each user's items within N, found from the chosen items' users.
                for a in chosen {
                    for q in xt.rowPointers[Int(a)]..<xt.rowPointers[Int(a) + 1] {
                        let u = Int(xt.columnIndices[q])
                        if slot[u] < 0 { slot[u] = Int32(seenUsers.count); seenUsers.append(Int32(u)); userCounts.append(0) }
                        userCounts[Int(slot[u])] += 1
                    }
                }
                offsets = [0]
                for k in userCounts { offsets.append(offsets.last! + Int(k)) }
                fill = [Int32](repeating: 0, count: offsets.last!)
                var cursor = offsets
                for (p, a) in chosen.enumerated() {
                    for q in xt.rowPointers[Int(a)]..<xt.rowPointers[Int(a) + 1] {
                        let s = Int(slot[Int(xt.columnIndices[q])])
                        fill[cursor[s]] = Int32(p); cursor[s] += 1
                    }
                }
                var a = [Float](repeating: 0, count: m * m)
                a.withUnsafeMutableBufferPointer { ap in
                    fill.withUnsafeBufferPointer { fp in
                        for s in 0..<seenUsers.count {
                            let lo = offsets[s], hi = offsets[s + 1]
                            for x in lo..<hi {
                                let row = ap.baseAddress! + Int(fp[x]) * m
                                for y in lo..<hi where fp[y] >= fp[x] { row[Int(fp[y])] += 1 }
                            }
                        }
                    }
                }
                for (p, i) in chosen.enumerated() { a[p * m + p] += penalty[Int(i)] }
                for u in seenUsers { slot[Int(u)] = -1 }
                seenUsers.removeAll(keepingCapacity: true); userCounts.removeAll(keepingCapacity: true)
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
