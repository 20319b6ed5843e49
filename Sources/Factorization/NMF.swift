import DenseLinalg

/// Hyperparameters of non-negative matrix factorization.
public struct NMFConfiguration: Sendable, Equatable {
    /// The update rule.
    public enum Solver: Sendable, Equatable {
        /// Fast hierarchical alternating least squares (Cichocki & Phan 2009): exact
        /// coordinate-block updates, monotone in the loss.
        case hals
        /// Multiplicative updates (Lee & Seung 2001).
        case multiplicative
    }

    /// How W and H start.
    public enum Initialization: Sendable, Equatable {
        /// NNDSVD with zeros filled by the mean of X (Boutsidis & Gallopoulos 2008).
        case nndsvda
        /// NNDSVD, zeros kept.
        case nndsvd
        /// Uniform on [0, √(mean(X)/k)), seeded.
        case random
    }

    /// Rank k. Default 64.
    public var rank: Int = 64
    /// Maximum iterations. Default 200.
    public var maxIterations: Int = 200
    /// Stop when the relative decrease of ‖X − WH‖_F in one iteration falls below this. Default 1e-4;
    /// 0 runs every iteration.
    public var tolerance: Double = 1e-4
    /// L1 penalty on W and H. Default 0.
    public var l1: Float = 0
    /// L2 penalty on W and H. Default 0.
    public var l2: Float = 0
    /// HALS sweeps per half-iteration on the same data term and Gram matrix; nil (the default)
    /// picks them per side by Gillis & Glineur's rule ("Accelerated multiplicative updates and
    /// hierarchical ALS algorithms for NMF", Neural Computation 2012): a sweep over F costs
    /// about rows·k² multiply-adds against nnz·k + other·k² for the products it reuses, so
    /// ⌊1 + ½ρ⌋ sweeps with ρ = 1 + ⌊(nnz + other·k) / (rows·(k + 1))⌋ cost at most half
    /// again what forming the products does (capped at 10). A number here sets both sides
    /// (measurements: docs/benchmarks.md, "Design measurements").
    public var innerSweeps: Int? = nil
    /// HALS reads the other factor in half precision (11 significant bits) in the sparse
    /// products X·Hᵀ and Xᵀ·W, where the CPU converts in hardware and k is 64 or 80: the
    /// gathered rows are half the bytes, which is what those products wait on when the other
    /// factor does not fit the cache. Sums, factors and updates stay in single precision; the
    /// rounding (relative error ≤ 2⁻¹¹ per entry) is unbiased and averages over each row's
    /// nonzeros, so the data term moves by ~10⁻⁵ relative and the final loss by less than 10⁻⁶
    /// relative. The last reported loss is recomputed from single-precision products. Default
    /// true; false gives the single-precision products throughout (measurements:
    /// docs/benchmarks.md, "Design measurements").
    public var halfPrecisionProducts: Bool = true
    public var solver: Solver = .hals
    public var initialization: Initialization = .nndsvda
    public var seed: UInt64 = 42
    /// Threads for our parallel loops and BLAS calls (the caller's ``ComputeSettings``). Default 1.
    public var threads: Int = 1
    /// Which vector kernels may run (the caller's ``ComputeSettings``). Default automatic.
    public var simd: SIMDPolicy = .automatic

    public init(rank: Int = 64, maxIterations: Int = 200, tolerance: Double = 1e-4, l1: Float = 0, l2: Float = 0,
                solver: Solver = .hals, initialization: Initialization = .nndsvda, seed: UInt64 = 42,
                threads: Int = 1) {
        self.rank = rank; self.maxIterations = maxIterations; self.tolerance = tolerance; self.l1 = l1; self.l2 = l2
        self.solver = solver; self.initialization = initialization; self.seed = seed; self.threads = threads
    }
}

/// A non-negative factorization X ≈ W·H.
public struct NMFModel: Sendable {
    /// m × k, non-negative.
    public var w: Matrix<Float>
    /// k × n, non-negative.
    public var h: Matrix<Float>
    /// ‖X − WH‖_F after each iteration.
    public var lossHistory: [Double]
    /// Iterations run.
    public var iterations: Int { lossHistory.count }
}

/// Non-negative matrix factorization with Frobenius loss:
/// ```
/// min ½‖X − WH‖²_F + l1 (Σ W + Σ H) + ½ l2 (‖W‖² + ‖H‖²)   subject to W, H ≥ 0
/// ```
/// Every update is expressed through the products X·Hᵀ and Xᵀ·W (sparse × dense) and the
/// k × k Gram matrices HHᵀ and WᵀW (BLAS syrk); the loss comes from the same products,
/// ‖X − WH‖² = ‖X‖² − 2⟨W, XHᵀ⟩ + ⟨WᵀW, HHᵀ⟩, so it costs almost nothing per iteration.
public enum NMF {
    /// Factorizes a non-negative sparse matrix.
    /// - Throws: ``FactorizationError`` for a negative entry, empty or non-finite input, a rank
    ///   above min(m, n), or invalid hyperparameters.
    /// - Complexity: per iteration O(nnz·k + (m + n)·k²).
    public static func fit(_ x: SparseMatrix, configuration: NMFConfiguration = .init(),
                           progress: ((Int, Double) -> Void)? = nil) throws -> NMFModel {
        try validate(x, "NMF")
        let k = configuration.rank
        try require(k > 0, "rank", k, "a positive integer")
        guard k <= min(x.rows, x.columns) else {
            throw FactorizationError.rankTooLarge(operation: "NMF", rank: k, rows: x.rows, columns: x.columns)
        }
        try require(configuration.maxIterations >= 0, "iterations", configuration.maxIterations, "an integer ≥ 0")
        try require(configuration.tolerance >= 0, "tolerance", configuration.tolerance, "a value ≥ 0")
        try require(configuration.l1 >= 0 && configuration.l2 >= 0, "regularization", "\(configuration.l1), \(configuration.l2)", "values ≥ 0")
        try require(configuration.threads > 0, "threads", configuration.threads, "a positive integer")
        if let sweeps = configuration.innerSweeps { try require(sweeps > 0, "inner sweeps", sweeps, "a positive integer") }
        try requireNonNegative(x, "NMF")
        try requireMemory(for: [x.rows + x.columns, k], copies: 4, "NMF with rank \(k)")
        let xt = x.transposed()
        var (w, ht) = try initialize(x, transposed: xt, configuration)
        let threads = configuration.threads
        let normX = x.squaredFrobeniusNorm
        let sweeps = configuration.innerSweeps.map { (w: $0, h: $0) }
            ?? (w: automaticSweeps(rows: x.rows, other: x.columns, nnz: x.nnz, k: k),
                h: automaticSweeps(rows: x.columns, other: x.rows, nnz: x.nnz, k: k))
        var losses: [Double] = []
        let half = configuration.solver == .hals && configuration.halfPrecisionProducts
        try Parallel.withBLASThreads(1) {  // dense products split over our workers (no spinning pool)
            // Each update leaves its factor's Gram matrix and half-precision copy, formed block
            // by block while the new rows are in cache: the other side's update needs both.
            var hht = try ht.gram(threads: threads)
            var hBits = half ? ht.halfPrecisionBits(threads: threads, simd: configuration.simd) : nil
            for iteration in stride(from: 1, through: configuration.maxIterations, by: 1) {
                // W given H: A = X·Hᵀ (m×k), B = H·Hᵀ (k×k).
                let wSide = try update(&w, .product(x, ht, halfBits: hBits), hht, configuration, sweeps: sweeps.w,
                                       cross: false, gram: true, half: half)
                // H given W: A' = Xᵀ·W (n×k), B' = WᵀW.
                let wtw = try wSide.gram ?? w.gram(threads: threads)
                let hSide = try update(&ht, .product(xt, w, halfBits: wSide.halfBits), wtw, configuration, sweeps: sweeps.h,
                                       gram: true, half: half)
                hht = try hSide.gram ?? ht.gram(threads: threads)  // the loss's, and the next W update's
                hBits = hSide.halfBits
                let loss = frobeniusLoss(normX: normX, cross: hSide.cross, wtw: wtw, hht: hht)
                losses.append(loss)
                progress?(iteration, loss)
                if configuration.tolerance > 0, losses.count >= 2 {
                    let previous = losses[losses.count - 2]
                    if (previous - loss) / max(previous, .leastNormalMagnitude) < configuration.tolerance { break }
                }
            }
            if half, !losses.isEmpty {
                // The last reported loss comes from single-precision products.
                let xtw = try xt.multiply(w, threads: threads, simd: configuration.simd)
                let cross = ht.withUnsafeBufferPointer { hp in xtw.withUnsafeBufferPointer { ap in dot(hp.baseAddress!, ap.baseAddress!, hp.count) } }
                losses[losses.count - 1] = frobeniusLoss(normX: normX, cross: cross, wtw: try w.gram(threads: threads), hht: hht)
            }
        }
        try requireFiniteResult(w.elements, "NMF", "user factors (W)", advice: "check the data's scale")
        try requireFiniteResult(ht.elements, "NMF", "item factors (H)", advice: "check the data's scale")
        return NMFModel(w: w, h: ht.transposed, lossHistory: losses)
    }

    /// Sweeps per update of a factor with `rows` rows, the other factor having `other`
    /// (``NMFConfiguration/innerSweeps``).
    static func automaticSweeps(rows: Int, other: Int, nnz: Int, k: Int) -> Int {
        let rho = 1 + (Double(nnz) + Double(other) * Double(k)) / (Double(rows) * Double(k + 1))
        return min(10, Int(1 + 0.5 * rho.rounded(.down)))
    }

    /// √(‖X‖² − 2⟨Hᵀ, XᵀW⟩ + ⟨WᵀW, HHᵀ⟩), clamped at 0 against rounding; `cross` = ⟨Hᵀ, XᵀW⟩.
    static func frobeniusLoss(normX: Double, cross: Double, wtw: Matrix<Float>, hht: Matrix<Float>) -> Double {
        var gram = 0.0
        for (a, b) in zip(wtw.elements, hht.elements) { gram += Double(a) * Double(b) }
        return max(0, normX - 2 * cross + gram).squareRoot()
    }
}
