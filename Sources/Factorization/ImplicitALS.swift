import DenseLinalg

/// Alternating least squares for implicit feedback (Hu, Koren & Volinsky, "Collaborative
/// Filtering for Implicit Feedback Datasets", ICDM 2008).
///
/// With preference pᵤᵢ = 1 where xᵤᵢ > 0 (else 0) and confidence cᵤᵢ = 1 + α·xᵤᵢ (or
/// 1 + α·log(1 + xᵤᵢ/ε)), it minimises
/// ```
/// Σᵤᵢ cᵤᵢ (pᵤᵢ − xᵤ·yᵢ)² + λ (Σᵤ ‖xᵤ‖² + Σᵢ ‖yᵢ‖²)
/// ```
/// by solving, in turn for every item and every user,
/// (YᵀY + λI + Yᵤᵀ(Cᵤ − I)Yᵤ) xᵤ = YᵤᵀCᵤpᵤ, where YᵀY is computed once per half-iteration
/// (BLAS syrk) and only the user's own items add to it.
///
/// The solve is exact (Cholesky) or a few steps of conjugate gradient warm-started from the
/// previous factors (Takács, Pilászy & Tikk, RecSys 2011), the fast default. Rows are solved in
/// parallel blocks; each block's products with YᵀY + λI are one GEMM.
public struct ImplicitALSConfiguration: Sendable, Equatable {
    /// How interaction strength becomes confidence.
    public enum Confidence: Sendable, Equatable {
        /// c = 1 + α·x.
        case linear
        /// c = 1 + α·log(1 + x/ε).
        case logarithmic(epsilon: Float)
    }

    /// How each least-squares system is solved.
    public enum Solver: Sendable, Equatable {
        /// Exact: Cholesky factorisation of each k×k system. The loss never increases.
        case cholesky
        /// Conjugate gradient, warm-started, this many steps per row and half-iteration.
        case conjugateGradient(steps: Int)
    }

    /// Latent dimension k. Default 64.
    public var factors: Int = 64
    /// λ, the L2 penalty on every factor row. Default 0.01.
    public var regularization: Float = 0.01
    /// α, the confidence slope. Default 1.
    public var alpha: Float = 1
    /// Confidence scaling. Default linear.
    public var confidence: Confidence = .linear
    /// ν, the exponent of frequency-scaled regularisation (Rendle et al., "Revisiting the
    /// Performance of iALS on Item Recommendation Benchmarks", RecSys 2022, §3.3): a row with n
    /// entries is regularised by λ·(1 + n/(α₀·N))^ν (``rowRegularization(entries:otherSide:)``),
    /// so users and items with more interactions get a larger penalty. 0 (the default) is plain
    /// λ on every row, bit for bit.
    public var regularizationExponent: Float = 0
    /// Full iterations (items then users). Default 15.
    public var iterations: Int = 15
    /// Default: conjugate gradient with 3 steps.
    public var solver: Solver = .conjugateGradient(steps: 3)
    /// Threads for our parallel loops and BLAS calls (the caller's ``ComputeSettings``). Default 1.
    public var threads: Int = 1
    /// Which vector kernels may run (the caller's ``ComputeSettings``). Default automatic.
    public var simd: SIMDPolicy = .automatic
    /// Seed of the initial factors.
    public var seed: UInt64 = 42
    /// Whether to compute the loss after every iteration (one extra pass over the nonzeros).
    public var trackLoss: Bool = false
    /// Conjugate gradient gathers the fixed side's factor rows in half precision (11
    /// significant bits) where the CPU converts in hardware (AVX2, F16C) and k is a multiple of
    /// 64: those gathers, most of the solver's time, move half the bytes. G = YᵀY, the
    /// iterates and every sum stay in single precision; the per-row systems change by the
    /// rounding of the gathered rows (~10⁻⁴ relative), below what 3 CG steps leave unsolved.
    /// Cholesky always reads single precision. Default true.
    public var halfPrecisionGathers: Bool = true
    /// Conjugate gradient solves rows in blocks of at most ``ImplicitALS/blockRows`` rows whose
    /// gathered factor rows (entries × k × 2 or 4 bytes) take at most this many bytes, at least
    /// one row a block: a block's steps after the first then read them from L2 instead of L3 or
    /// memory. At Netflix-Prize shape an item's ~5,700 user rows are 0.7 MiB in half precision,
    /// so the item half solves one item at a time and every user row it gathers is reused four
    /// times from cache. Size it to about a quarter of a core's L2 cache; 0 lifts the limit
    /// (blocks of ``ImplicitALS/blockRows`` rows). It changes the grouping of rows only: each
    /// row's iterates are the same up to the GEMM's rounding. Default 512 KiB (measurements:
    /// docs/benchmarks.md, "Netflix-Prize scale").
    public var blockGatherBytes: Int = 512 << 10

    public init(factors: Int = 64, regularization: Float = 0.01, alpha: Float = 1, confidence: Confidence = .linear,
                iterations: Int = 15, solver: Solver = .conjugateGradient(steps: 3),
                threads: Int = 1, seed: UInt64 = 42, trackLoss: Bool = false) {
        self.factors = factors; self.regularization = regularization; self.alpha = alpha
        self.confidence = confidence; self.iterations = iterations; self.solver = solver
        self.threads = threads; self.seed = seed; self.trackLoss = trackLoss
    }

    package func validate() throws {
        try require(factors > 0, "factors", factors, "a positive integer")
        try require(regularization >= 0 && regularization.isFinite, "regularization", regularization, "a finite value ≥ 0")
        try require(alpha >= 0 && alpha.isFinite, "alpha", alpha, "a finite value ≥ 0")
        try require(regularizationExponent >= 0 && regularizationExponent <= 4, "regularization exponent", regularizationExponent, "a value in [0, 4]")
        try require(iterations >= 0, "iterations", iterations, "an integer ≥ 0")
        try require(threads > 0, "threads", threads, "a positive integer")
        try require(blockGatherBytes >= 0, "block gather bytes", blockGatherBytes, "an integer ≥ 0")
        if case let .conjugateGradient(steps) = solver { try require(steps > 0, "cg steps", steps, "a positive integer") }
        if case let .logarithmic(epsilon) = confidence { try require(epsilon > 0, "epsilon", epsilon, "a value > 0") }
    }

    /// λᵤ, the regularisation of a row with `entries` interactions whose other side has
    /// `otherSide` rows (N: items for a user, users for an item): Rendle et al.'s λ·(n + α₀N)^ν
    /// divided by (α₀N)^ν, so that λ keeps its meaning at every ν:
    /// λ·(1 + n/(α₀·N))^ν, with α₀ = 1/(1 + α) the weight of an unobserved pair relative to an
    /// observed one (Hu et al. weigh them 1 and 1 + α). λ when ν = 0.
    public func rowRegularization(entries: Int, otherSide: Int) -> Float {
        guard regularizationExponent != 0, otherSide > 0 else { return regularization }
        let relative = Double(entries) * Double(1 + alpha) / Double(otherSide)
        return Float(Double(regularization) * pow(1 + relative, Double(regularizationExponent)))
    }

    /// Confidence of an interaction of strength `x`.
    @inlinable
    public func confidence(of x: Float) -> Float {
        switch confidence {
        case .linear: return 1 + alpha * x
        case let .logarithmic(epsilon): return 1 + alpha * Float.log1pApprox(x / epsilon)
        }
    }
}

extension Float {
    @usableFromInline static func log1pApprox(_ x: Float) -> Float { Float(_log1p(Double(x))) }
}

/// A trained implicit ALS model: user and item factors.
public struct ImplicitALSModel: Sendable {
    /// users × k.
    public var userFactors: Matrix<Float>
    /// items × k.
    public var itemFactors: Matrix<Float>
    /// The configuration it was trained with.
    public var configuration: ImplicitALSConfiguration
    /// The loss after each iteration, when tracked.
    public var lossHistory: [Double]

    /// A model from its parts (a saved model read back, for instance).
    public init(userFactors: Matrix<Float>, itemFactors: Matrix<Float>, configuration: ImplicitALSConfiguration, lossHistory: [Double] = []) {
        self.userFactors = userFactors; self.itemFactors = itemFactors
        self.configuration = configuration; self.lossHistory = lossHistory
    }

    /// Scores xᵤ·yᵢ for every item.
    public func scores(user: Int) throws -> [Float] {
        try itemFactors.multiply(userFactors.row(user))
    }
}

public enum ImplicitALS {
    /// Trains on a users × items matrix of interaction strengths (zero = no interaction).
    ///
    /// - Parameters:
    ///   - interactions: users × items; the stored values are the strengths xᵤᵢ (≥ 0).
    ///   - configuration: hyperparameters.
    ///   - progress: called after each iteration with its number (from 1) and the loss if tracked.
    /// - Throws: ``FactorizationError`` for empty or non-finite input, a negative strength, or
    ///   invalid hyperparameters.
    /// - Complexity: per iteration O(nnz·k·s + (m + n)·k²) with s CG steps, or
    ///   O(nnz·k² + (m + n)·k³) with Cholesky.
    public static func fit(_ interactions: SparseMatrix, configuration: ImplicitALSConfiguration = .init(),
                           progress: ((Int, Double?) -> Void)? = nil) throws -> ImplicitALSModel {
        try configuration.validate()
        try validate(interactions, "implicit ALS")
        try requireNonNegative(interactions, "implicit ALS")
        let k = configuration.factors
        // Two factor matrices and the per-worker k × k scratch, before any is allocated.
        try requireMemory(for: [interactions.rows + interactions.columns, k], "implicit ALS with \(k) factors")
        try requireMemory(for: [4, configuration.threads, k, k], "implicit ALS with \(k) factors")
        // Confidences 1 + α·r (or the log form) must stay finite in single precision, and so must
        // the regularised Gram matrix's diagonal.
        let largest = interactions.values.max() ?? 0
        guard configuration.confidence(of: largest).isFinite else {
            throw FactorizationError.invalidParameter(name: "alpha", value: "\(configuration.alpha)",
                                                      expected: "a value whose confidence 1 + alpha·\(largest) stays below 3.4·10³⁸ (single precision)")
        }
        var generator = SeededGenerator(seed: configuration.seed)
        // Small positive initial factors, as implicit does, scaled so initial scores are O(0.01).
        var users = Matrix<Float>.random(rows: interactions.rows, columns: k,
                                         distribution: .uniform(lower: 0, upper: 0.01), using: &generator)
        var items = Matrix<Float>.random(rows: interactions.columns, columns: k,
                                         distribution: .uniform(lower: 0, upper: 0.01), using: &generator)
        let (cui, ciu) = ConfidenceRows.halves(interactions, configuration)
        // The loss reads confidences as a matrix; built only when it is tracked.
        let lossConfidence = configuration.trackLoss ? interactions.mapValues { configuration.confidence(of: $0) } : nil
        var losses: [Double] = []
        // BLAS single-threaded: its products are split over our workers, so no OpenBLAS pool
        // spins while the sparse passes run.
        try Parallel.withBLASThreads(1) {
            for iteration in stride(from: 1, through: configuration.iterations, by: 1) {
                try solveHalf(&items, fixed: users, confidence: ciu, configuration)
                try solveHalf(&users, fixed: items, confidence: cui, configuration)
                var loss: Double?
                if configuration.trackLoss {
                    loss = try ImplicitALS.loss(users: users, items: items, confidence: lossConfidence!, regularization: configuration.regularization,
                                                extraDiagonal: (cui.extraDiagonal, ciu.extraDiagonal), threads: configuration.threads)
                    losses.append(loss!)
                }
                progress?(iteration, loss)
            }
        }
        let advice = "lower alpha (confidence slope) or regularization"
        try requireFiniteResult(users.elements, "implicit ALS", "user factors", advice: advice)
        try requireFiniteResult(items.elements, "implicit ALS", "item factors", advice: advice)
        return ImplicitALSModel(userFactors: users, itemFactors: items, configuration: configuration, lossHistory: losses)
    }

    /// Σᵤᵢ cᵤᵢ (pᵤᵢ − xᵤ·yᵢ)² + λ(‖X‖² + ‖Y‖²), computed as
    /// tr(XᵀX·YᵀY) + Σ_nz [c(1 − s)² − s²] + λ(‖X‖² + ‖Y‖²) with s = xᵤ·yᵢ, in O(nnz·k + (m + n)k²).
    /// `extraDiagonal`: each user's and item's λᵤ − λ under frequency-scaled regularisation
    /// (empty arrays: none), whose Σ (λᵤ − λ)‖xᵤ‖² terms are added.
    public static func loss(users: Matrix<Float>, items: Matrix<Float>, confidence: SparseMatrix,
                            regularization: Float, extraDiagonal: (users: [Float], items: [Float]) = ([], []),
                            threads: Int = 1) throws -> Double {
        let xtx = try users.gram(), yty = try items.gram()
        var total = 0.0
        for (a, b) in zip(xtx.elements, yty.elements) { total += Double(a) * Double(b) }
        let k = users.columns
        let parts = confidence.withUnsafeCSR { csr in
            users.withUnsafeBufferPointer { xp in
                items.withUnsafeBufferPointer { yp in
                    let shared = UncheckedSendable((csr, xp.baseAddress!, yp.baseAddress!))
                    return Parallel.mapBlocks(count: confidence.rows, threads: threads) { range -> Double in
                        let (csr, x, y) = shared.value
                        var sum = 0.0
                        for u in range {
                            for p in csr.range(of: u) {
                                let s = Double(UnsafeKernels.dot(x + u * k, y + Int(csr.columnIndices[p]) * k, k))
                                sum += Double(csr.values[p]) * (1 - s) * (1 - s) - s * s
                            }
                        }
                        return sum
                    }
                }
            }
        }
        total += parts.reduce(0, +)
        let norms = Double(users.frobeniusNorm * users.frobeniusNorm + items.frobeniusNorm * items.frobeniusNorm)
        var extra = 0.0
        for (factors, weights) in [(users, extraDiagonal.users), (items, extraDiagonal.items)] where !weights.isEmpty {
            for r in 0..<factors.rows {
                let row = factors.row(r)
                extra += Double(weights[r]) * row.reduce(0.0) { $0 + Double($1) * Double($1) }
            }
        }
        return total + Double(regularization) * norms + extra
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@usableFromInline func _log1p(_ x: Double) -> Double { log1p(x) }
