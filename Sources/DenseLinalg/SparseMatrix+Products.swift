import CRecommendKernels
import CBLAS
/// Sparse × dense products (SpMM). Rows are independent, so they run in parallel over blocks of
/// rows; each output row is a sum of scaled dense rows (a vectorised axpy per nonzero).
extension SparseMatrix {
    /// A·B for dense B (columns × k), as a new rows × k matrix.
    /// - Throws: ``LinalgError/shapeMismatch(operation:lhs:rhs:)`` when B's rows differ from A's columns.
    /// - Complexity: O(nnz · k).
    public func multiply(_ b: Matrix<Float>, threads: Int = 1, simd: SIMDPolicy = .automatic) throws -> Matrix<Float> {
        guard b.rows == columns else { throw LinalgError.shapeMismatch(operation: "sparse multiply", lhs: shape, rhs: b.shape) }
        let k = b.columns
        return b.withUnsafeBufferPointer { bp in
            let base = bp.baseAddress
            return productInParallel(k: k, threads: threads) { csr, range, out in csr.writeRows(range, by: base!, k: k, into: out, simd: simd) }
        }
    }

    /// Aᵀ·B for dense B (rows × k), as a new columns × k matrix. Builds the transpose first; when
    /// the same A is used many times, keep ``transposed()`` and call ``multiply(_:threads:)`` on it.
    /// - Complexity: O(nnz · k + nnz + rows + columns).
    public func transposeMultiply(_ b: Matrix<Float>, threads: Int = 1, simd: SIMDPolicy = .automatic) throws -> Matrix<Float> {
        guard b.rows == rows else {
            throw LinalgError.shapeMismatch(operation: "sparse transpose-multiply", lhs: Shape(columns, rows), rhs: b.shape)
        }
        return try transposed().multiply(b, threads: threads, simd: simd)
    }

    /// A·B with B's entries first rounded to half precision (11 significant bits), where the CPU
    /// converts in hardware (AVX2, F16C) and k is 64 or 80; elsewhere exactly
    /// ``multiply(_:threads:)``. The products accumulate in single precision; the gathered rows
    /// are half the bytes, which is what a sparse product waits on. For operands whose rounding
    /// does not matter, such as the power iterates of a randomized SVD (they only steer the
    /// subspace).
    /// - Throws: ``LinalgError/shapeMismatch(operation:lhs:rhs:)`` when B's rows differ from A's columns.
    public func multiplyRoundingToHalf(_ b: Matrix<Float>, threads: Int = 1, simd: SIMDPolicy = .automatic) throws -> Matrix<Float> {
        guard b.rows == columns else { throw LinalgError.shapeMismatch(operation: "sparse multiply", lhs: shape, rhs: b.shape) }
        let k = b.columns
        guard rows > 0, let half = b.halfPrecisionBits(threads: threads, simd: simd) else { return try multiply(b, threads: threads, simd: simd) }
        return half.withUnsafeBufferPointer { hp in
            let base = hp.baseAddress!
            return productInParallel(k: k, threads: threads) { csr, range, out in csr.writeRows(range, byHalf: base, k: k, into: out) }
        }
    }

    /// The rows × k product A·B, its blocks of rows written in parallel straight into
    /// uninitialised storage: `writeRows(csr, range, out)` writes rows `range` at `out` (the
    /// first of them), every entry.
    private func productInParallel(k: Int, threads: Int,
                                   _ writeRows: @escaping (CSRBuffers, Range<Int>, UnsafeMutablePointer<Float>) -> Void) -> Matrix<Float> {
        if rows == 0 || k == 0 { return Matrix(rows: rows, columns: k) }
        return withUnsafeCSR { csr in
            Matrix(rows: rows, columns: k) { c in
                let shared = UncheckedSendable((c.baseAddress!, writeRows))
                Parallel.forEachBlock(count: rows, threads: threads) { range in
                    let (out, writeRows) = shared.value
                    writeRows(csr, range, out + range.lowerBound * k)
                }
            }
        }
    }
}

extension CSRBuffers {
    /// Rows `range` of A·B written to `out` (range.count × k, row-major, overwritten; it need
    /// not be initialised), B being the dense columns × k matrix at `b`: one block of a sparse
    /// product, for kernels that use it while it is in cache instead of writing the whole
    /// product out and reading it back.
    public func writeRows(_ range: Range<Int>, by b: UnsafePointer<Float>, k: Int, into out: UnsafeMutablePointer<Float>,
                          simd: SIMDPolicy = .automatic) {
        if range.isEmpty || k == 0 { return }
        // The kernels read row pointers from `rp` on, so output row i is row lowerBound + i.
        let rp = rowPointers.baseAddress! + range.lowerBound, ci = columnIndices.baseAddress!, vs = values.baseAddress!
        #if arch(x86_64)
        if simd.avx2,
           recommend_spmm_avx2(rp, ci, vs, b, k, 0, range.count, UnsafeKernels.spmmPrefetchDistance, 1, out) != 0 {
            return
        }
        #endif
        out.initialize(repeating: 0, count: range.count * k)
        for i in 0..<range.count where rp[i + 1] > rp[i] {
            UnsafeKernels.gatherAxpy(rows: b, k: k, indices: ci + rp[i], count: rp[i + 1] - rp[i], weights: vs + rp[i], y: out + i * k, simd: simd)
        }
    }

    /// ``writeRows(_:by:k:into:)`` with B in half precision (IEEE binary16 bits, from
    /// ``Matrix/halfPrecisionBits(threads:)``), accumulated in single precision. Call only with
    /// what that function returned (it returns nil where this product has no kernel).
    public func writeRows(_ range: Range<Int>, byHalf b: UnsafePointer<UInt16>, k: Int, into out: UnsafeMutablePointer<Float>) {
        if range.isEmpty { return }
        #if arch(x86_64)
        let done = recommend_spmm_half_avx2(rowPointers.baseAddress! + range.lowerBound, columnIndices.baseAddress!,
                                            values.baseAddress!, b, k, 0, range.count, UnsafeKernels.spmmPrefetchDistance, 1, out)
        precondition(done != 0, "half-precision product at an unsupported width")
        #else
        preconditionFailure("half-precision product on a CPU without its kernel")
        #endif
    }
}

extension Matrix where Scalar == Float {
    /// The entries rounded to half precision (IEEE binary16 bits, row-major), for the
    /// half-precision sparse products; nil where they have no kernel (a CPU without AVX2 and
    /// F16C, or a width other than 64 or 80).
    public func halfPrecisionBits(threads: Int = 1, simd: SIMDPolicy = .automatic) -> [UInt16]? {
        UnsafeKernels.hasHalfProducts(k: columns, simd: simd) ? roundedToHalf(threads: threads) : nil
    }

    /// The entries rounded to half precision (IEEE binary16 bits, row-major), rows converted in
    /// parallel. Call only where the CPU converts in hardware (``UnsafeKernels/hasHalfProducts(k:)``
    /// or ``UnsafeKernels/hasHalfGathers(k:)`` holds).
    public func roundedToHalf(threads: Int = 1) -> [UInt16] {
        let k = columns
        var half = [UInt16](repeating: 0, count: rows * k)
        withUnsafeBufferPointer { bp in
            half.withUnsafeMutableBufferPointer { hp in
                let shared = UncheckedSendable((bp.baseAddress!, hp.baseAddress!))
                Parallel.forEachBlock(count: rows, threads: threads, minimumBlock: 1024) { range in
                    let (source, target) = shared.value
                    UnsafeKernels.toHalf(source + range.lowerBound * k, into: target + range.lowerBound * k, count: range.count * k)
                }
            }
        }
        return half
    }
}
