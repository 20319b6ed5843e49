import DenseLinalg

/// Hyperparameters of the item-based neighbourhood model with baselines.
public struct BaselineKNNConfiguration: Sendable, Equatable {
    /// Neighbours k among the items the user rated. Default 40.
    public var neighbors = 40
    /// Similarity shrinkage: sim · (n − 1) / (n − 1 + shrinkage), n the common raters. Default 100.
    public var shrinkage: Float = 100
    /// λ of the item and user baselines (absolute, not per rating). Defaults 10 and 15.
    public var itemBiasRegularization: Float = 10
    public var userBiasRegularization: Float = 15
    /// Alternating passes over the baselines. Default 10.
    public var baselineIterations = 10
    /// Threads for our parallel loops and BLAS calls (the caller's ``ComputeSettings``). Default 1.
    public var threads: Int = 1
    /// Which vector kernels may run (the caller's ``ComputeSettings``). Default automatic.
    public var simd: SIMDPolicy = .automatic

    public init(neighbors: Int = 40, shrinkage: Float = 100, threads: Int = 1) {
        self.neighbors = neighbors; self.shrinkage = shrinkage; self.threads = threads
    }
}

/// A trained neighbourhood model: baselines and the item × item similarity.
public struct BaselineKNNModel: Sendable {
    public var globalMean: Float
    public var userBias: [Float]
    public var itemBias: [Float]
    /// items × items, pearson-baseline similarity with shrinkage, zero diagonal.
    public var similarity: Matrix<Float>
    /// users × items training ratings.
    public var ratings: SparseMatrix
    public var configuration: BaselineKNNConfiguration
    public var ratingScale: ClosedRange<Float>

    /// The baseline μ + bᵤ + bᵢ (a bias is 0 for an index outside training).
    public func baseline(user: Int, item: Int) -> Float {
        globalMean + (user >= 0 && user < userBias.count ? userBias[user] : 0) + (item >= 0 && item < itemBias.count ? itemBias[item] : 0)
    }

    /// r̂ᵤᵢ = bᵤᵢ + Σⱼ sim(i, j)(rᵤⱼ − bᵤⱼ) / Σⱼ sim(i, j) over the `neighbors` items j rated by u
    /// most similar to i, those with positive similarity; clipped to the rating scale.
    public func predict(user: Int, item: Int) -> Float {
        var estimate = baseline(user: user, item: item)
        if user >= 0 && user < ratings.rows && item >= 0 && item < ratings.columns {
            let row = ratings.row(user)
            var selector = TopKSelector(capacity: configuration.neighbors)
            for (q, j) in row.columns.enumerated() {
                let s = similarity[item, Int(j)]
                if s > 0 && s > selector.threshold { selector.insert(s, Int32(q)) }
            }
            var weighted: Float = 0, total: Float = 0
            let base = row.columns.startIndex
            for (q, s) in selector.sorted() {
                let j = Int(row.columns[base + q])
                weighted += s * (row.values[row.values.startIndex + q] - baseline(user: user, item: j))
                total += s
            }
            if total > 0 { estimate += weighted / total }
        }
        return min(ratingScale.upperBound, max(ratingScale.lowerBound, estimate))
    }
}

/// KNNBaseline (Koren, "Factor in the neighbors: scalable and accurate collaborative
/// filtering", TKDD 2010, §2.2): baselines bᵤᵢ = μ + bᵤ + bᵢ fitted by alternating regularised
/// means, then item–item pearson-baseline similarity
/// ```
/// sim(i, j) = Σᵤ r̃ᵤᵢ r̃ᵤⱼ / √(Σᵤ r̃ᵤᵢ² · Σᵤ r̃ᵤⱼ²) · (n − 1) / (n − 1 + shrinkage),  r̃ = r − b
/// ```
/// over the n users who rated both, computed for blocks of items by sparse × dense products.
public enum BaselineKNN {
    /// Largest item count for the dense similarity (400 MB of Float at 10,000 items).
    public static let maximumItems = 20_000

    /// - Complexity: O(nnz · items) flops in sparse × dense products; items² memory.
    public static func fit(_ ratings: SparseMatrix, configuration c: BaselineKNNConfiguration = .init()) throws -> BaselineKNNModel {
        try validate(ratings, "KNN baseline")
        try require(c.neighbors > 0, "neighbors", c.neighbors, "a positive integer")
        try require(c.shrinkage >= 0 && c.shrinkage.isFinite, "shrinkage", c.shrinkage, "a finite value ≥ 0")
        let n = ratings.columns
        guard n <= maximumItems else {
            throw FactorizationError.tooLarge(operation: "KNN baseline (\(n)×\(n) item similarity)", requiredBytes: n * n * 4,
                                              availableBytes: maximumItems * maximumItems * 4)
        }
        let mean = Float(ratings.values.reduce(0.0) { $0 + Double($1) } / Double(ratings.nnz))
        let transposed = ratings.transposed()
        var bu = [Float](repeating: 0, count: ratings.rows), bi = [Float](repeating: 0, count: n)
        for _ in 0..<c.baselineIterations {
            for i in 0..<n {
                let col = transposed.row(i)
                var sum: Float = 0
                for (u, r) in zip(col.columns, col.values) { sum += r - mean - bu[Int(u)] }
                bi[i] = sum / (c.itemBiasRegularization + Float(col.columns.count))
            }
            for u in 0..<ratings.rows {
                let row = ratings.row(u)
                var sum: Float = 0
                for (i, r) in zip(row.columns, row.values) { sum += r - mean - bi[Int(i)] }
                bu[u] = sum / (c.userBiasRegularization + Float(row.columns.count))
            }
        }
        // Residuals r̃, their squares, and the pattern, as users × items CSR.
        var residual = [Float](), squared = [Float]()
        residual.reserveCapacity(ratings.nnz); squared.reserveCapacity(ratings.nnz)
        for u in 0..<ratings.rows {
            let row = ratings.row(u)
            for (i, r) in zip(row.columns, row.values) {
                let t = r - mean - bu[u] - bi[Int(i)]
                residual.append(t); squared.append(t * t)
            }
        }
        let r = try SparseMatrix(rows: ratings.rows, columns: n, rowPointers: ratings.rowPointers, columnIndices: ratings.columnIndices, values: residual)
        let q = try SparseMatrix(rows: ratings.rows, columns: n, rowPointers: ratings.rowPointers, columnIndices: ratings.columnIndices, values: squared)
        let b = ratings.mapValues { _ in 1 }
        let rt = r.transposed(), qt = q.transposed(), bt = b.transposed()
        var similarity = Matrix<Float>(rows: n, columns: n)
        let block = 256
        for start in stride(from: 0, to: n, by: block) {
            let end = min(n, start + block), width = end - start
            // Dense users × width blocks of r̃, r̃² and the pattern.
            var dr = Matrix<Float>(rows: ratings.rows, columns: width), dq = dr, db = dr
            for u in 0..<ratings.rows {
                let row = r.row(u)
                for (p, i) in row.columns.enumerated() where Int(i) >= start && Int(i) < end {
                    let v = row.values[row.values.startIndex + p]
                    dr[u, Int(i) - start] = v; dq[u, Int(i) - start] = v * v; db[u, Int(i) - start] = 1
                }
            }
            let numerator = try rt.multiply(dr, threads: c.threads, simd: c.simd)     // Σ r̃ᵤᵢ r̃ᵤⱼ
            let left = try qt.multiply(db, threads: c.threads, simd: c.simd)          // Σ over common users of r̃ᵤᵢ²
            let right = try bt.multiply(dq, threads: c.threads, simd: c.simd)         // Σ over common users of r̃ᵤⱼ²
            let common = try bt.multiply(db, threads: c.threads, simd: c.simd)        // n
            for i in 0..<n {
                for j in 0..<width where i != start + j {
                    let denominator = (left[i, j] * right[i, j]).squareRoot()
                    let support = max(0, common[i, j] - 1)
                    guard denominator > 0 && support > 0 else { continue }
                    similarity[i, start + j] = numerator[i, j] / denominator * support / (support + c.shrinkage)
                }
            }
        }
        let advice = "check the ratings' scale (their squares must stay finite in single precision)"
        try requireFiniteResult(bu + bi + [mean], "KNN baseline", "biases", advice: advice)
        try requireFiniteResult(similarity.elements, "KNN baseline", "item similarities", advice: advice)
        return BaselineKNNModel(globalMean: mean, userBias: bu, itemBias: bi, similarity: similarity, ratings: ratings,
                                configuration: c, ratingScale: ratings.values.min()!...ratings.values.max()!)
    }
}
