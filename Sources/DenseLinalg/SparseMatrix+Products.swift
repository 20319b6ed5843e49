import CBLAS
/// Sparse × dense products (SpMM). Rows are independent, so they run in parallel over blocks of
/// rows; each output row is a sum of scaled dense rows (a vectorised axpy per nonzero).
extension SparseMatrix {
    /// A·B for dense B (columns × k), as a new rows × k matrix.
    /// - Throws: ``LinalgError/shapeMismatch(operation:lhs:rhs:)`` when B's rows differ from A's columns.
    /// - Complexity: O(nnz · k).
    public func multiply(_ b: Matrix<Float>, threads: Int = 1) throws -> Matrix<Float> {
        guard b.rows == columns else { throw LinalgError.shapeMismatch(operation: "sparse multiply", lhs: shape, rhs: b.shape) }
        var c = Matrix<Float>(rows: rows, columns: b.columns)
        multiplyAccumulate(b, into: &c, threads: threads)
        return c
    }

    /// Aᵀ·B for dense B (rows × k), as a new columns × k matrix. Builds the transpose first; when
    /// the same A is used many times, keep ``transposed()`` and call ``multiply(_:threads:)`` on it.
    /// - Complexity: O(nnz · k + nnz + rows + columns).
    public func transposeMultiply(_ b: Matrix<Float>, threads: Int = 1) throws -> Matrix<Float> {
        guard b.rows == rows else {
            throw LinalgError.shapeMismatch(operation: "sparse transpose-multiply", lhs: Shape(columns, rows), rhs: b.shape)
        }
        return try transposed().multiply(b, threads: threads)
    }

    /// A·B with B's entries first rounded to half precision (11 significant bits), where the CPU
    /// converts in hardware (AVX2, F16C) and k is 64 or 80; elsewhere exactly
    /// ``multiply(_:threads:)``. The products accumulate in single precision; the gathered rows
    /// are half the bytes, which is what a sparse product waits on. For operands whose rounding
    /// does not matter, such as the power iterates of a randomized SVD (they only steer the
    /// subspace).
    /// - Throws: ``LinalgError/shapeMismatch(operation:lhs:rhs:)`` when B's rows differ from A's columns.
    public func multiplyRoundingToHalf(_ b: Matrix<Float>, threads: Int = 1) throws -> Matrix<Float> {
        guard b.rows == columns else { throw LinalgError.shapeMismatch(operation: "sparse multiply", lhs: shape, rhs: b.shape) }
        let k = b.columns
        guard rows > 0, let half = b.halfPrecisionBits(threads: threads) else { return try multiply(b, threads: threads) }
        var c = Matrix<Float>(rows: rows, columns: k)
        half.withUnsafeBufferPointer { hp in
            let base = hp.baseAddress!
            accumulateInParallel(into: &c, threads: threads) { csr, range, out in csr.accumulateRows(range, byHalf: base, k: k, into: out) }
        }
        return c
    }

    /// C += A·B, shapes already checked.
    func multiplyAccumulate(_ b: Matrix<Float>, into c: inout Matrix<Float>, threads: Int) {
        let k = b.columns
        if k == 0 || rows == 0 { return }
        b.withUnsafeBufferPointer { bp in
            let base = bp.baseAddress!
            accumulateInParallel(into: &c, threads: threads) { csr, range, out in csr.accumulateRows(range, by: base, k: k, into: out) }
        }
    }

    /// C += A·B over blocks of rows in parallel: `addRows(csr, range, out)` adds rows `range` of
    /// the product at `out` (the first of them).
    private func accumulateInParallel(into c: inout Matrix<Float>, threads: Int,
                                      _ addRows: @escaping (CSRBuffers, Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        let k = c.columns
        withUnsafeCSR { csr in
            c.withUnsafeMutableBufferPointer { cp in
                let shared = UncheckedSendable((cp.baseAddress!, addRows))
                Parallel.forEachBlock(count: rows, threads: threads) { range in
                    let (out, addRows) = shared.value
                    addRows(csr, range, out + range.lowerBound * k)
                }
            }
        }
    }
}

extension CSRBuffers {
    /// Rows `range` of A·B written to `out` (range.count × k, row-major, overwritten), B being
    /// the dense columns × k matrix at `b`: one block of a sparse product, for kernels that use
    /// it while it is in cache instead of writing the whole product out and reading it back.
    public func multiplyRows(_ range: Range<Int>, by b: UnsafePointer<Float>, k: Int, into out: UnsafeMutablePointer<Float>) {
        out.update(repeating: 0, count: range.count * k)
        accumulateRows(range, by: b, k: k, into: out)
    }

    /// ``multiplyRows(_:by:k:into:)`` with B in half precision (IEEE binary16 bits, from
    /// ``Matrix/halfPrecisionBits(threads:)``), accumulated in single precision. Call only with
    /// what that function returned (it returns nil where this product has no kernel).
    public func multiplyRows(_ range: Range<Int>, byHalf b: UnsafePointer<UInt16>, k: Int, into out: UnsafeMutablePointer<Float>) {
        out.update(repeating: 0, count: range.count * k)
        accumulateRows(range, byHalf: b, k: k, into: out)
    }

    /// out (row i = row lowerBound + i of the product) += rows `range` of A·B: the AVX2 loop
    /// where it applies, else one gathered accumulation per row.
    func accumulateRows(_ range: Range<Int>, by b: UnsafePointer<Float>, k: Int, into out: UnsafeMutablePointer<Float>) {
        if range.isEmpty || k == 0 { return }
        // The kernels read row pointers from `rp` on, so output row i is row lowerBound + i.
        let rp = rowPointers.baseAddress! + range.lowerBound, ci = columnIndices.baseAddress!, vs = values.baseAddress!
        #if arch(x86_64)
        if UnsafeKernels.hasAVX2FMA,
           recommend_spmm_avx2(rp, ci, vs, b, k, 0, range.count, UnsafeKernels.spmmPrefetchDistance, out) != 0 {
            return
        }
        #endif
        for i in 0..<range.count where rp[i + 1] > rp[i] {
            UnsafeKernels.gatherAxpy(rows: b, k: k, indices: ci + rp[i], count: rp[i + 1] - rp[i], weights: vs + rp[i], y: out + i * k)
        }
    }

    /// ``accumulateRows(_:by:k:into:)`` with B in half precision.
    func accumulateRows(_ range: Range<Int>, byHalf b: UnsafePointer<UInt16>, k: Int, into out: UnsafeMutablePointer<Float>) {
        if range.isEmpty { return }
        #if arch(x86_64)
        let done = recommend_spmm_half_avx2(rowPointers.baseAddress! + range.lowerBound, columnIndices.baseAddress!,
                                            values.baseAddress!, b, k, 0, range.count, UnsafeKernels.spmmPrefetchDistance, out)
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
    public func halfPrecisionBits(threads: Int = 1) -> [UInt16]? {
        let k = columns
        guard UnsafeKernels.hasHalfProducts(k: k) else { return nil }
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
