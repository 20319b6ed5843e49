import DenseLinalg

/// The implicit-feedback term of explicit ALS (Koren, "Factorization Meets the Neighborhood",
/// KDD 2008, the "++" of SVD++): which titles a user rated says something about them beyond
/// the ratings' values, so a user's factor is xᵤ + zᵤ with
/// ```
/// zᵤ = |N(u)|^(-1/2) Σ_{j ∈ N(u)} y_j
/// ```
/// over the user's rated titles N(u), and the objective gains Σⱼ nⱼ λ_y ‖yⱼ‖². With X, Y fixed
/// the item half is the usual ridge solve against xᵤ + zᵤ; with Y fixed the user half solves for
/// xᵤ against the ratings less yᵢ·zᵤ; with X and the item factors fixed the objective is a convex
/// quadratic in all of Y together, which `improve` lowers by a few conjugate-gradient steps from
/// the current Y. Every step lowers the objective, so the loss still never increases.
package struct ImplicitFeedbackTerm {
    /// How the term's two sides meet when users and items live on different processes
    /// (distributed ALS); within one process every step is the identity.
    package struct Exchange {
        /// Item-side rows (this process's items × k) → the rows the user side's columns name.
        package var toUsers: (Matrix<Float>) throws -> Matrix<Float>
        /// User-side rows (this process's users × k) → the rows the item side's columns name.
        package var toItems: (Matrix<Float>) throws -> Matrix<Float>
        /// A sum of every process's part (the CG recurrence's dot products).
        package var sum: (Double) throws -> Double

        package init(toUsers: @escaping (Matrix<Float>) throws -> Matrix<Float>, toItems: @escaping (Matrix<Float>) throws -> Matrix<Float>,
                     sum: @escaping (Double) throws -> Double) {
            self.toUsers = toUsers; self.toItems = toItems; self.sum = sum
        }

        static var local: Exchange { Exchange(toUsers: { $0 }, toItems: { $0 }, sum: { $0 }) }
    }

    /// Users × items, the ratings (values are used for the residual targets); distributed: this
    /// process's users, columns naming the rows ``Exchange/toUsers`` returns.
    let ratings: SparseMatrix
    /// Items × users, the pattern of the transpose; distributed: this process's items, columns
    /// naming the rows ``Exchange/toItems`` returns.
    let itemRowPointers: [Int]
    let itemUsers: [Int32]
    /// |N(u)|^(-1/2), zero for a user with no ratings.
    let userScale: [Float]
    let lambda: Float
    let threads: Int
    let simd: SIMDPolicy
    let k: Int
    /// Unit weights as long as the longest user or item row, for the gathered sums.
    let ones: [Float]
    let exchange: Exchange

    init(ratings: SparseMatrix, factors k: Int, lambda: Float, threads: Int, simd: SIMDPolicy = .automatic) {
        let pattern = ratings.transposedPattern()
        self.init(ratings: ratings, itemRowPointers: pattern.rowPointers, itemUsers: pattern.columnIndices, factors: k, lambda: lambda,
                  threads: threads, simd: simd, exchange: .local)
    }

    /// The term over one process's share: its users' ratings and its items' users, each side's
    /// columns numbering the rows `exchange` brings it.
    package init(ratings: SparseMatrix, itemRowPointers: [Int], itemUsers: [Int32], factors k: Int, lambda: Float, threads: Int,
                 simd: SIMDPolicy, exchange: Exchange) {
        self.ratings = ratings
        self.itemRowPointers = itemRowPointers
        self.itemUsers = itemUsers
        let userCounts = ratings.rowCounts
        userScale = userCounts.map { $0 == 0 ? 0 : 1 / Float($0).squareRoot() }
        let items = itemRowPointers.count - 1
        let longestItem = (0..<items).reduce(0) { max($0, itemRowPointers[$1 + 1] - itemRowPointers[$1]) }
        ones = [Float](repeating: 1, count: max(1, userCounts.max() ?? 0, longestItem))
        self.lambda = lambda; self.threads = threads; self.simd = simd; self.k = k
        self.exchange = exchange
    }

    /// The items this term's item side holds.
    var itemCount: Int { itemRowPointers.count - 1 }

    /// zᵤ for every user (users × k) from Y (items × k; distributed: this process's rows of each).
    package func offsets(_ y: Matrix<Float>) throws -> Matrix<Float> { scaledUserSums(of: try exchange.toUsers(y), weights: nil) }

    /// Lowers ½‖t − pred_Y‖² + ½ Σⱼ nⱼλ_y‖yⱼ‖² over Y by `steps` conjugate-gradient steps from
    /// `y`, where t is each rating less μ, both biases and xᵤ·yᵢ (items = the item factors).
    /// Distributed: `y` is this process's items' rows, `users` and `userBias` its users',
    /// `items` and `itemBias` the rows its users' ratings name (as ``Exchange/toUsers`` brings).
    package func improve(_ y: inout Matrix<Float>, users: Matrix<Float>, items: Matrix<Float>, userBias: [Float], itemBias: [Float],
                         mean: Float, steps: Int) throws {
        // Every process takes the same branch: the number of ratings is global.
        guard steps > 0, try exchange.sum(Double(ratings.nnz)) > 0 else { return }
        // The right-hand side b = Aᵀt, with per-user sums cᵤ Σᵢ tᵤᵢ qᵢ scattered to the user's items.
        var targets = ratingDots(of: items, with: users)
        for u in 0..<ratings.rows {
            for q in ratings.rowPointers[u]..<ratings.rowPointers[u + 1] {
                targets[q] = ratings.values[q] - mean - userBias[u] - itemBias[Int(ratings.columnIndices[q])] - targets[q]
            }
        }
        let b = try userSumsToItems(scaledUserSums(of: items, weights: targets))
        let n = y.rows * k
        // r = b − A·y, p = r; then the standard recurrence.
        var residual = b
        let ay = try apply(y, items: items)
        for i in 0..<n { residual[i] -= ay[i] }
        var direction = residual
        var rr = try dot(residual, residual)
        let rows = y.rows
        for _ in 0..<steps {
            if rr <= 1e-20 { break }
            let ap = try apply(try Matrix(rows: rows, columns: k, elements: direction), items: items)
            let pap = try dot(direction, ap)
            if pap <= 0 { break }
            let alpha = Float(rr / pap)
            y.withUnsafeMutableBufferPointer { yp in
                for i in 0..<n { yp[i] += alpha * direction[i]; residual[i] -= alpha * ap[i] }
            }
            let next = try dot(residual, residual)
            let beta = Float(next / rr)
            rr = next
            for i in 0..<n { direction[i] = residual[i] + beta * direction[i] }
        }
    }

    /// A·V = Σᵤ (per-item scatter of cᵤ Qᵤᵀ Qᵤ cᵤ Σ_{j∈N(u)} vⱼ) + nⱼλ_y vⱼ: the quadratic's operator.
    private func apply(_ v: Matrix<Float>, items: Matrix<Float>) throws -> [Float] {
        let predictions = ratingDots(of: items, with: try offsets(v))
        var out = try userSumsToItems(scaledUserSums(of: items, weights: predictions))
        v.withUnsafeBufferPointer { vp in
            for j in 0..<v.rows {
                let weight = lambda * Float(itemRowPointers[j + 1] - itemRowPointers[j])
                for c in 0..<k { out[j * k + c] += weight * vp[j * k + c] }
            }
        }
        return out
    }

    /// cᵤ Σᵢ wᵤᵢ rowsᵢ for every user (users × k) over the user's rated items, with one weight
    /// per stored rating, or unit weights when `weights` is nil.
    private func scaledUserSums(of rows: Matrix<Float>, weights: [Float]?) -> Matrix<Float> {
        var sums = Matrix<Float>.zeros(rows: ratings.rows, columns: k)
        let k = self.k, perRating = weights != nil
        rows.withUnsafeBufferPointer { rp in
        sums.withUnsafeMutableBufferPointer { sp in
        ratings.columnIndices.withUnsafeBufferPointer { cols in
        (weights ?? ones).withUnsafeBufferPointer { wp in
            let shared = UncheckedSendable((rp.baseAddress!, sp.baseAddress!, cols.baseAddress!, wp.baseAddress!))
            Parallel.forEachBlock(count: ratings.rows, threads: threads, minimumBlock: 64) { range in
                let (rb, sb, cb, wb) = shared.value
                for u in range {
                    let start = ratings.rowPointers[u], count = ratings.rowPointers[u + 1] - start
                    UnsafeKernels.gatherAxpy(rows: rb, k: k, indices: cb + start, count: count,
                                             weights: perRating ? wb + start : wb, y: sb + u * k, simd: simd)
                    UnsafeKernels.scale(userScale[u], sb + u * k, k)
                }
            }
        }}}}
        return sums
    }

    /// rowsᵢ · xᵤ for every stored rating (u, i), in storage order.
    private func ratingDots(of rows: Matrix<Float>, with x: Matrix<Float>) -> [Float] {
        var dots = [Float](repeating: 0, count: ratings.nnz)
        let k = self.k
        rows.withUnsafeBufferPointer { rp in
        x.withUnsafeBufferPointer { xp in
        ratings.columnIndices.withUnsafeBufferPointer { cols in
        dots.withUnsafeMutableBufferPointer { dp in
            let shared = UncheckedSendable((rp.baseAddress!, xp.baseAddress!, cols.baseAddress!, dp.baseAddress!))
            Parallel.forEachBlock(count: ratings.rows, threads: threads, minimumBlock: 64) { range in
                let (rb, xb, cb, db) = shared.value
                for u in range {
                    let start = ratings.rowPointers[u], count = ratings.rowPointers[u + 1] - start
                    UnsafeKernels.gatherDots(rows: rb, k: k, indices: cb + start, count: count, x: xb + u * k, out: db + start, simd: simd)
                }
            }
        }}}}
        return dots
    }

    /// Σ_{u ∈ N(j)} sᵤ for every item j (items × k, flat) from the users' sums (users × k).
    private func userSumsToItems(_ userSums: Matrix<Float>) throws -> [Float] {
        let sums = try exchange.toItems(userSums)
        let items = itemCount
        var out = [Float](repeating: 0, count: items * k)
        let k = self.k
        sums.withUnsafeBufferPointer { sp in
        out.withUnsafeMutableBufferPointer { op in
        itemUsers.withUnsafeBufferPointer { users in
        ones.withUnsafeBufferPointer { ones in
            let shared = UncheckedSendable((sp.baseAddress!, op.baseAddress!, users.baseAddress!, ones.baseAddress!))
            Parallel.forEachBlock(count: items, threads: threads, minimumBlock: 64) { range in
                let (sb, ob, ub, onesb) = shared.value
                for j in range {
                    let start = itemRowPointers[j], count = itemRowPointers[j + 1] - start
                    UnsafeKernels.gatherAxpy(rows: sb, k: k, indices: ub + start, count: count, weights: onesb, y: ob + j * k, simd: simd)
                }
            }
        }}}}
        return out
    }

    /// Σ aᵢbᵢ over every process's part.
    private func dot(_ a: [Float], _ b: [Float]) throws -> Double {
        var s = 0.0
        for i in 0..<a.count { s += Double(a[i]) * Double(b[i]) }
        return try exchange.sum(s)
    }

    /// Σⱼ nⱼ λ_y ‖yⱼ‖²: the term's share of the objective (distributed: this process's items').
    package func penalty(_ y: Matrix<Float>) -> Double {
        var total = 0.0
        for j in 0..<y.rows {
            let norm = y.row(j).reduce(0.0) { $0 + Double($1) * Double($1) }
            total += Double(lambda) * Double(itemRowPointers[j + 1] - itemRowPointers[j]) * norm
        }
        return total
    }
}
