import DenseLinalg
import Foundation

/// Hyperparameters of the randomized truncated SVD.
public struct TruncatedSVDConfiguration: Sendable, Equatable {
    /// Rank k. Default 64.
    public var rank: Int = 64
    /// Extra sketch columns p beyond k (the sketch is rounded up to a multiple of 16). Default 10.
    public var oversampling: Int = 10
    /// Power iterations q (shifted; see ``TruncatedSVD/randomized(_:configuration:)``); each
    /// sharpens the spectrum's decay. Default 13, the fewest that bring every singular value
    /// within 10⁻³ relative of ARPACK's on a slowly decaying (long-tailed) spectrum at k = 64
    /// (scikit-learn's `randomized_svd` default is 7; measurements: docs/benchmarks.md,
    /// "Design measurements").
    public var powerIterations: Int = 13
    /// Round the power iterates to half precision in the sparse products that take them (where
    /// the CPU converts in hardware): they only steer the subspace, whose final product S·Z and
    /// projection stay in single precision, and the gathers move half the bytes. Default true.
    public var halfPrecisionIterates: Bool = true
    /// Seed of the Gaussian sketch.
    public var seed: UInt64 = 42
    /// Threads for our parallel loops and BLAS calls (the caller's ``ComputeSettings``). Default 1.
    public var threads: Int = 1
    /// Which vector kernels may run (the caller's ``ComputeSettings``). Default automatic.
    public var simd: SIMDPolicy = .automatic

    /// Columns of the sketch for an m × n matrix: k + p rounded up to a multiple of 16 (whole
    /// vector registers in the sparse products), at most min(m, n).
    public func sketchColumns(rows: Int, columns: Int) -> Int {
        // (Bounded before the sum, so no rank or oversampling a caller gives can overflow it.)
        min(min(rows, columns), (min(rank, 1 << 40) + min(oversampling, 1 << 40) + 15) / 16 * 16)
    }

    public init(rank: Int = 64, oversampling: Int = 10, powerIterations: Int = 13, halfPrecisionIterates: Bool = true,
                seed: UInt64 = 42, threads: Int = 1) {
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
    /// randomness", SIAM Review 2011) with dynamically shifted power iterations (Feng, Yu, Xie &
    /// Tang, "Algorithm 1043: Faster randomized SVD with dynamic shifts", ACM TOMS 2024). With S
    /// the taller of A and Aᵀ (M × N, M ≥ N), the iterate Z (N × l) lives on the short side:
    /// ```
    /// Z = orth(Ω),  Ω ~ N(0, 1)^{N×l},  α = 0
    /// repeat q + 1 times:  W = Sᵀ(S·Z) − α·Z;  Z = orth(W);  if σ_l(W) > α { α = (α + σ_l(W)) / 2 }
    /// Y = S·Z = Ũ·Σ·Ŵᵀ (from YᵀY = Ŵ·Σ²·Ŵᵀ, in Double);  U = Y·Ŵ·Σ⁻¹,  V = Z·Ŵ
    /// ```
    /// The shift α stays below half of σ_l², so SᵀS − αI keeps the same leading eigenvectors but
    /// divides their eigenvalues' ratios: where the spectrum decays slowly (σ_k/σ_l close to 1)
    /// the trailing vectors converge up to twice as fast per iteration. Only the short side is orthonormalised (N·l² per iteration, against (M + N)·l²
    /// with both sides), and the last step is a Rayleigh–Ritz projection on S·Z instead of a
    /// further product with B = QᵀA. l = k + p rounded up to a multiple of 16; q + 1 products with
    /// SᵀS, as the unshifted scheme applies AᵀA q + 1 times for V.
    /// - Complexity: O((2q + 3)·nnz·l + (q + 2)·N·l² + M·l²).
    public static func randomized(_ a: SparseMatrix, configuration: TruncatedSVDConfiguration = .init())
        throws -> SingularValueDecomposition<Float> {
        try randomized(a, transposed: nil, configuration: configuration)
    }

    /// ``randomized(_:configuration:)`` given Aᵀ where the caller has it (NMF does).
    static func randomized(_ a: SparseMatrix, transposed given: SparseMatrix?, configuration: TruncatedSVDConfiguration)
        throws -> SingularValueDecomposition<Float> {
        try validate(a, "randomized SVD")
        let k = configuration.rank
        try checkRank(k, a.rows, a.columns)
        try require(configuration.oversampling >= 0, "oversampling", configuration.oversampling, "an integer ≥ 0")
        try require(configuration.powerIterations >= 0, "power iterations", configuration.powerIterations, "an integer ≥ 0")
        try require(configuration.threads > 0, "threads", configuration.threads, "a positive integer")
        let l = configuration.sketchColumns(rows: a.rows, columns: a.columns)
        try requireMemory(for: [a.rows + a.columns, l], copies: 4, "randomized SVD with rank \(k)")
        let at = given ?? a.transposed()
        let tall = a.rows >= a.columns
        let s = tall ? a : at, st = tall ? at : a
        let threads = configuration.threads, simd = configuration.simd
        // |(S·Z)ᵢⱼ| ≤ ‖row i of S‖ for Z with unit columns: a power of two brings that bound
        // under 2¹⁴ (half precision's largest value is 65,504) or tiny entries out of its
        // subnormals, exactly undone after the product (only the half-precision path needs it).
        let largestRow = configuration.halfPrecisionIterates ? Double(s.rowNorms.max() ?? 0) : 0
        let halfScale = largestRow > 0x1p14 || (largestRow > 0 && largestRow < 0x1p-4)
            ? Float(pow(2, (14 - log2(largestRow)).rounded(.down))) : 1
        // BLAS stays single-threaded: the dense products are split over our own workers, so no
        // OpenBLAS pool spins between them and the sparse products.
        return try Parallel.withBLASThreads(1) {
            // Sᵀ·(S·Z), the inner product's output rounded to half precision on the way in.
            let normal = { (z: Matrix<Float>) throws -> Matrix<Float> in
                guard configuration.halfPrecisionIterates else { return try st.multiply(s.multiply(z, threads: threads, simd: simd), threads: threads, simd: simd) }
                let y = try s.multiplyRoundingToHalf(z, threads: threads, simd: simd)
                if halfScale == 1 { return try st.multiplyRoundingToHalf(y, threads: threads, simd: simd) }
                return (1 / halfScale) * (try st.multiplyRoundingToHalf(halfScale * y, threads: threads, simd: simd))
            }
            let omega = gaussianSketch(rows: s.columns, columns: l, seed: configuration.seed, threads: threads)
            var z = try orthonormalize(omega, threads: threads).basis
            var alpha = 0.0
            for iteration in 0...configuration.powerIterations {
                var w = try normal(z)
                if alpha > 0 { w.subtract(Float(alpha), times: z) }
                let next = try orthonormalize(w, passes: iteration == configuration.powerIterations ? 2 : 1, threads: threads)
                z = next.basis
                if next.smallestSingularValue > alpha { alpha = (alpha + next.smallestSingularValue) / 2 }
            }
            // Rayleigh–Ritz: the SVD of Y = S·Z (M × l) from YᵀY in Double.
            let y = try s.multiply(z, threads: threads, simd: simd)
            let (values, vectors) = try y.converted(to: Double.self).gram(threads: threads).symmetricEigen()   // ascending
            let largest = max(values.last ?? 0, 0)
            var sigma = [Float](repeating: 0, count: k)
            var rotate = Matrix<Float>(rows: l, columns: k), toU = Matrix<Float>(rows: l, columns: k)
            for j in 0..<k {
                let value = values[l - 1 - j], singular = max(value, 0).squareRoot()
                sigma[j] = Float(singular)
                // A direction with σ ≈ 0 (rank below k) gets a zero column in U.
                let inverse = value > largest * 1e-12 ? 1 / singular : 0
                for i in 0..<l {
                    rotate[i, j] = Float(vectors[i, l - 1 - j])
                    toU[i, j] = Float(vectors[i, l - 1 - j] * inverse)
                }
            }
            let u = try y.matmul(toU, threads: threads), v = try z.matmul(rotate, threads: threads)
            return tall ? SingularValueDecomposition(u: u, singularValues: sigma, vt: v.transposed)
                        : SingularValueDecomposition(u: v, singularValues: sigma, vt: u.transposed)
        }
    }

    /// An orthonormal basis of the column space of W (N × l) from its Gram matrix in Double:
    /// ```
    /// WᵀW = V·Λ·Vᵀ (LAPACK syevd),   Q = W·V·Λ^(−1/2)
    /// ```
    /// The column space is W's whatever the rounding in V (any invertible l × l transform keeps
    /// it), so one pass suffices for a power iterate; a second (CholeskyQR2: Fukaya et al. 2014)
    /// makes the basis orthonormal to single precision. The Gram matrix in Double keeps W's
    /// weak directions even where κ(W)² passes single precision's range. Directions with
    /// eigenvalue below 10⁻²⁰ of the largest become zero columns. Also returns σ_min(W) = √λ_min
    /// (of the first pass).
    static func orthonormalize(_ w: Matrix<Float>, passes: Int = 1, threads: Int)
        throws -> (basis: Matrix<Float>, smallestSingularValue: Double) {
        let l = w.columns
        var q = w, smallest = 0.0
        for pass in 0..<passes {
            let (values, vectors) = try q.converted(to: Double.self).gram(threads: threads).symmetricEigen()
            if pass == 0 { smallest = max(values.first ?? 0, 0).squareRoot() }
            let largest = values.last ?? 0
            var transform = Matrix<Float>(rows: l, columns: l)
            for j in 0..<l where values[j] > largest * 1e-20 {
                let scale = 1 / values[j].squareRoot()
                for i in 0..<l { transform[i, j] = Float(vectors[i, j] * scale) }
            }
            q = try q.matmul(transform, threads: threads)
        }
        return (q, smallest)
    }

    /// A rows × columns matrix of standard normal entries, filled in chunks of 1,024 rows, each
    /// from its own stream of the seed (so any thread count gives the same matrix), both
    /// Box–Muller deviates of each pair used (a single stream was a serial bottleneck).
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
