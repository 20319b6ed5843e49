extension Matrix {
    /// The transpose, as a new row-major matrix. O(rows · columns), blocked for cache reuse.
    @inlinable
    public var transposed: Matrix {
        var t = Matrix(rows: columns, columns: rows)
        let block = 32
        let (r, c) = (rows, columns)
        storage.withUnsafeBufferPointer { src in
            t.storage.withUnsafeMutableBufferPointer { dst in
                var i0 = 0
                while i0 < r {
                    var j0 = 0
                    while j0 < c {
                        for i in i0..<min(i0 + block, r) {
                            for j in j0..<min(j0 + block, c) { dst[j * r + i] = src[i * c + j] }
                        }
                        j0 += block
                    }
                    i0 += block
                }
            }
        }
        return t
    }

    /// The Frobenius norm √(Σ aᵢⱼ²), computed by BLAS nrm2 (scaled, so it does not overflow).
    public var frobeniusNorm: Scalar {
        BLAS.norm(storage)
    }

    /// Whether every element is finite.
    @inlinable
    public var isFinite: Bool {
        storage.withUnsafeBufferPointer { p in
            for x in p where !x.isFinite { return false }
            return true
        }
    }

    /// Whether `self` equals `other` within a relative tolerance:
    /// ‖self − other‖_F ≤ tolerance · max(‖self‖_F, ‖other‖_F), or both are all zero.
    /// Matrices of different shapes are never equal.
    @inlinable
    public func isApproximatelyEqual(to other: Matrix, relativeTolerance: Scalar = Scalar.linalgEpsilon.squareRoot()) -> Bool {
        guard shape == other.shape else { return false }
        var diff: Scalar = 0, a: Scalar = 0, b: Scalar = 0
        for i in 0..<count {
            let d = storage[i] - other.storage[i]
            diff += d * d
            a += storage[i] * storage[i]
            b += other.storage[i] * other.storage[i]
        }
        if !diff.isFinite { return false }
        return diff.squareRoot() <= relativeTolerance * Swift.max(a, b).squareRoot()
    }

    /// The element-wise sum.
    public static func + (lhs: Matrix, rhs: Matrix) throws -> Matrix {
        guard lhs.shape == rhs.shape else { throw LinalgError.shapeMismatch(operation: "add", lhs: lhs.shape, rhs: rhs.shape) }
        var out = lhs
        BLAS.uncheckedAxpy(1, rhs.storage, &out.storage)
        return out
    }

    /// The element-wise difference.
    public static func - (lhs: Matrix, rhs: Matrix) throws -> Matrix {
        guard lhs.shape == rhs.shape else { throw LinalgError.shapeMismatch(operation: "subtract", lhs: lhs.shape, rhs: rhs.shape) }
        var out = lhs
        BLAS.uncheckedAxpy(-1, rhs.storage, &out.storage)
        return out
    }

    /// Every element multiplied by `alpha`.
    public static func * (alpha: Scalar, matrix: Matrix) -> Matrix {
        var out = matrix
        BLAS.scale(&out.storage, by: alpha)
        return out
    }

    /// self −= alpha · other, in place (BLAS axpy).
    /// - Precondition: the same shape.
    public mutating func subtract(_ alpha: Scalar, times other: Matrix) {
        precondition(shape == other.shape, "subtract: shape mismatch")
        BLAS.uncheckedAxpy(-alpha, other.storage, &storage)
    }

    /// The main diagonal.
    @inlinable
    public var diagonal: [Scalar] {
        (0..<Swift.min(rows, columns)).map { storage[$0 * columns + $0] }
    }

    /// Adds `value` to every diagonal element.
    @inlinable
    public mutating func addToDiagonal(_ value: Scalar) {
        for i in 0..<Swift.min(rows, columns) { storage[i * columns + i] += value }
    }

    /// The same elements in Double precision.
    @inlinable
    public func converted<T: LinalgScalar>(to: T.Type) -> Matrix<T> {
        // Safe: same count.
        try! Matrix<T>(rows: rows, columns: columns, elements: storage.map { T($0) })
    }

    /// Copies the upper triangle onto the lower one (or the reverse), making the matrix exactly symmetric.
    @inlinable
    mutating func symmetrize(fromUpper: Bool) {
        let n = rows
        for i in 0..<n {
            for j in (i + 1)..<Swift.max(i + 1, n) {
                if fromUpper { storage[j * n + i] = storage[i * n + j] } else { storage[i * n + j] = storage[j * n + i] }
            }
        }
    }
}
