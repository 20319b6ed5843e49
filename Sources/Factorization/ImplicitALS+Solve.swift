import DenseLinalg
import Synchronization

/// One half of implicit ALS's data: the rows' patterns and each entry's confidence cᵤᵢ, or,
/// when every strength is the same (binary data), the one confidence they share, which then
/// needs no array: the user half reads the input's own pattern and the item half keeps only
/// the transposed pattern (at 10⁷ nonzeros, 80 MB less than two value arrays).
struct ConfidenceRows: Sendable {
    var rows: Int
    var rowPointers: [Int]
    var columnIndices: [Int32]
    /// Per-entry confidences; empty when `uniform` is set.
    var values: [Float]
    var uniform: Float?
    /// Each row's regularisation beyond the Gram matrix's λ, λᵤ − λ
    /// (``ImplicitALSConfiguration/rowRegularization(entries:otherSide:)``); empty when
    /// ν = 0 (every row has λ).
    var extraDiagonal: [Float] = []

    /// λᵤ − λ of every row of a CSR pattern whose columns are `otherSide` rows; empty when ν = 0.
    static func extraDiagonal(rowPointers: [Int], otherSide: Int, _ configuration: ImplicitALSConfiguration) -> [Float] {
        guard configuration.regularizationExponent != 0 else { return [] }
        return (0..<(rowPointers.count - 1)).map { r in
            configuration.rowRegularization(entries: rowPointers[r + 1] - rowPointers[r], otherSide: otherSide) - configuration.regularization
        }
    }

    /// The user half (rows of `x`) and the item half (its transpose).
    static func halves(_ x: SparseMatrix, _ configuration: ImplicitALSConfiguration) -> (users: ConfidenceRows, items: ConfidenceRows) {
        var halves: (users: ConfidenceRows, items: ConfidenceRows)
        if let first = x.values.first, x.values.allSatisfy({ $0 == first }) {
            let c = configuration.confidence(of: first)
            let t = x.transposedPattern()
            halves = (ConfidenceRows(rows: x.rows, rowPointers: x.rowPointers, columnIndices: x.columnIndices, values: [], uniform: c),
                      ConfidenceRows(rows: x.columns, rowPointers: t.rowPointers, columnIndices: t.columnIndices, values: [], uniform: c))
        } else {
            let c = x.mapValues { configuration.confidence(of: $0) }, t = c.transposed()
            halves = (ConfidenceRows(rows: c.rows, rowPointers: c.rowPointers, columnIndices: c.columnIndices, values: c.values, uniform: nil),
                      ConfidenceRows(rows: t.rows, rowPointers: t.rowPointers, columnIndices: t.columnIndices, values: t.values, uniform: nil))
        }
        halves.users.extraDiagonal = extraDiagonal(rowPointers: halves.users.rowPointers, otherSide: x.columns, configuration)
        halves.items.extraDiagonal = extraDiagonal(rowPointers: halves.items.rowPointers, otherSide: x.rows, configuration)
        return halves
    }

    /// The buffers of ``extraDiagonal``, valid inside `body`: nil when every row has λ.
    func withExtraDiagonal<R>(_ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
        if extraDiagonal.isEmpty { return try body(nil) }
        return try extraDiagonal.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    /// The buffers, valid inside `body` (which may hand them to worker threads).
    func withUnsafeBuffers<R>(_ body: (UnsafeBufferPointer<Int>, UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try rowPointers.withUnsafeBufferPointer { rp in
            try columnIndices.withUnsafeBufferPointer { ci in
                try values.withUnsafeBufferPointer { cv in try body(rp, ci, cv) }
            }
        }
    }
}

/// The per-row solves of implicit ALS. All pointer code of the model lives here.
extension ImplicitALS {
    /// Rows per block: each block's products with G = YᵀY + λI are one GEMM.
    static let blockRows = 128

    /// Updates every row of `target` given the `fixed` factors of the other side.
    /// `confidence` is target-rows × fixed-rows with cᵤᵢ as values.
    static func solveHalf(_ target: inout Matrix<Float>, fixed: Matrix<Float>, confidence: ConfidenceRows,
                          _ configuration: ImplicitALSConfiguration) throws {
        let gram = try regularizedGram(fixed, configuration.regularization, threads: configuration.threads)
        try solveRows(&target, fixed: fixed, gram: gram, confidence: confidence, configuration)
    }

    /// Updates every row of `target` from its confidence row over `fixed`'s rows, given the
    /// regularised Gram matrix G = YᵀY + λI of the whole fixed side (which `fixed` need not hold:
    /// a distributed half passes only the rows its target rows touch, and G from an all-reduce).
    /// Each row's result depends only on G, its own entries and the fixed rows they name, so it
    /// is the same wherever the row is solved.
    ///
    /// - Parameters:
    ///   - target: rows × k, updated in place (warm start for conjugate gradient).
    ///   - fixed: the fixed side's rows that `columnIndices` name, × k.
    ///   - gram: k × k, G = YᵀY + λI over the whole fixed side.
    ///   - rowPointers, columnIndices: target-rows × fixed-rows CSR pattern (columns sorted per row).
    ///   - confidences: cᵤᵢ per entry, or empty with `uniformConfidence` set when all are equal.
    ///   - fixedSideRows: the number of rows of the whole fixed side (N of the frequency-scaled
    ///     regularisation, ``ImplicitALSConfiguration/regularizationExponent``).
    /// - Throws: ``FactorizationError`` when a Cholesky system is not positive definite.
    public static func updateRows(_ target: inout Matrix<Float>, fixed: Matrix<Float>, gram: Matrix<Float>,
                                  rowPointers: [Int], columnIndices: [Int32], confidences: [Float], uniformConfidence: Float?,
                                  fixedSideRows: Int, configuration: ImplicitALSConfiguration) throws {
        precondition(rowPointers.count == target.rows + 1 && gram.rows == fixed.columns && target.columns == fixed.columns,
                     "updateRows: shapes do not match")
        precondition(uniformConfidence != nil || confidences.count == columnIndices.count, "updateRows: one confidence per entry")
        var rows = ConfidenceRows(rows: target.rows, rowPointers: rowPointers, columnIndices: columnIndices,
                                  values: uniformConfidence == nil ? confidences : [], uniform: uniformConfidence)
        rows.extraDiagonal = ConfidenceRows.extraDiagonal(rowPointers: rowPointers, otherSide: fixedSideRows, configuration)
        try solveRows(&target, fixed: fixed, gram: gram, confidence: rows, configuration)
    }

    static func solveRows(_ target: inout Matrix<Float>, fixed: Matrix<Float>, gram: Matrix<Float>, confidence: ConfidenceRows,
                          _ configuration: ImplicitALSConfiguration) throws {
        switch configuration.solver {
        case let .conjugateGradient(steps):
            let half = configuration.halfPrecisionGathers && UnsafeKernels.hasHalfGathers(k: fixed.columns, simd: configuration.simd)
            conjugateGradient(&target, fixed: fixed, gram: gram, confidence: confidence, steps: steps,
                              halfPrecisionGathers: half, blockBytes: configuration.blockGatherBytes,
                              simd: configuration.simd, threads: configuration.threads)
        case .cholesky:
            try cholesky(&target, fixed: fixed, gram: gram, confidence: confidence, threads: configuration.threads)
        }
    }

    /// G = YᵀY + λI (BLAS syrk), shared by every row's system.
    public static func regularizedGram(_ factors: Matrix<Float>, _ regularization: Float, threads: Int = 1) throws -> Matrix<Float> {
        var g = try factors.gram(threads: threads)
        g.addToDiagonal(regularization)
        return g
    }

    /// Block conjugate gradient: every row runs its own CG on
    /// (G + Yᵤᵀ(Cᵤ − I)Yᵤ) x = YᵤᵀCᵤ1, warm-started from its current x, in lock-step with the
    /// other rows of its block so the G·P products of the block are one GEMM. A block has at
    /// most ``blockRows`` rows and, when `blockBytes` > 0, at most that many bytes of gathered
    /// factor rows (at least one row), so the block's later steps gather from cache
    /// (``ImplicitALSConfiguration/blockGatherBytes``).
    /// `halfPrecisionGathers`: gather `fixed` through a half-precision copy (call only where
    /// `UnsafeKernels.hasHalfGathers(k:)` holds).
    static func conjugateGradient(_ target: inout Matrix<Float>, fixed: Matrix<Float>, gram: Matrix<Float>,
                                  confidence: ConfidenceRows, steps: Int, halfPrecisionGathers: Bool = false,
                                  blockBytes: Int = 0, simd: SIMDPolicy = .automatic, threads: Int) {
        let rowBytes = fixed.columns * (halfPrecisionGathers ? 2 : 4)
        let k = target.columns
        let rows = target.rows
        let uniform = confidence.uniform
        let bits = halfPrecisionGathers ? fixed.roundedToHalf(threads: threads) : []
        confidence.withUnsafeBuffers { rowPointers, columnIndices, values in
        confidence.withExtraDiagonal { extra in
        fixed.withUnsafeBufferPointer { yp in
        bits.withUnsafeBufferPointer { hp in
        gram.withUnsafeBufferPointer { gp in
        target.withUnsafeMutableBufferPointer { xp in
            // (An empty array's buffer may still have a base address: test the flag.)
            let half = halfPrecisionGathers ? hp.baseAddress : nil
            let shared = UncheckedSendable((rowPointers, columnIndices, values, Rows(y: yp.baseAddress!, half: half, k: k, simd: simd),
                                            gp.baseAddress!, xp.baseAddress!, extra))
            Parallel.forEachBlock(count: rows, threads: threads, minimumBlock: blockRows) { range in
                let (rp, ci, cv, y, g, x, extra) = shared.value
                var start = range.lowerBound
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 3 * blockRows * k)
                let rsold = UnsafeMutablePointer<Float>.allocate(capacity: blockRows)
                let weights = UnsafeMutablePointer<Float>.allocate(capacity: chunkEntries)
                defer { scratch.deallocate(); rsold.deallocate(); weights.deallocate() }
                while start < range.upperBound {
                    // At most blockRows rows, and no more than blockBytes of gathered rows (at
                    // least one row): the steps after the first then find them in cache.
                    let limit = min(range.upperBound, start + blockRows)
                    var end = limit
                    if blockBytes > 0 {
                        end = start + 1
                        while end < limit && (rp[end + 1] - rp[start]) * rowBytes <= blockBytes { end += 1 }
                    }
                    cgBlock(start..<end, k: k, rp: rp, ci: ci, cv: cv, uniform: uniform, y: y, g: g, extra: extra, x: x, steps: steps,
                            r: scratch, p: scratch + blockRows * k, ap: scratch + 2 * blockRows * k, rsold: rsold,
                            weights: weights)
                    start = end
                }
            }
        }}}}}}
    }

    /// The fixed side's rows as CG gathers them: single precision, or a half-precision copy.
    struct Rows {
        let y: UnsafePointer<Float>
        let half: UnsafePointer<UInt16>?
        let k: Int
        let simd: SIMDPolicy
        /// Whether each row's dot product and accumulation run as one pass
        /// (``UnsafeKernels/conjugateGradientTerms(rows:k:indices:count:confidences:uniform:term:x:out:)``).
        let fused: Bool

        init(y: UnsafePointer<Float>, half: UnsafePointer<UInt16>?, k: Int, simd: SIMDPolicy) {
            self.y = y; self.half = half; self.k = k; self.simd = simd
            fused = UnsafeKernels.hasConjugateGradientTerms(k: k, simd: simd)
        }

        @inline(__always)
        func fusedTerms(_ entries: Range<Int>, ci: UnsafeBufferPointer<Int32>, cv: UnsafeBufferPointer<Float>?, uniform: Float,
                        term: ConjugateGradientTerm, x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>) {
            let idx = ci.baseAddress! + entries.lowerBound
            let c = cv.map { $0.baseAddress! + entries.lowerBound }
            if let half {
                UnsafeKernels.conjugateGradientTerms(halfRows: half, k: k, indices: idx, count: entries.count, confidences: c,
                                                     uniform: uniform, term: term, x: x, out: out)
            } else {
                UnsafeKernels.conjugateGradientTerms(rows: y, k: k, indices: idx, count: entries.count, confidences: c,
                                                     uniform: uniform, term: term, x: x, out: out)
            }
        }

        @inline(__always)
        func dots(_ indices: UnsafePointer<Int32>, _ count: Int, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
            if let half { UnsafeKernels.gatherDots(halfRows: half, k: k, indices: indices, count: count, x: x, out: out) }
            else { UnsafeKernels.gatherDots(rows: y, k: k, indices: indices, count: count, x: x, out: out, simd: simd) }
        }

        @inline(__always)
        func axpy(_ indices: UnsafePointer<Int32>, _ count: Int, _ weights: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
            if let half { UnsafeKernels.gatherAxpy(halfRows: half, k: k, indices: indices, count: count, weights: weights, y: out) }
            else { UnsafeKernels.gatherAxpy(rows: y, k: k, indices: indices, count: count, weights: weights, y: out, simd: simd) }
        }

        /// Hints that row i will be gathered soon.
        @inline(__always)
        func prefetch(_ i: Int) {
            if let half {
                let row = UnsafeRawPointer(half + i * k)
                var offset = 0
                while offset < 2 * k { UnsafeKernels.prefetch(row + offset); offset += 64 }
            } else {
                UnsafeKernels.prefetchRow(y + i * k, k)
            }
        }
    }

    @inline(__always)
    static func cgBlock(_ block: Range<Int>, k: Int, rp: UnsafeBufferPointer<Int>, ci: UnsafeBufferPointer<Int32>,
                        cv: UnsafeBufferPointer<Float>, uniform: Float?, y: Rows, g: UnsafePointer<Float>,
                        extra: UnsafePointer<Float>?, x: UnsafeMutablePointer<Float>, steps: Int,
                        r: UnsafeMutablePointer<Float>, p: UnsafeMutablePointer<Float>,
                        ap: UnsafeMutablePointer<Float>, rsold: UnsafeMutablePointer<Float>,
                        weights w: UnsafeMutablePointer<Float>) {
        let n = block.count
        let xb = x + block.lowerBound * k
        let terms = Terms(ci: ci, cv: cv, uniform: uniform, y: y, weights: w)
        // r = b − A·x = −G·x + Σ (c − (c − 1)·yᵢ·x) yᵢ
        UnsafeKernels.gemm(transposeA: false, transposeB: false, m: n, n: k, k: k, alpha: -1,
                           a: xb, lda: k, b: g, ldb: k, beta: 0, c: r, ldc: k)
        for row in 0..<n {
            let u = block.lowerBound + row
            prefetchFirstRows(of: u + 1, in: block, rp: rp, ci: ci, y: y)
            // A row regularised by λᵤ ≠ λ: its system is G + (λᵤ − λ)I + ….
            if let extra { UnsafeKernels.axpy(-extra[u], xb + row * k, r + row * k, k) }
            terms.add(.residual, rp[u]..<rp[u + 1], x: xb + row * k, into: r + row * k)
        }
        for row in 0..<n { rsold[row] = UnsafeKernels.dot(r + row * k, r + row * k, k) }
        p.update(from: r, count: n * k)
        for _ in 0..<steps {
            // ap = A·p = G·p + Σ (c − 1)(yᵢ·p) yᵢ
            UnsafeKernels.gemm(transposeA: false, transposeB: false, m: n, n: k, k: k, alpha: 1,
                               a: p, lda: k, b: g, ldb: k, beta: 0, c: ap, ldc: k)
            for row in 0..<n where rsold[row] > cgConverged {
                let u = block.lowerBound + row
                prefetchFirstRows(of: u + 1, in: block, rp: rp, ci: ci, y: y)
                if let extra { UnsafeKernels.axpy(extra[u], p + row * k, ap + row * k, k) }
                terms.add(.curvature, rp[u]..<rp[u + 1], x: p + row * k, into: ap + row * k)
                cgStep(row: row, k: k, x: xb, r: r, p: p, ap: ap, rsold: rsold)
            }
        }
    }

    /// A row whose squared residual is at most this has converged: CG leaves it.
    static let cgConverged: Float = 1e-20

    /// One CG update of a row once its ap = A·p is complete: α = rsold / pᵀAp, x += α·p,
    /// r −= α·ap, p = r + (rsnew / rsold)·p. A row whose pᵀAp is not positive stops (rsold = 0).
    @inline(__always)
    static func cgStep(row: Int, k: Int, x: UnsafeMutablePointer<Float>, r: UnsafeMutablePointer<Float>,
                       p: UnsafeMutablePointer<Float>, ap: UnsafeMutablePointer<Float>, rsold: UnsafeMutablePointer<Float>) {
        let pu = p + row * k, apu = ap + row * k
        let pap = UnsafeKernels.dot(pu, apu, k)
        if !(pap > 0) { rsold[row] = 0; return }
        let alpha = rsold[row] / pap
        let xu = x + row * k, ru = r + row * k
        UnsafeKernels.axpy(alpha, pu, xu, k)
        UnsafeKernels.axpy(-alpha, apu, ru, k)
        let rsnew = UnsafeKernels.dot(ru, ru, k)
        UnsafeKernels.scale(rsnew / rsold[row], pu, k)
        UnsafeKernels.axpy(1, ru, pu, k)
        rsold[row] = rsnew
    }

    /// The sparse terms of a row's system over its entries, summed in entry order: the fused
    /// one-pass kernel where it runs, else gathered dot products, weights, then the gathered
    /// accumulation, a chunk of entries at a time.
    struct Terms {
        let ci: UnsafeBufferPointer<Int32>
        let cv: UnsafeBufferPointer<Float>
        let uniform: Float?
        let y: Rows
        let weights: UnsafeMutablePointer<Float>

        /// out += Σ w(c, yᵢ·x) yᵢ with w = c − (c − 1)·d for `.residual` (the residual's sparse
        /// part at x) and (c − 1)·d for `.curvature` (the sparse part of A·x).
        @inline(__always)
        func add(_ term: ConjugateGradientTerm, _ entries: Range<Int>, x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
            if y.fused { return y.fusedTerms(entries, ci: ci, cv: uniform == nil ? cv : nil, uniform: uniform ?? 0, term: term, x: x, out: out) }
            let w = weights
            forEachChunk(entries) { start, count in
                let idx = ci.baseAddress! + start
                y.dots(idx, count, x, w)
                if let c = uniform {
                    for q in 0..<count { w[q] = weight(term, c, w[q]) }
                } else {
                    let c = cv.baseAddress! + start
                    for q in 0..<count { w[q] = weight(term, c[q], w[q]) }
                }
                y.axpy(idx, count, w, out)
            }
        }

        @inline(__always)
        func weight(_ term: ConjugateGradientTerm, _ c: Float, _ dot: Float) -> Float {
            switch term {
            case .residual: return c - (c - 1) * dot
            case .curvature: return dot * (c - 1)
            }
        }
    }

    /// Prefetches the first few factor rows the next user will gather (the gather loops
    /// prefetch only within a user, so each short row would otherwise start with misses).
    @inline(__always)
    static func prefetchFirstRows(of u: Int, in block: Range<Int>, rp: UnsafeBufferPointer<Int>, ci: UnsafeBufferPointer<Int32>,
                                  y: Rows) {
        guard u < block.upperBound else { return }
        for p in rp[u]..<min(rp[u + 1], rp[u] + 4) { y.prefetch(Int(ci[p])) }
    }

    /// Entries per chunk of a long row: its gathered factor rows stay in cache between the dot
    /// products and the accumulation.
    static let chunkEntries = 256

    @inline(__always)
    static func forEachChunk(_ range: Range<Int>, _ body: (Int, Int) -> Void) {
        var start = range.lowerBound
        while start < range.upperBound {
            let count = min(chunkEntries, range.upperBound - start)
            body(start, count)
            start += count
        }
    }

    /// Exact solves: every row's system by ``exactRow(gram:fixed:k:indices:confidences:count:extraDiagonal:)``.
    static func cholesky(_ target: inout Matrix<Float>, fixed: Matrix<Float>, gram: Matrix<Float>,
                         confidence: ConfidenceRows, threads: Int) throws {
        let k = target.columns
        let rows = target.rows
        let failure = Mutex<(any Error)?>(nil)
        let uniform = confidence.uniform
        confidence.withUnsafeBuffers { rowPointers, columnIndices, values in
        confidence.withExtraDiagonal { extra in
        fixed.withUnsafeBufferPointer { yp in
        target.withUnsafeMutableBufferPointer { xp in
            let shared = UncheckedSendable((rowPointers, columnIndices, values, yp.baseAddress!, xp.baseAddress!, extra))
            Parallel.forEachBlock(count: rows, threads: threads, minimumBlock: 16) { range in
                let (rp, ci, cv, y, x, extra) = shared.value
                for u in range {
                    let start = rp[u], count = rp[u + 1] - rp[u]
                    let diagonal = extra?[u] ?? 0
                    do {
                        let solution: [Float]
                        if let c = uniform {
                            let same = [Float](repeating: c, count: count)
                            solution = try exactRow(gram: gram, fixed: y, k: k, indices: ci.baseAddress! + start, confidences: same, count: count,
                                                    extraDiagonal: diagonal)
                        } else {
                            solution = try exactRow(gram: gram, fixed: y, k: k, indices: ci.baseAddress! + start,
                                                    confidences: cv.baseAddress! + start, count: count, extraDiagonal: diagonal)
                        }
                        for j in 0..<k { x[u * k + j] = solution[j] }
                    } catch {
                        failure.withLock { if $0 == nil { $0 = error } }
                        return
                    }
                }
            }
        }}}}
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// The exact solution of (G + (λᵤ − λ)I + Σᵢ (cᵢ − 1) yᵢyᵢᵀ) x = Σᵢ cᵢ yᵢ over the given rows
    /// of the fixed factors (G = YᵀY + λI; `extraDiagonal` λᵤ − λ, 0 unless ν ≠ 0): the per-row
    /// system of the Cholesky solver and of fold-in.
    static func exactRow(gram: Matrix<Float>, fixed y: UnsafePointer<Float>, k: Int, indices: UnsafePointer<Int32>,
                         confidences: UnsafePointer<Float>, count: Int, extraDiagonal: Float = 0) throws -> [Float] {
        var b = [Float](repeating: 0, count: k)
        b.withUnsafeMutableBufferPointer { bp in
            for q in 0..<count { UnsafeKernels.axpy(confidences[q], y + Int(indices[q]) * k, bp.baseAddress!, k) }
        }
        return try rowSystem(gram: gram, fixed: y, k: k, indices: indices, confidences: confidences, count: count,
                             extraDiagonal: extraDiagonal).cholesky().solve(b)
    }

    /// The weighted Gram matrix of one row, G + (λᵤ − λ)I + Σᵢ (cᵢ − 1) yᵢyᵢᵀ (k × k): the
    /// left-hand side of ``exactRow(gram:fixed:k:indices:confidences:count:extraDiagonal:)`` and of explanations.
    static func rowSystem(gram: Matrix<Float>, fixed y: UnsafePointer<Float>, k: Int, indices: UnsafePointer<Int32>,
                          confidences: UnsafePointer<Float>, count: Int, extraDiagonal: Float = 0) -> Matrix<Float> {
        var a = gram
        if extraDiagonal != 0 { a.addToDiagonal(extraDiagonal) }
        a.withUnsafeMutableBufferPointer { ap in
            for q in 0..<count {
                let yi = y + Int(indices[q]) * k
                let c = confidences[q]
                for j in 0..<k { UnsafeKernels.axpy((c - 1) * yi[j], yi, ap.baseAddress! + j * k, k) }
            }
        }
        return a
    }
}
