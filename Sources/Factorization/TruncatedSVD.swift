import DenseLinalg

/// Hyperparameters of the randomized truncated SVD.
public struct TruncatedSVDConfiguration: Sendable, Equatable {
    /// Rank k. Default 64.
    public var rank: Int = 64
    /// Extra sketch columns p beyond k (the sketch is rounded up to a multiple of 16). Default 10.
    public var oversampling: Int = 10
    /// Power iterations q; each sharpens the spectrum's decay. Default 7, as scikit-learn's
    /// `randomized_svd` uses for small ranks.
    public var powerIterations: Int = 7
    /// Round the power iterates to half precision in the sparse products that take them (where
    /// the CPU converts in hardware): they only steer the subspace, whose final basis and
    /// B = QᵀA stay in single precision, and the gathers move half the bytes. Default true.
    public var halfPrecisionIterates: Bool = true
    /// Seed of the Gaussian sketch.
    public var seed: UInt64 = 42
    /// Worker threads for the sparse products (BLAS uses its own setting).
    public var threads: Int = Parallel.availableCores

    /// Columns of the sketch for an m × n matrix: k + p rounded up to a multiple of 16 (whole
    /// vector registers in the sparse products), at most min(m, n).
    public func sketchColumns(rows: Int, columns: Int) -> Int {
        min(min(rows, columns), (rank + oversampling + 15) / 16 * 16)
    }

    public init(rank: Int = 64, oversampling: Int = 10, powerIterations: Int = 7, halfPrecisionIterates: Bool = true,
                seed: UInt64 = 42, threads: Int = Parallel.availableCores) {
        self.rank = rank; self.oversampling = oversampling; self.powerIterations = powerIterations
        self.halfPrecisionIterates = halfPrecisionIterates; self.seed = seed; self.threads = threads
    }
}

/// Truncated singular value decomposition A ≈ U·diag(σ)·Vᵀ with the k largest singular values.
public enum TruncatedSVD {
    /// Exact: LAPACK gesdd on the dense matrix, truncated to rank k.
    /// - Throws: ``FactorizationError/rankTooLarge(operation:rank:rows:columns:)``, empty or
    ///   non-finite input.
    public static func exact(_ a: Matrix<Float>, rank: Int) throws -> SingularValueDecomposition<Float> {
        guard a.rows > 0, a.columns > 0 else { throw FactorizationError.emptyInput(operation: "truncated SVD") }
        try checkRank(rank, a.rows, a.columns)
        guard a.isFinite else { throw FactorizationError.nonFiniteInput(operation: "truncated SVD") }
        return try truncate(a.svd(), rank)
    }

    /// Randomized SVD of a sparse matrix (Halko, Martinsson & Tropp, "Finding structure with
    /// randomness", SIAM Review 2011, algorithms 4.4 and 5.1):
    /// ```
    /// Ω ~ N(0, 1)^{n×l};  Q = qr(A·Ω)
    /// repeat q times:  Q = qr(A·qr(Aᵀ·Q))
    /// B = Qᵀ·A = (Aᵀ·Q)ᵀ;  B = Ũ·Σ·Vᵀ (LAPACK);  U = Q·Ũ
    /// ```
    /// with l = k + p rounded up to a multiple of 16.
    /// - Complexity: O((2q + 2)·nnz·l + (q + 1)(m + n)·l²).
    public static func randomized(_ a: SparseMatrix, configuration: TruncatedSVDConfiguration = .init())
        throws -> SingularValueDecomposition<Float> {
        try validate(a, "randomized SVD")
        let k = configuration.rank
        try checkRank(k, a.rows, a.columns)
        try require(configuration.oversampling >= 0, "oversampling", configuration.oversampling, "an integer ≥ 0")
        try require(configuration.powerIterations >= 0, "power iterations", configuration.powerIterations, "an integer ≥ 0")
        try require(configuration.threads > 0, "threads", configuration.threads, "a positive integer")
        let l = configuration.sketchColumns(rows: a.rows, columns: a.columns)
        let at = a.transposed()
        let threads = configuration.threads
        // BLAS stays single-threaded: the dense products are split over our own workers, so no
        // OpenBLAS pool spins between them and the sparse products.
        return try Parallel.withBLASThreads(1) {
            let omega = gaussianSketch(rows: a.columns, columns: l, seed: configuration.seed, threads: threads)
            // Intermediate iterates need only be well conditioned, not orthonormal to the last
            // bit (scikit-learn normalises them by LU): one Gram pass each. The basis Q that B is
            // built on gets the second pass.
            let passes = { (last: Bool) in last ? 2 : 1 }
            let product = { (m: SparseMatrix, iterate: Matrix<Float>) in
                configuration.halfPrecisionIterates
                    ? try m.multiplyRoundingToHalf(iterate, threads: threads) : try m.multiply(iterate, threads: threads)
            }
            var q = try orthonormalize(product(a, omega), passes: passes(configuration.powerIterations == 0), threads: threads)
            for iteration in 0..<configuration.powerIterations {
                let z = try orthonormalize(product(at, q), passes: 1, threads: threads)
                q = try orthonormalize(product(a, z), passes: passes(iteration == configuration.powerIterations - 1), threads: threads)
            }
            let bt = try at.multiply(q, threads: threads)          // n × l = (QᵀA)ᵀ
            let small = try smallSVD(bt, k: k)                     // l × n = Ũ Σ Vᵀ
            let u = try q.matmul(small.u, threads: threads)
            return truncate(SingularValueDecomposition(u: u, singularValues: small.singularValues, vt: small.vt), k)
        }
    }

    /// The SVD of the small B = (Bᵀ)ᵀ (l × n, l ≪ n) from the eigendecomposition of B·Bᵀ in
    /// Double: B·Bᵀ = Ũ·Σ²·Ũᵀ (LAPACK syevd), Vᵀ = Σ⁻¹·Ũᵀ·B. The Gram matrix's eigenvalues
    /// carry relative error ~10⁻¹⁶·(σ₁/σᵢ)², far below single precision, and LAPACK's gesdd on
    /// the 80 × 10,000 B took ~65 ms against ~10 ms for this. When any of the k leading σ is
    /// below 10⁻⁶ σ₁ (a rank-deficient B, whose Vᵀ rows would not be determined), gesdd.
    static func smallSVD(_ bt: Matrix<Float>, k: Int) throws -> SingularValueDecomposition<Float> {
        let l = bt.columns, n = bt.rows
        let b = bt.converted(to: Double.self)                   // n × l
        let (values, vectors) = try b.gram().symmetricEigen()   // l × l, ascending
        let largest = max(values.last ?? 0, 0)
        guard l > 0, k <= l, largest > 0, values[l - k] > largest * 1e-12 else { return try bt.transposed.svd() }
        // Descending order: σ_j = √λ_(l−1−j), Ũ's column j the matching eigenvector.
        var uSmall = Matrix<Double>(rows: l, columns: l)
        var sigma = [Double](repeating: 0, count: l)
        for j in 0..<l {
            sigma[j] = max(values[l - 1 - j], 0).squareRoot()
            for i in 0..<l { uSmall[i, j] = vectors[i, l - 1 - j] }
        }
        // V = Bᵀ·Ũ·Σ⁻¹ (n × l); columns with σ = 0 stay zero (beyond the k returned).
        var v = try b.matmul(uSmall)
        v.withUnsafeMutableBufferPointer { vp in
            for i in 0..<n { for j in 0..<l { vp[i * l + j] = sigma[j] > 0 ? vp[i * l + j] / sigma[j] : 0 } }
        }
        return SingularValueDecomposition(u: uSmall.converted(to: Float.self), singularValues: sigma.map(Float.init),
                                          vt: v.transposed.converted(to: Float.self))
    }

    /// An orthonormal basis of the column space of Y (m × l) from its Gram matrix, all level-3:
    /// ```
    /// YᵀY = V·Λ·Vᵀ (LAPACK syevd, in Double),   Q = Y·V·Λ^(−1/2)
    /// ```
    /// applied `passes` times; a second pass removes what rounding left of non-orthogonality (the
    /// idea of CholeskyQR2: Fukaya et al., 2014). Directions with eigenvalue below 10⁻¹² of the
    /// largest become zero columns. Accurate while κ(Y) ≲ 10³, which holds here because Y is
    /// re-orthonormalised after every product.
    static func orthonormalize(_ y: Matrix<Float>, passes: Int = 2, threads: Int) throws -> Matrix<Float> {
        let l = y.columns
        var q = y
        for _ in 0..<passes {
            let (values, vectors) = try q.gram(threads: threads).converted(to: Double.self).symmetricEigen()
            let largest = values.last ?? 0
            var transform = Matrix<Float>(rows: l, columns: l)
            for j in 0..<l where values[j] > largest * 1e-12 {
                let scale = 1 / values[j].squareRoot()
                for i in 0..<l { transform[i, j] = Float(vectors[i, j] * scale) }
            }
            q = try q.matmul(transform, threads: threads)
        }
        return q
    }

    /// A rows × columns matrix of standard normal entries, filled in chunks of 1,024 rows, each
    /// from its own stream of the seed (so any thread count gives the same matrix), both
    /// Box–Muller deviates of each pair used. The single-stream generator took ~50 ms for
    /// 10,000 × 80.
    static func gaussianSketch(rows: Int, columns: Int, seed: UInt64, threads: Int) -> Matrix<Float> {
        var omega = Matrix<Float>(rows: rows, columns: columns)
        let chunkRows = 1024, chunks = (rows + chunkRows - 1) / chunkRows
        omega.withUnsafeMutableBufferPointer { op in
            let shared = UncheckedSendable(op.baseAddress!)
            Parallel.forEachBlock(count: chunks, threads: threads, minimumBlock: 1) { range in
                for chunk in range {
                    var generator = SeededGenerator(seed: seed, stream: UInt64(chunk))
                    let start = chunk * chunkRows * columns, end = min(rows, (chunk + 1) * chunkRows) * columns
                    var i = start
                    while i < end {
                        let (first, second) = generator.nextGaussianPair()
                        shared.value[i] = Float(first)
                        if i + 1 < end { shared.value[i + 1] = Float(second) }
                        i += 2
                    }
                }
            }
        }
        return omega
    }

    static func checkRank(_ k: Int, _ rows: Int, _ columns: Int) throws {
        guard k > 0 else { throw FactorizationError.invalidParameter(name: "rank", value: "\(k)", expected: "a positive integer") }
        guard k <= min(rows, columns) else {
            throw FactorizationError.rankTooLarge(operation: "truncated SVD", rank: k, rows: rows, columns: columns)
        }
    }

    static func truncate(_ svd: SingularValueDecomposition<Float>, _ k: Int) -> SingularValueDecomposition<Float> {
        if svd.singularValues.count == k { return svd }
        let u = leadingColumns(svd.u, k)
        let vt = svd.vt.rows(0..<k)
        return SingularValueDecomposition(u: u, singularValues: Array(svd.singularValues.prefix(k)), vt: vt)
    }
}

/// The first k columns of a matrix.
func leadingColumns(_ m: Matrix<Float>, _ k: Int) -> Matrix<Float> {
    var out = Matrix<Float>(rows: m.rows, columns: k)
    m.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            for i in 0..<m.rows { for j in 0..<k { dst[i * k + j] = src[i * m.columns + j] } }
        }
    }
    return out
}
