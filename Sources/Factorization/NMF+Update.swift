import DenseLinalg

/// One update of a factor given the data term and the other side's Gram matrix, for either solver.
extension NMF {
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
            // Work is handed out in whole chunks of halsChunkRows rows, each with its own ⟨F, A⟩
            // and FᵀF, summed in chunk order after: chunk boundaries, and so the sums and the
            // factors, do not depend on the thread count.
            let chunks = (count + halsChunkRows - 1) / halsChunkRows
            let workers = Parallel.workers(count: chunks, threads: configuration.threads, minimumBlock: 1)
            let ranges = UnsafeMutablePointer<[(start: Int, cross: Double, gram: [Float])]>.allocate(capacity: workers)
            ranges.initialize(repeating: [], count: workers)
            defer { ranges.deinitialize(count: workers); ranges.deallocate() }
            var bits = [UInt16](repeating: 0, count: needsHalf && UnsafeKernels.hasHalfProducts(k: k, simd: configuration.simd) ? count * k : 0)
            let halfOut = !bits.isEmpty
            withBlockSource(data, k: k, simd: configuration.simd) { source in
            f.withUnsafeMutableBufferPointer { fp in
            bits.withUnsafeMutableBufferPointer { hp in
                let shared = UncheckedSendable((fp.baseAddress!, ranges, hp.baseAddress, source))
                Parallel.forEachBlock(count: chunks, threads: configuration.threads, minimumBlock: 1) { worker, chunkRange in
                    let (rows, ranges, bits, source) = shared.value
                    let scratch = HALSScratch(k: gram.k)
                    defer { scratch.deallocate() }
                    for chunk in chunkRange {
                        let end = min(count, (chunk + 1) * halsChunkRows)
                        var partial = [Float](repeating: 0, count: needsGram ? k * k : 0), sum = 0.0
                        var start = chunk * halsChunkRows
                        while start < end {
                            let m = min(halsBlockRows, end - start), block = rows + start * k
                            let a = source(start..<(start + m), scratch.block)
                            halsBlock(m, block, a, k, gram, l1, sweeps: sweeps, scratch, portable: portable || configuration.simd == .baseline)
                            if needsCross { sum += dot(block, a, m * k) }
                            if needsGram {
                                partial.withUnsafeMutableBufferPointer { UnsafeKernels.gramUpper(block, rows: m, columns: k, into: $0.baseAddress!, accumulate: true) }
                            }
                            // (An empty array's buffer may still have a base address: test the flag.)
                            if halfOut, let bits { UnsafeKernels.toHalf(block, into: bits + start * k, count: m * k) }
                            start += m
                        }
                        ranges[worker].append((chunk * halsChunkRows, sum, partial))
                    }
                }
            }}}
            let parts = (0..<workers).flatMap { ranges[$0] }.sorted { $0.start < $1.start }
            var result = UpdateResult(cross: parts.reduce(0.0) { $0 + $1.cross })
            if needsGram {
                // One pass per part over its upper triangle, on raw buffers (there is a part per
                // chunk of rows, a few hundred for a large factor).
                var sum = [Float](repeating: 0, count: k * k)
                sum.withUnsafeMutableBufferPointer { t in
                    for part in parts {
                        part.gram.withUnsafeBufferPointer { g in
                            for i in 0..<k { for j in i..<k { t[i * k + j] += g[i * k + j] } }
                        }
                    }
                    for i in 0..<k { for j in 0..<i { t[i * k + j] = t[j * k + i] } }
                }
                result.gram = try Matrix(rows: k, columns: k, elements: sum)
            }
            if halfOut { result.halfBits = bits }
            return result
        case .multiplicative:
            let a: Matrix<Float>
            switch data {
            case .dense(let given): a = given
            case .product(let x, let other, _): a = try x.multiply(other, threads: configuration.threads, simd: configuration.simd)
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
            if needsHalf { result.halfBits = f.halfPrecisionBits(threads: configuration.threads, simd: configuration.simd) }
            return result
        }
    }

    /// Calls `body` with a function that gives the data term's rows `range` (row-major, k
    /// columns): pointers into a dense A, or the block of the sparse product computed into
    /// `scratch` (range.count × k floats).
    static func withBlockSource(_ data: DataTerm, k: Int, simd: SIMDPolicy = .automatic,
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
                    else { csr.writeRows(range, by: factor, k: k, into: scratch, simd: simd) }
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
}
