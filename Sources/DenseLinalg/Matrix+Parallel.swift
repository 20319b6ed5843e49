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
                    Parallel.forEachBlock(count: rows, threads: threads, minimumBlock: 256) { range in
                        let (a, b, c) = shared.value
                        Scalar._gemm(false, transposeOther, Int32(range.count), Int32(n), Int32(k), 1,
                                     a + range.lowerBound * k, Int32(k), b, Int32(ldb), 0, c + range.lowerBound * n, Int32(n))
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
            return Parallel.mapBlocks(count: rows, threads: threads, minimumBlock: 1024) { range -> [Scalar] in
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
