/// LAPACK factorizations of ``Matrix``: Cholesky, SPD solve and inverse, SVD, symmetric eigen
/// decomposition and thin QR. Inputs are checked (shape, finiteness) before LAPACK sees them and
/// LAPACK's `info` becomes a ``LinalgError``.
extension Matrix {
    /// The Cholesky factor L of a symmetric positive definite matrix, A = L·Lᵀ (LAPACK potrf).
    ///
    /// Only the lower triangle of `self` is read.
    /// - Throws: ``LinalgError/notPositiveDefinite(leadingMinor:)`` naming the first failing
    ///   leading minor; ``LinalgError/notSquare(operation:shape:)``; ``LinalgError/nonFiniteInput(operation:)``.
    /// - Complexity: n³/3 flops.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func cholesky() throws -> CholeskyFactorization<Scalar> {
        try checkSquareFinite("cholesky")
        var l = self
        if rows > 0 {
            let n = try LinalgError.int32(rows, "cholesky")
            let info = l.storage.withUnsafeMutableBufferPointer { Scalar._potrf(true, n, $0.baseAddress!, n) }
            try Matrix.check(info: info, "cholesky (potrf)", failure: Matrix.notPositiveDefinite)
        }
        for i in 0..<rows { for j in (i + 1)..<max(i + 1, columns) { l.storage[i * columns + j] = 0 } }
        return CholeskyFactorization(lower: l)
    }

    /// The solution X of A·X = B for symmetric positive definite A (LAPACK posv).
    /// - Throws: as ``cholesky()``, and a shape mismatch when B's rows differ from A's order.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func solvePositiveDefinite(_ b: Matrix) throws -> Matrix {
        try checkSquareFinite("solvePositiveDefinite")
        guard b.rows == rows else {
            throw LinalgError.shapeMismatch(operation: "solvePositiveDefinite", lhs: shape, rhs: b.shape)
        }
        guard b.isFinite else { throw LinalgError.nonFiniteInput(operation: "solvePositiveDefinite") }
        if rows == 0 || b.columns == 0 { return b }
        var a = self, x = b
        let n = try LinalgError.int32(rows, "posv"), nrhs = try LinalgError.int32(b.columns, "posv")
        let info = a.storage.withUnsafeMutableBufferPointer { ap in
            x.storage.withUnsafeMutableBufferPointer { xp in
                Scalar._posv(true, n, nrhs, ap.baseAddress!, n, xp.baseAddress!, nrhs)
            }
        }
        try Matrix.check(info: info, "solvePositiveDefinite (posv)", failure: Matrix.notPositiveDefinite)
        return x
    }

    /// The inverse of a symmetric positive definite matrix (LAPACK potrf then potri), symmetric
    /// with both triangles filled.
    /// - Throws: as ``cholesky()``.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func inversePositiveDefinite() throws -> Matrix {
        var l = try cholesky().lower
        if rows == 0 { return l }
        let n = try LinalgError.int32(rows, "potri")
        let info = l.storage.withUnsafeMutableBufferPointer { Scalar._potri(true, n, $0.baseAddress!, n) }
        try Matrix.check(info: info, "inversePositiveDefinite (potri)") {
            .invalidArgument("inversePositiveDefinite: matrix is singular (diagonal element \($0) of its factor is zero)")
        }
        l.symmetrize(fromUpper: false)
        return l
    }

    /// The thin singular value decomposition A = U·diag(σ)·Vᵀ (LAPACK gesdd, divide and conquer),
    /// with r = min(m, n): U is m×r, σ has r values in descending order, Vᵀ is r×n.
    /// - Throws: ``LinalgError/nonFiniteInput(operation:)``; ``LinalgError/didNotConverge(operation:info:)``.
    /// - Complexity: O(m·n·min(m, n)).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func svd() throws -> SingularValueDecomposition<Scalar> {
        guard isFinite else { throw LinalgError.nonFiniteInput(operation: "svd") }
        let r = min(rows, columns)
        var u = Matrix(rows: rows, columns: r), vt = Matrix(rows: r, columns: columns)
        var s = [Scalar](repeating: 0, count: r)
        if r > 0 {
            var a = self
            let m32 = try LinalgError.int32(rows, "svd"), n32 = try LinalgError.int32(columns, "svd")
            let r32 = try LinalgError.int32(r, "svd")
            let info = a.storage.withUnsafeMutableBufferPointer { ap in
                s.withUnsafeMutableBufferPointer { sp in
                    u.storage.withUnsafeMutableBufferPointer { up in
                        vt.storage.withUnsafeMutableBufferPointer { vp in
                            Scalar._gesdd(m32, n32, ap.baseAddress!, n32, sp.baseAddress!,
                                          up.baseAddress!, r32, vp.baseAddress!, n32)
                        }
                    }
                }
            }
            try Matrix.check(info: info, "svd (gesdd)")
        }
        return SingularValueDecomposition(u: u, singularValues: s, vt: vt)
    }

    /// Eigenvalues (ascending) and orthonormal eigenvectors (the columns of `vectors`) of a
    /// symmetric matrix (LAPACK syevd). Only the upper triangle of `self` is read.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func symmetricEigen() throws -> (values: [Scalar], vectors: Matrix) {
        try checkSquareFinite("symmetricEigen")
        var v = self
        var w = [Scalar](repeating: 0, count: rows)
        if rows > 0 {
            let n = try LinalgError.int32(rows, "syevd")
            let info = v.storage.withUnsafeMutableBufferPointer { vp in
                w.withUnsafeMutableBufferPointer { Scalar._syevd(n, vp.baseAddress!, n, $0.baseAddress!) }
            }
            try Matrix.check(info: info, "symmetricEigen (syevd)")
        }
        return (w, v)
    }

    /// The thin QR decomposition A = Q·R with r = min(m, n): Q is m×r with orthonormal columns,
    /// R is r×n upper triangular (LAPACK geqrf then orgqr).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func thinQR() throws -> (q: Matrix, r: Matrix) {
        guard isFinite else { throw LinalgError.nonFiniteInput(operation: "thinQR") }
        let k = min(rows, columns)
        var r = Matrix(rows: k, columns: columns)
        if k == 0 { return (Matrix(rows: rows, columns: 0), r) }
        var a = self
        var tau = [Scalar](repeating: 0, count: k)
        let m32 = try LinalgError.int32(rows, "qr"), n32 = try LinalgError.int32(columns, "qr")
        let k32 = try LinalgError.int32(k, "qr")
        var info = a.storage.withUnsafeMutableBufferPointer { ap in
            tau.withUnsafeMutableBufferPointer { Scalar._geqrf(m32, n32, ap.baseAddress!, n32, $0.baseAddress!) }
        }
        try Matrix.check(info: info, "thinQR (geqrf)")
        for i in 0..<k { for j in i..<columns { r.storage[i * columns + j] = a.storage[i * columns + j] } }
        info = a.storage.withUnsafeMutableBufferPointer { ap in
            tau.withUnsafeBufferPointer { Scalar._orgqr(m32, k32, k32, ap.baseAddress!, n32, $0.baseAddress!) }
        }
        try Matrix.check(info: info, "thinQR (orgqr)")
        let q = k == columns ? a : Matrix.leadingColumns(of: a, k)
        return (q, r)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func leadingColumns(of a: Matrix, _ k: Int) -> Matrix {
        var q = Matrix(rows: a.rows, columns: k)
        for i in 0..<a.rows { for j in 0..<k { q.storage[i * k + j] = a.storage[i * a.columns + j] } }
        return q
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func checkSquareFinite(_ operation: String) throws {
        guard rows == columns else { throw LinalgError.notSquare(operation: operation, shape: shape) }
        guard isFinite else { throw LinalgError.nonFiniteInput(operation: operation) }
    }

    /// Maps LAPACK's `info` to an error. Negative: an argument was invalid (a bug of ours, or a
    /// NaN caught by LAPACKE's own check); positive: the routine's own failure, described by
    /// `failure` (by default: did not converge).
    static func check(info: Int32, _ operation: String,
                      failure: ((Int) -> LinalgError)? = nil) throws {
        if info == 0 { return }
        if info < 0 { throw LinalgError.invalidArgument("\(operation): LAPACK rejected argument \(-info)") }
        throw failure?(Int(info)) ?? LinalgError.didNotConverge(operation: operation, info: Int(info))
    }

    static func notPositiveDefinite(_ minor: Int) -> LinalgError { .notPositiveDefinite(leadingMinor: minor) }
}

/// The Cholesky factorization A = L·Lᵀ of a symmetric positive definite matrix.
public struct CholeskyFactorization<Scalar: LinalgScalar>: Sendable {
    /// The lower-triangular factor L (upper triangle zero).
    public let lower: Matrix<Scalar>

    /// The solution X of A·X = B (LAPACK potrs).
    public func solve(_ b: Matrix<Scalar>) throws -> Matrix<Scalar> {
        guard b.rows == lower.rows else {
            throw LinalgError.shapeMismatch(operation: "cholesky solve", lhs: lower.shape, rhs: b.shape)
        }
        guard b.isFinite else { throw LinalgError.nonFiniteInput(operation: "cholesky solve") }
        if b.rows == 0 || b.columns == 0 { return b }
        var x = b
        let n = try LinalgError.int32(lower.rows, "potrs"), nrhs = try LinalgError.int32(b.columns, "potrs")
        let info = lower.storage.withUnsafeBufferPointer { lp in
            x.storage.withUnsafeMutableBufferPointer { xp in
                Scalar._potrs(true, n, nrhs, lp.baseAddress!, n, xp.baseAddress!, nrhs)
            }
        }
        try Matrix<Scalar>.check(info: info, "cholesky solve (potrs)")
        return x
    }

    /// The solution x of A·x = b for one right-hand side.
    public func solve(_ b: [Scalar]) throws -> [Scalar] {
        try solve(Matrix(rows: b.count, columns: 1, elements: b)).elements
    }
}

/// A thin singular value decomposition A = U·diag(σ)·Vᵀ.
public struct SingularValueDecomposition<Scalar: LinalgScalar>: Sendable {
    /// Left singular vectors, m×r, orthonormal columns.
    public var u: Matrix<Scalar>
    /// Singular values, descending.
    public var singularValues: [Scalar]
    /// Right singular vectors transposed, r×n, orthonormal rows.
    public var vt: Matrix<Scalar>

    public init(u: Matrix<Scalar>, singularValues: [Scalar], vt: Matrix<Scalar>) {
        self.u = u; self.singularValues = singularValues; self.vt = vt
    }

    /// U·diag(σ)·Vᵀ.
    public func reconstructed() throws -> Matrix<Scalar> {
        var us = u
        for i in 0..<us.rows { for j in 0..<us.columns { us.storage[i * us.columns + j] *= singularValues[j] } }
        return try us.matmul(vt)
    }
}
