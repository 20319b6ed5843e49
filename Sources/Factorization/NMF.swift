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
    /// HALS sweeps per half-iteration on the same X·Hᵀ and H·Hᵀ (Gillis & Glineur, "Accelerated
    /// multiplicative updates and hierarchical ALS algorithms for NMF", Neural Computation 2012):
    /// a sweep costs less than the sparse products, so a second one buys loss cheaply.
    /// Default 2 (50 iterations on 50k×10k×2M, k = 64: ‖X − WH‖ 1199.84 against 1200.06 with 1).
    public var innerSweeps: Int = 2
    public var solver: Solver = .hals
    public var initialization: Initialization = .nndsvda
    public var seed: UInt64 = 42
    public var threads: Int = Parallel.availableCores

    public init(rank: Int = 64, maxIterations: Int = 200, tolerance: Double = 1e-4, l1: Float = 0, l2: Float = 0,
                solver: Solver = .hals, initialization: Initialization = .nndsvda, seed: UInt64 = 42,
                threads: Int = Parallel.availableCores) {
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
        try requireNonNegative(x, "NMF")
        let xt = x.transposed()
        var (w, ht) = try initialize(x, configuration)
        let threads = configuration.threads
        let normX = x.squaredFrobeniusNorm
        var losses: [Double] = []
        try Parallel.withBLASThreads(1) {  // dense products split over our workers (no spinning pool)
            for iteration in stride(from: 1, through: configuration.maxIterations, by: 1) {
                // W given H: A = X·Hᵀ (m×k), B = H·Hᵀ (k×k).
                let a = try x.multiply(ht, threads: threads)
                let b = try ht.gram(threads: threads)
                try update(&w, a, b, configuration, sweeps: configuration.innerSweeps)
                // H given W: A' = Xᵀ·W (n×k), B' = WᵀW.
                let at = try xt.multiply(w, threads: threads)
                let bt = try w.gram(threads: threads)
                try update(&ht, at, bt, configuration, sweeps: configuration.innerSweeps)
                let loss = frobeniusLoss(normX: normX, ht: ht, xtw: at, wtw: bt, hht: try ht.gram(threads: threads))
                losses.append(loss)
                progress?(iteration, loss)
                if configuration.tolerance > 0, losses.count >= 2 {
                    let previous = losses[losses.count - 2]
                    if (previous - loss) / max(previous, .leastNormalMagnitude) < configuration.tolerance { break }
                }
            }
        }
        return NMFModel(w: w, h: ht.transposed, lossHistory: losses)
    }

    /// √(‖X‖² − 2⟨Hᵀ, XᵀW⟩ + ⟨WᵀW, HHᵀ⟩), clamped at 0 against rounding.
    static func frobeniusLoss(normX: Double, ht: Matrix<Float>, xtw: Matrix<Float>, wtw: Matrix<Float>, hht: Matrix<Float>) -> Double {
        var cross = 0.0, gram = 0.0
        for (a, b) in zip(ht.elements, xtw.elements) { cross += Double(a) * Double(b) }
        for (a, b) in zip(wtw.elements, hht.elements) { gram += Double(a) * Double(b) }
        return max(0, normX - 2 * cross + gram).squareRoot()
    }

    /// Updates the rows of `f` (the side being solved, rows × k) given A (rows × k, the data
    /// term) and B (k × k, the other side's Gram matrix).
    /// `sweeps` passes on the same A and B; HALS runs them a block of rows at a time (rows are
    /// independent given B).
    static func update(_ f: inout Matrix<Float>, _ a: Matrix<Float>, _ b: Matrix<Float>, _ configuration: NMFConfiguration,
                       sweeps: Int = 1) throws {
        let k = f.columns, count = f.rows
        let l1 = configuration.l1, l2 = configuration.l2
        switch configuration.solver {
        case .hals:
            a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
            f.withUnsafeMutableBufferPointer { fp in
                let shared = UncheckedSendable((ap.baseAddress!, bp.baseAddress!, fp.baseAddress!))
                Parallel.forEachBlock(count: count, threads: configuration.threads, minimumBlock: halsBlockRows) { range in
                    let (data, gram, rows) = shared.value
                    let scratch = HALSScratch(k: k)
                    defer { scratch.deallocate() }
                    var start = range.lowerBound
                    while start < range.upperBound {
                        let m = min(halsBlockRows, range.upperBound - start)
                        halsBlock(m, rows + start * k, data + start * k, gram, k, l1, l2, sweeps: sweeps, scratch)
                        start += m
                    }
                }
            }}}
        case .multiplicative:
            for _ in 0..<max(1, sweeps) {
                let fb = try f.matmul(b, threads: configuration.threads)
                a.withUnsafeBufferPointer { ap in
                fb.withUnsafeBufferPointer { vp in
                f.withUnsafeMutableBufferPointer { fp in
                    let shared = UncheckedSendable((ap.baseAddress!, fp.baseAddress!, vp.baseAddress!))
                    Parallel.forEachBlock(count: count, threads: configuration.threads, minimumBlock: 256) { range in
                        let (data, rows, products) = shared.value
                        for i in range { multiplicativeRow(rows + i * k, products + i * k, data + i * k, k, l1, l2) }
                    }
                }}}
            }
        }
    }

    /// Rows per HALS block: the block's F and residual (2 × 256 × k floats, 128 KiB at k = 64)
    /// stay in cache through its sweeps.
    static let halsBlockRows = 256

    /// The leading dimension of the transposed block buffers: padded past 256 floats, so the
    /// columns written by a transpose do not all fall into the same cache sets.
    static let halsStride = halsBlockRows + 16

    /// Columns per group in a HALS sweep: an update inside a group reaches the group's later
    /// residual columns at once (vector operations); every other residual column gets the
    /// group's changes together, in GEMM. 8 beat 4, 12, 16 and 32 (50 iterations at k = 64:
    /// 2.9–3.0 s against 3.0–3.4 s for 16).
    static let halsGroup = 8

    /// `sweeps` HALS sweeps over a block of `m` rows of F, column by column:
    /// ```
    /// fᵢⱼ ← max(0, (aᵢⱼ − Σ_{l≠j} fᵢₗ bₗⱼ − l1) / (bⱼⱼ + l2)) = max(0, (rᵢⱼ + fᵢⱼ bⱼⱼ − l1) / (bⱼⱼ + l2)),
    /// ```
    /// j = 1…k in order, with R = A − F·B the residual of the current F (one GEMM per block). A
    /// change δ to column j must reach every later column of R before that column is updated,
    /// R[:, l] −= δ bⱼₗ. Inside a group of columns that happens at once; after the group, its
    /// changes Δ reach the rest of R in GEMM: R[:, l] −= Δ·B[group, l] for the later columns
    /// and, when another sweep follows (which needs all of R current), for the earlier ones and
    /// the group's own. The same sweep as coordinate descent row by row, with most of the
    /// arithmetic in GEMM. The block is handled transposed, so that columns are contiguous.
    static func halsBlock(_ m: Int, _ f: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                          _ k: Int, _ l1: Float, _ l2: Float, sweeps: Int, _ scratch: HALSScratch) {
        let ft = scratch.ft, rt = scratch.rt, delta = scratch.delta, ld = halsStride
        UnsafeKernels.transpose(f, stride: k, rows: m, columns: k, into: ft, stride: ld)
        UnsafeKernels.transpose(a, stride: k, rows: m, columns: k, into: rt, stride: ld)
        // Rᵀ = Aᵀ − B·Fᵀ (B is symmetric).
        UnsafeKernels.gemm(transposeA: false, transposeB: false, m: k, n: m, k: k, alpha: -1, a: b, lda: k,
                           b: ft, ldb: ld, beta: 1, c: rt, ldc: ld)
        let sweeps = max(1, sweeps)
        for sweep in 0..<sweeps {
            let keepCurrent = sweep + 1 < sweeps
            var start = 0
            while start < k {
                let end = min(k, start + halsGroup), g = end - start
                for j in start..<end {
                    let bjj = b[j * k + j], denominator = bjj + l2
                    let dj = delta + (j - start) * ld
                    if denominator <= 0 { dj.update(repeating: 0, count: m); continue }
                    halsColumn(m, ft + j * ld, rt + j * ld, dj, bjj: bjj, l1: l1, scale: 1 / denominator)
                    for l in (j + 1)..<end { UnsafeKernels.axpy(-b[j * k + l], dj, rt + l * ld, m) }
                }
                // Rᵀ[l] −= Σ_{j in group} bₗⱼ Δᵀ[j] for the later columns l (B's rows end..<k,
                // the group's columns).
                if end < k {
                    UnsafeKernels.gemm(transposeA: false, transposeB: false, m: k - end, n: m, k: g, alpha: -1,
                                       a: b + end * k + start, lda: k, b: delta, ldb: ld, beta: 1, c: rt + end * ld, ldc: ld)
                }
                if keepCurrent {
                    if start > 0 {
                        UnsafeKernels.gemm(transposeA: false, transposeB: false, m: start, n: m, k: g, alpha: -1,
                                           a: b + start, lda: k, b: delta, ldb: ld, beta: 1, c: rt, ldc: ld)
                    }
                    // The group's own columns: each still lacks its own change and those of the
                    // group's later columns (the upper triangle of B[group, group]).
                    let upper = scratch.upper
                    for l in 0..<g { for j in 0..<g { upper[l * g + j] = j >= l ? b[(start + l) * k + start + j] : 0 } }
                    UnsafeKernels.gemm(transposeA: false, transposeB: false, m: g, n: m, k: g, alpha: -1,
                                       a: upper, lda: g, b: delta, ldb: ld, beta: 1, c: rt + start * ld, ldc: ld)
                }
                start = end
            }
        }
        UnsafeKernels.transpose(ft, stride: ld, rows: k, columns: m, into: f, stride: k)
    }

    /// One column's HALS update over `m` rows: f ← max(0, (r + f·bⱼⱼ − l1)·scale), δ = new − old.
    @inline(__always)
    static func halsColumn(_ m: Int, _ f: UnsafeMutablePointer<Float>, _ r: UnsafePointer<Float>, _ delta: UnsafeMutablePointer<Float>,
                           bjj: Float, l1: Float, scale: Float) {
        typealias V = SIMD16<Float>
        let vb = V(repeating: bjj), vl1 = V(repeating: l1), vs = V(repeating: scale), zero = V()
        var i = 0
        while i + 16 <= m {
            let old = UnsafeRawPointer(f + i).loadUnaligned(as: V.self)
            let r = UnsafeRawPointer(r + i).loadUnaligned(as: V.self)
            let value = (r + old * vb - vl1) * vs
            // `replacing` lowers to a compare and a mask; `pointwiseMax` goes lane by lane.
            let new = value.replacing(with: zero, where: value .< zero)
            UnsafeMutableRawPointer(f + i).storeBytes(of: new, as: V.self)
            UnsafeMutableRawPointer(delta + i).storeBytes(of: new - old, as: V.self)
            i += 16
        }
        while i < m {
            let old = f[i], new = max(0, (r[i] + old * bjj - l1) * scale)
            f[i] = new; delta[i] = new - old
            i += 1
        }
    }

    /// fᵢⱼ ← fᵢⱼ · aᵢⱼ / ((f·B)ᵢⱼ + l1 + l2·fᵢⱼ + ε), with v = f·B.
    @inline(__always)
    static func multiplicativeRow(_ f: UnsafeMutablePointer<Float>, _ v: UnsafePointer<Float>, _ a: UnsafePointer<Float>,
                                  _ k: Int, _ l1: Float, _ l2: Float) {
        for j in 0..<k { f[j] *= max(0, a[j]) / (v[j] + l1 + l2 * f[j] + 1e-10) }
    }
}

/// One worker's buffers for ``NMF/halsBlock(_:_:_:_:_:_:_:sweeps:_:)``: a block's F and
/// residual transposed (k × 256 each, rows `NMF.halsStride` apart), a group's column changes,
/// and the upper triangle of B over a group.
struct HALSScratch {
    let ft: UnsafeMutablePointer<Float>
    let rt: UnsafeMutablePointer<Float>
    let delta: UnsafeMutablePointer<Float>
    let upper: UnsafeMutablePointer<Float>

    init(k: Int) {
        let ld = NMF.halsStride
        ft = .allocate(capacity: k * ld); rt = .allocate(capacity: k * ld)
        delta = .allocate(capacity: NMF.halsGroup * ld)
        upper = .allocate(capacity: NMF.halsGroup * NMF.halsGroup)
    }

    func deallocate() { ft.deallocate(); rt.deallocate(); delta.deallocate(); upper.deallocate() }
}
