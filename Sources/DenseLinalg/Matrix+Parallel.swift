/// Products split over the project's own workers, each calling single-threaded BLAS on its
/// block of rows. Use them in kernels that alternate BLAS with their own parallel loops: no
/// OpenBLAS thread pool is left spinning between the calls, so the two never compete for cores.
extension Matrix {
    /// self · op(other), rows of the result computed in parallel blocks.
    /// - Throws: ``LinalgError/shapeMismatch(operation:lhs:rhs:)`` when the inner dimensions differ.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func matmul(_ other: Matrix, transposeOther: Bool = false, threads: Int) throws -> Matrix {
        let n = transposeOther ? other.rows : other.columns
        let inner = transposeOther ? other.columns : other.rows
        guard inner == columns else {
            throw LinalgError.shapeMismatch(operation: "gemm", lhs: shape, rhs: transposeOther ? Shape(inner, n) : other.shape)
        }
        var c = Matrix(rows: rows, columns: n)
        if rows == 0 || n == 0 || columns == 0 { return c }
        _ = try LinalgError.int32(max(rows, n, columns, other.columns), "gemm")
        let k = columns, ldb = other.columns
        storage.withUnsafeBufferPointer { ap in
            other.storage.withUnsafeBufferPointer { bp in
                c.storage.withUnsafeMutableBufferPointer { cp in
                    let shared = UncheckedSendable((ap.baseAddress!, bp.baseAddress!, cp.baseAddress!))
                    // One GEMM per fixed block of rows (the blocks two threads would take: ≥ 256 rows,
                    // at most 16 of them), whatever `threads` is. BLAS may compute a row differently
                    // for a different number of rows in the call (OpenBLAS's small-matrix kernels),
                    // so fixed blocks keep the product, and everything after it, independent of
                    // the thread count.
                    let block = Swift.max(256, rows / 16), blocks = (rows + block - 1) / block
                    Parallel.forEachBlock(count: blocks, threads: threads, minimumBlock: 1) { range in
                        let (a, b, c) = shared.value
                        for index in range {
                            let first = index * block, count = Swift.min(rows, first + block) - first
                            Scalar._gemm(false, transposeOther, Int32(count), Int32(n), Int32(k), 1,
                                         a + first * k, Int32(k), b, Int32(ldb), 0, c + first * n, Int32(n))
                        }
                    }
                }
            }
        }
        return c
    }

    /// The Gram matrix AᵀA (columns × columns, both triangles), as the sum of the Grams of
    /// blocks of rows computed in parallel (BLAS syrk on each).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func gram(threads: Int) throws -> Matrix {
        let n = columns
        var total = Matrix(rows: n, columns: n)
        if rows == 0 || n == 0 { return total }
        _ = try LinalgError.int32(max(rows, n), "syrk")
        let parts = storage.withUnsafeBufferPointer { ap in
            let a = UncheckedSendable(ap.baseAddress!)
            // Partial sums over the blocks mapBlocks makes for two threads (at most 8 blocks of
            // ≥ 1,024 rows), whatever `threads` is: the blocks, and so the result, do not depend on
            // the thread count; up to 8 workers share the work.
            return Parallel.mapBlocks(count: rows, threads: threads, blocks: Parallel.blockCount(count: rows, threads: 2, minimumBlock: 1024)) { range -> [Scalar] in
                var part = [Scalar](repeating: 0, count: n * n)
                part.withUnsafeMutableBufferPointer { p in
                    Scalar._syrk(true, Int32(n), Int32(range.count), 1, a.value + range.lowerBound * n, Int32(n), 0,
                                 p.baseAddress!, Int32(n))
                }
                return part
            }
        }
        for part in parts { BLAS.uncheckedAxpy(1, part, &total.storage) }
        total.symmetrize(fromUpper: true)
        return total
    }
}
