/// Level-2 and level-3 BLAS on ``Matrix``: products and rank-k updates.
extension Matrix {
    /// General matrix product C ← α·op(A)·op(B) + β·C (BLAS gemm), where op is the identity or
    /// the transpose.
    ///
    /// - Throws: ``LinalgError/shapeMismatch(operation:lhs:rhs:)`` naming both operand shapes
    ///   when the inner dimensions, or C's shape, do not fit.
    /// - Complexity: O(m·n·k) flops, multithreaded by BLAS.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func gemm(alpha: Scalar = 1, _ a: Matrix, transposeA: Bool = false,
                            _ b: Matrix, transposeB: Bool = false,
                            beta: Scalar = 0, into c: inout Matrix) throws {
        let (m, ka) = transposeA ? (a.columns, a.rows) : (a.rows, a.columns)
        let (kb, n) = transposeB ? (b.columns, b.rows) : (b.rows, b.columns)
        guard ka == kb else {
            throw LinalgError.shapeMismatch(operation: "gemm", lhs: transposeA ? Shape(m, ka) : a.shape,
                                            rhs: transposeB ? Shape(kb, n) : b.shape)
        }
        guard c.rows == m, c.columns == n else {
            throw LinalgError.shapeMismatch(operation: "gemm (output)", lhs: Shape(m, n), rhs: c.shape)
        }
        if m == 0 || n == 0 { return }
        if ka == 0 {
            if beta == 0 { c = Matrix(rows: m, columns: n) } else { BLAS.scale(&c.storage, by: beta) }
            return
        }
        let (m32, n32, k32) = (try LinalgError.int32(m, "gemm"), try LinalgError.int32(n, "gemm"), try LinalgError.int32(ka, "gemm"))
        let lda = try LinalgError.int32(max(1, a.columns), "gemm"), ldb = try LinalgError.int32(max(1, b.columns), "gemm")
        let ldc = try LinalgError.int32(max(1, n), "gemm")
        a.storage.withUnsafeBufferPointer { ap in
            b.storage.withUnsafeBufferPointer { bp in
                c.storage.withUnsafeMutableBufferPointer { cp in
                    Scalar._gemm(transposeA, transposeB, m32, n32, k32, alpha, ap.baseAddress!, lda,
                                 bp.baseAddress!, ldb, beta, cp.baseAddress!, ldc)
                }
            }
        }
    }

    /// The product op(self)·op(other) as a new matrix.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func matmul(_ other: Matrix, transposeSelf: Bool = false, transposeOther: Bool = false) throws -> Matrix {
        var c = Matrix(rows: transposeSelf ? columns : rows, columns: transposeOther ? other.rows : other.columns)
        try Matrix.gemm(self, transposeA: transposeSelf, other, transposeB: transposeOther, into: &c)
        return c
    }

    /// Matrix–vector product y ← α·op(A)·x + β·y (BLAS gemv).
    /// - Throws: ``LinalgError/shapeMismatch(operation:lhs:rhs:)`` when lengths do not fit.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func gemv(_ x: [Scalar], transpose: Bool = false, alpha: Scalar = 1,
                     beta: Scalar = 0, into y: inout [Scalar]) throws {
        let (m, n) = transpose ? (columns, rows) : (rows, columns)
        guard x.count == n else {
            throw LinalgError.shapeMismatch(operation: "gemv", lhs: transpose ? Shape(m, n) : shape, rhs: Shape(x.count, 1))
        }
        guard y.count == m else {
            throw LinalgError.shapeMismatch(operation: "gemv (output)", lhs: Shape(m, 1), rhs: Shape(y.count, 1))
        }
        if m == 0 { return }
        if n == 0 {
            if beta == 0 { y = [Scalar](repeating: 0, count: m) } else { BLAS.scale(&y, by: beta) }
            return
        }
        let r32 = try LinalgError.int32(rows, "gemv"), c32 = try LinalgError.int32(columns, "gemv")
        storage.withUnsafeBufferPointer { ap in
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    Scalar._gemv(transpose, r32, c32, alpha, ap.baseAddress!, c32, xp.baseAddress!, 1,
                                 beta, yp.baseAddress!, 1)
                }
            }
        }
    }

    /// The product op(self)·x as a new vector.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func multiply(_ x: [Scalar], transpose: Bool = false) throws -> [Scalar] {
        var y = [Scalar](repeating: 0, count: transpose ? columns : rows)
        try gemv(x, transpose: transpose, into: &y)
        return y
    }

    /// The Gram matrix by a symmetric rank-k update (BLAS syrk), with both triangles filled:
    /// `transpose == true` gives AᵀA (columns × columns), otherwise AAᵀ (rows × rows).
    ///
    /// About half the flops of the equivalent gemm. C ← α·Gram + β·C when `into` is given.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func gram(transpose: Bool = true, alpha: Scalar = 1) throws -> Matrix {
        let n = transpose ? columns : rows
        var c = Matrix(rows: n, columns: n)
        try syrk(transpose: transpose, alpha: alpha, beta: 0, into: &c)
        return c
    }

    /// C ← α·op(A)ᵀ·op(A) + β·C (BLAS syrk), both triangles of C filled on return.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func syrk(transpose: Bool = true, alpha: Scalar = 1, beta: Scalar = 0, into c: inout Matrix) throws {
        let n = transpose ? columns : rows
        let k = transpose ? rows : columns
        guard c.rows == n, c.columns == n else {
            throw LinalgError.shapeMismatch(operation: "syrk (output)", lhs: Shape(n, n), rhs: c.shape)
        }
        if n == 0 { return }
        if k == 0 {
            if beta == 0 { c = Matrix(rows: n, columns: n) } else { BLAS.scale(&c.storage, by: beta) }
            return
        }
        let n32 = try LinalgError.int32(n, "syrk"), k32 = try LinalgError.int32(k, "syrk")
        let lda = try LinalgError.int32(columns, "syrk")
        storage.withUnsafeBufferPointer { ap in
            c.storage.withUnsafeMutableBufferPointer { cp in
                Scalar._syrk(transpose, n32, k32, alpha, ap.baseAddress!, lda, beta, cp.baseAddress!, n32)
            }
        }
        c.symmetrize(fromUpper: true)
    }
}
