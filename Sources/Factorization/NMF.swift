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
    /// again what forming the products does (capped at 10). For 50k × 10k × 2M at k = 64 that is
    /// 1 sweep for W and 5 for H: at 50 iterations ‖X − WH‖ ends at 1199.830 against 1199.839 with 2
    /// and 2, in less time (and lower on two other matrices of that size). A number here sets
    /// both sides.
    public var innerSweeps: Int? = nil
    /// HALS reads the other factor in half precision (11 significant bits) in the sparse
    /// products X·Hᵀ and Xᵀ·W, where the CPU converts in hardware and k is 64 or 80: the
    /// gathered rows are half the bytes, which is what those products wait on (at 50k × 10k ×
    /// 2M the H update, whose product gathers the 12.8 MB W, ran ~17% faster in the same
    /// process; the W update, whose H fits the cache, no faster). Sums, factors and updates stay in single precision; the
    /// rounding is unbiased and averages over each row's nonzeros, so the data term moves by
    /// ~10⁻⁵ relative and the loss after 50 iterations by less than 10⁻⁶ relative (1199.8302 →
    /// 1199.8303 on that matrix). The last reported loss is recomputed from single-precision
    /// products. Default true; false gives the single-precision products throughout.
    public var halfPrecisionProducts: Bool = true
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
            var hBits = half ? ht.halfPrecisionBits(threads: threads) : nil
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
                let xtw = try xt.multiply(w, threads: threads)
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

    /// The data term A of an update: given, or the product of a sparse matrix and the other
    /// factor (X·Hᵀ or Xᵀ·W), which HALS forms a block of rows at a time, in cache, right
    /// before it sweeps them (no m × k product written out and read back).
    /// `halfBits`: the other factor in half precision, read instead of it
    /// (``NMFConfiguration/halfPrecisionProducts``).
    enum DataTerm {
        case dense(Matrix<Float>)
        case product(SparseMatrix, Matrix<Float>, halfBits: [UInt16]?)
    }

    /// What an update leaves besides the new F.
    struct UpdateResult {
        /// ⟨F, A⟩ for the new F, when asked (else 0).
        var cross = 0.0
        /// FᵀF for the new F, when asked.
        var gram: Matrix<Float>?
        /// The new F in half precision, when asked and the half-precision products run here.
        var halfBits: [UInt16]?
    }

    /// Updates the rows of `f` (the side being solved, rows × k) given A (rows × k, the data
    /// term) and B (k × k, the other side's Gram matrix). With `cross`, also ⟨F, A⟩ for the new
    /// F (the loss needs it on one side only); with `gram`, FᵀF; with `half`, F in half
    /// precision where the half-precision products run (see ``UpdateResult``).
    /// `sweeps` passes on the same A and B; HALS runs them a block of rows at a time (rows are
    /// independent given B), and forms the extras from each block while it is in cache.
    /// `portable` runs HALS's Swift lanes even where the AVX2 kernel would (for tests).
    @discardableResult
    static func update(_ f: inout Matrix<Float>, _ data: DataTerm, _ b: Matrix<Float>, _ configuration: NMFConfiguration,
                       sweeps: Int = 1, cross needsCross: Bool = true, gram needsGram: Bool = false, half needsHalf: Bool = false,
                       portable: Bool = false) throws -> UpdateResult {
        let k = f.columns, count = f.rows
        let l1 = configuration.l1, l2 = configuration.l2
        switch configuration.solver {
        case .hals:
            let gram = HALSGram(b, l2: l2)
            let workers = Parallel.workers(count: count, threads: configuration.threads, minimumBlock: halsBlockRows)
            // Each range's ⟨F, A⟩ and FᵀF apart, summed in range order after: the same sums
            // whichever worker ran which range.
            let ranges = UnsafeMutablePointer<[(start: Int, cross: Double, gram: [Float])]>.allocate(capacity: workers)
            ranges.initialize(repeating: [], count: workers)
            defer { ranges.deinitialize(count: workers); ranges.deallocate() }
            var bits = [UInt16](repeating: 0, count: needsHalf && UnsafeKernels.hasHalfProducts(k: k) ? count * k : 0)
            let halfOut = !bits.isEmpty
            withBlockSource(data, k: k) { source in
            f.withUnsafeMutableBufferPointer { fp in
            bits.withUnsafeMutableBufferPointer { hp in
                let shared = UncheckedSendable((fp.baseAddress!, ranges, hp.baseAddress, source))
                Parallel.forEachBlock(count: count, threads: configuration.threads, minimumBlock: halsBlockRows) { worker, range in
                    let (rows, ranges, bits, source) = shared.value
                    let scratch = HALSScratch(k: gram.k)
                    defer { scratch.deallocate() }
                    var partial = [Float](repeating: 0, count: needsGram ? k * k : 0)
                    var start = range.lowerBound, sum = 0.0
                    while start < range.upperBound {
                        let m = min(halsBlockRows, range.upperBound - start), block = rows + start * k
                        let a = source(start..<(start + m), scratch.block)
                        halsBlock(m, block, a, k, gram, l1, sweeps: sweeps, scratch, portable: portable)
                        if needsCross { sum += dot(block, a, m * k) }
                        if needsGram {
                            partial.withUnsafeMutableBufferPointer { UnsafeKernels.gramUpper(block, rows: m, columns: k, into: $0.baseAddress!, accumulate: true) }
                        }
                        // (An empty array's buffer may still have a base address: test the flag.)
                        if halfOut, let bits { UnsafeKernels.toHalf(block, into: bits + start * k, count: m * k) }
                        start += m
                    }
                    ranges[worker].append((range.lowerBound, sum, partial))
                }
            }}}
            let parts = (0..<workers).flatMap { ranges[$0] }.sorted { $0.start < $1.start }
            var result = UpdateResult(cross: parts.reduce(0.0) { $0 + $1.cross })
            if needsGram {
                var total = Matrix<Float>(rows: k, columns: k)
                for part in parts {
                    for i in 0..<k { for j in i..<k { total[i, j] += part.gram[i * k + j] } }
                }
                for i in 0..<k { for j in 0..<i { total[i, j] = total[j, i] } }
                result.gram = total
            }
            if halfOut { result.halfBits = bits }
            return result
        case .multiplicative:
            let a: Matrix<Float>
            switch data {
            case .dense(let given): a = given
            case .product(let x, let other, _): a = try x.multiply(other, threads: configuration.threads)
            }
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
            var result = UpdateResult()
            if needsCross { result.cross = zip(f.elements, a.elements).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } }
            if needsGram { result.gram = try f.gram(threads: configuration.threads) }
            if needsHalf { result.halfBits = f.halfPrecisionBits(threads: configuration.threads) }
            return result
        }
    }

    /// Calls `body` with a function that gives the data term's rows `range` (row-major, k
    /// columns): pointers into a dense A, or the block of the sparse product computed into
    /// `scratch` (range.count × k floats).
    static func withBlockSource(_ data: DataTerm, k: Int,
                                _ body: (@escaping (Range<Int>, UnsafeMutablePointer<Float>) -> UnsafePointer<Float>) -> Void) {
        switch data {
        case .dense(let a):
            a.withUnsafeBufferPointer { ap in
                let base = ap.baseAddress!
                body { range, _ in base + range.lowerBound * k }
            }
        case .product(let x, let other, let halfBits):
            x.withUnsafeCSR { csr in
            other.withUnsafeBufferPointer { op in
            (halfBits ?? []).withUnsafeBufferPointer { hp in
                // (An empty array's buffer may still have a base address: test halfBits.)
                let factor = op.baseAddress!, half = halfBits == nil ? nil : hp.baseAddress
                body { range, scratch in
                    if let half { csr.writeRows(range, byHalf: half, k: k, into: scratch) }
                    else { csr.writeRows(range, by: factor, k: k, into: scratch) }
                    return UnsafePointer(scratch)
                }
            }}}
        }
    }

    /// Σ a[i]·b[i] over `count` floats, accumulated in Double.
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Double {
        var sum = 0.0
        for i in 0..<count { sum += Double(a[i]) * Double(b[i]) }
        return sum
    }

    /// Rows per HALS block: the block's F and A, transposed (2 × 256 × k floats, 128 KiB at
    /// k = 64), stay in cache through its sweeps.
    static let halsBlockRows = 256

    /// The leading dimension of the transposed block buffers: padded past 256 floats, so the
    /// columns written by a transpose do not all fall into the same cache sets.
    static let halsStride = halsBlockRows + 16

    /// `sweeps` HALS sweeps over a block of `m` rows of F (m × k, row-major), column by column:
    /// ```
    /// fᵢⱼ ← max(0, (aᵢⱼ − Σ_{l≠j} fᵢₗ bₗⱼ − l1) / (bⱼⱼ + l2)),
    /// ```
    /// j = 1…k in order, every row independent of the others. The block is handled transposed,
    /// rows in vector lanes; each group of four columns forms its residual A − F·B from the
    /// current F (2k multiply-adds per entry), then updates its columns in order, passing each
    /// change to the group's later columns. That is 2k² multiply-adds per row and sweep, the
    /// same as coordinate descent, in registers: against forming all of R = A − F·B up front
    /// and keeping it current by GEMM (the previous form), it saves k² per row and per-call
    /// GEMM overhead (50 iterations at k = 64: the W updates 0.9 → 0.5 s, the H updates 0.19 → 0.11 s).
    static func halsBlock(_ m: Int, _ f: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ k: Int, _ gram: HALSGram,
                          _ l1: Float, sweeps: Int, _ scratch: HALSScratch, portable: Bool) {
        let ft = scratch.ft, at = scratch.at, ld = halsStride
        // Lanes past m (up to a multiple of 16) hold an earlier block's rows or zeros: rows are
        // independent, and those lanes are never copied back.
        let lanes = (m + 15) / 16 * 16
        UnsafeKernels.transpose(f, stride: k, rows: m, columns: k, into: ft, stride: ld)
        UnsafeKernels.transpose(a, stride: k, rows: m, columns: k, into: at, stride: ld)
        gram.padded.withUnsafeBufferPointer { bp in
        gram.scales.withUnsafeBufferPointer { sp in
            let b = bp.baseAddress!, scales = sp.baseAddress!, sweeps = max(1, sweeps)
            if !portable, UnsafeKernels.halsSweeps(ft, at, stride: ld, rows: lanes, gram: b, k: gram.k, scales: scales,
                                                   l1: l1, sweeps: sweeps) { return }
            halsSweeps(ft, at, ld, lanes, b, gram.k, scales, l1, sweeps)
        }}
        UnsafeKernels.transpose(ft, stride: ld, rows: k, columns: m, into: f, stride: k)
    }

    /// The sweeps of ``halsBlock(_:_:_:_:_:_:sweeps:_:portable:)`` in Swift vectors, for CPUs
    /// without AVX2 (the same order of operations as `recommend_hals_sweeps_avx2`).
    static func halsSweeps(_ ft: UnsafeMutablePointer<Float>, _ at: UnsafePointer<Float>, _ ld: Int, _ lanes: Int,
                           _ b: UnsafePointer<Float>, _ k: Int, _ scales: UnsafePointer<Float>, _ l1: Float, _ sweeps: Int) {
        typealias V = SIMD8<Float>
        func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        let zero = V(), vl1 = V(repeating: l1)
        withUnsafeTemporaryAllocation(of: V.self, capacity: 4) { r in
            for i in stride(from: 0, to: lanes, by: 8) {
                for _ in 0..<sweeps {
                    for s in stride(from: 0, to: k, by: 4) {
                        let bg = b + s * k
                        for q in 0..<4 { r[q] = load(at + (s + q) * ld + i) }
                        for c in 0..<k {
                            let f = load(ft + c * ld + i)
                            for q in 0..<4 { r[q] -= bg[q * k + c] * f }
                        }
                        for j in 0..<4 where scales[s + j] != 0 {
                            let p = ft + (s + j) * ld + i, old = load(p)
                            let v = ((r[j] + old * bg[j * k + s + j]) - vl1) * scales[s + j]
                            let new = v.replacing(with: zero, where: v .< zero)
                            UnsafeMutableRawPointer(p).storeBytes(of: new, as: V.self)
                            let d = new - old
                            for l in (j + 1)..<4 { r[l] -= bg[j * k + s + l] * d }
                        }
                    }
                }
            }
        }
    }

    /// fᵢⱼ ← fᵢⱼ · aᵢⱼ / ((f·B)ᵢⱼ + l1 + l2·fᵢⱼ + ε), with v = f·B.
    @inline(__always)
    static func multiplicativeRow(_ f: UnsafeMutablePointer<Float>, _ v: UnsafePointer<Float>, _ a: UnsafePointer<Float>,
                                  _ k: Int, _ l1: Float, _ l2: Float) {
        for j in 0..<k { f[j] *= max(0, a[j]) / (v[j] + l1 + l2 * f[j] + 1e-10) }
    }
}

/// The Gram matrix B as the HALS kernels read it: padded with zero rows and columns to k a
/// multiple of 4, with each column's 1 / (bⱼⱼ + l2), or 0 for a column to leave alone (padding,
/// or bⱼⱼ + l2 ≤ 0: a zero row of the other factor, where any value fits equally well).
struct HALSGram: Sendable {
    let k: Int
    let padded: [Float]
    let scales: [Float]

    init(_ b: Matrix<Float>, l2: Float) {
        let n = b.rows, k = (n + 3) / 4 * 4
        var padded = [Float](repeating: 0, count: k * k), scales = [Float](repeating: 0, count: k)
        for j in 0..<n {
            for l in 0..<n { padded[j * k + l] = b[j, l] }
            let denominator = b[j, j] + l2
            scales[j] = denominator > 0 ? 1 / denominator : 0
        }
        self.k = k; self.padded = padded; self.scales = scales
    }
}

/// One worker's buffers for ``NMF/halsBlock(_:_:_:_:_:_:sweeps:_:portable:)``: a block's F and
/// A transposed (k rows, padded to a multiple of 4 with zero rows, `NMF.halsStride` apart), and
/// a block of A as the sparse product leaves it (256 × k, row-major).
struct HALSScratch {
    let ft: UnsafeMutablePointer<Float>
    let at: UnsafeMutablePointer<Float>
    let block: UnsafeMutablePointer<Float>

    init(k: Int) {
        let count = k * NMF.halsStride
        ft = .allocate(capacity: count); ft.initialize(repeating: 0, count: count)
        at = .allocate(capacity: count); at.initialize(repeating: 0, count: count)
        block = .allocate(capacity: NMF.halsBlockRows * k)
    }

    func deallocate() { ft.deallocate(); at.deallocate(); block.deallocate() }
}
