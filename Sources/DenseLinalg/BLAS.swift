/// Safe level-1 BLAS on contiguous vectors (`[Scalar]`, or any contiguous buffer).
///
/// Lengths are checked: mismatched vectors throw ``LinalgError/shapeMismatch(operation:lhs:rhs:)``.
/// Vectors longer than `Int32.max` are processed in chunks.
public enum BLAS {
    static let chunk = Int(Int32.max)

    /// The dot product xᵀy.
    public static func dot<T: LinalgScalar>(_ x: [T], _ y: [T]) throws -> T {
        try checkLengths("dot", x.count, y.count)
        return x.withUnsafeBufferPointer { xp in y.withUnsafeBufferPointer { yp in dot(xp, yp) } }
    }

    /// y ← αx + y.
    public static func axpy<T: LinalgScalar>(_ alpha: T, _ x: [T], _ y: inout [T]) throws {
        try checkLengths("axpy", x.count, y.count)
        uncheckedAxpy(alpha, x, &y)
    }

    /// x ← αx.
    public static func scale<T: LinalgScalar>(_ x: inout [T], by alpha: T) {
        x.withUnsafeMutableBufferPointer { xp in
            var start = 0
            while start < xp.count {
                let n = min(chunk, xp.count - start)
                T._scal(Int32(n), alpha, xp.baseAddress! + start, 1)
                start += n
            }
        }
    }

    /// The Euclidean norm ‖x‖₂ (computed without overflow).
    public static func norm<T: LinalgScalar>(_ x: [T]) -> T {
        x.withUnsafeBufferPointer { norm($0) }
    }

    // MARK: Buffer forms, for kernels that already hold pointers.

    /// xᵀy over two buffers of equal length.
    @inlinable
    public static func dot<T: LinalgScalar>(_ x: UnsafeBufferPointer<T>, _ y: UnsafeBufferPointer<T>) -> T {
        precondition(x.count == y.count, "dot: lengths \(x.count) and \(y.count) differ")
        var sum: T = 0, start = 0
        while start < x.count {
            let n = Swift.min(Int(Int32.max), x.count - start)
            sum += T._dot(Int32(n), x.baseAddress! + start, 1, y.baseAddress! + start, 1)
            start += n
        }
        return sum
    }

    /// ‖x‖₂ over a buffer.
    public static func norm<T: LinalgScalar>(_ x: UnsafeBufferPointer<T>) -> T {
        if x.isEmpty { return 0 }
        if x.count <= chunk { return T._nrm2(Int32(x.count), x.baseAddress!, 1) }
        var squares: T = 0, start = 0
        while start < x.count {
            let n = min(chunk, x.count - start)
            let part = T._nrm2(Int32(n), x.baseAddress! + start, 1)
            squares += part * part
            start += n
        }
        return squares.squareRoot()
    }

    /// y ← αx + y over buffers of equal length.
    @inlinable
    public static func axpy<T: LinalgScalar>(_ alpha: T, _ x: UnsafeBufferPointer<T>, _ y: UnsafeMutableBufferPointer<T>) {
        precondition(x.count == y.count, "axpy: lengths \(x.count) and \(y.count) differ")
        var start = 0
        while start < x.count {
            let n = Swift.min(Int(Int32.max), x.count - start)
            T._axpy(Int32(n), alpha, x.baseAddress! + start, 1, y.baseAddress! + start, 1)
            start += n
        }
    }

    static func uncheckedAxpy<T: LinalgScalar>(_ alpha: T, _ x: [T], _ y: inout [T]) {
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in axpy(alpha, xp, yp) } }
    }

    static func checkLengths(_ operation: String, _ a: Int, _ b: Int) throws {
        guard a == b else { throw LinalgError.shapeMismatch(operation: operation, lhs: Shape(a, 1), rhs: Shape(b, 1)) }
    }
}
