import DenseLinalg


/// Hierarchical ALS (Cichocki & Phan 2009): coordinate descent over the columns of a factor.
extension NMF {
    /// Rows per HALS block: the block's F and A, transposed (2 × 256 × k floats, 128 KiB at
    /// k = 64), stay in cache through its sweeps.
    static let halsBlockRows = 256

    /// Rows per unit of work and of the partial sums of an update: four blocks, so that a large
    /// factor has a few dozen partial Gram matrices rather than hundreds.
    static let halsChunkRows = 4 * halsBlockRows

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
    /// and keeping it current by GEMM, it saves k² per row and per-call GEMM overhead
    /// (measurements: docs/benchmarks.md, "Design measurements").
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
