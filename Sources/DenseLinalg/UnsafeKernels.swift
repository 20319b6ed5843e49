/// Vectorised inner loops over raw `Float` buffers, for kernel code that already holds pointers
/// (sparse products, ALS conjugate gradient). Lengths are not checked: callers guarantee them.
///
/// They exist because a BLAS call costs more than the work for the short vectors (a factor
/// row, 16–256 floats) that sparse kernels touch once per nonzero.
public enum UnsafeKernels {
    public typealias Vector = SIMD16<Float>

    @inlinable @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inlinable @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    /// Σᵢ x[i]·y[i] over `n` elements.
    @inlinable @inline(__always)
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = Vector(), acc1 = Vector()
        var i = 0
        while i + 32 <= n {
            acc0 += load(x + i) * load(y + i)
            acc1 += load(x + i + 16) * load(y + i + 16)
            i += 32
        }
        if i + 16 <= n {
            acc0 += load(x + i) * load(y + i)
            i += 16
        }
        var sum = (acc0 + acc1).sum()
        while i < n { sum += x[i] * y[i]; i += 1 }
        return sum
    }

    /// y[i] += alpha·x[i] over `n` elements.
    @inlinable @inline(__always)
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let a = Vector(repeating: alpha)
        var i = 0
        while i + 16 <= n {
            store(load(y + i) + a * load(x + i), y + i)
            i += 16
        }
        while i < n { y[i] += alpha * x[i]; i += 1 }
    }

    /// x[i] *= alpha over `n` elements.
    @inlinable @inline(__always)
    public static func scale(_ alpha: Float, _ x: UnsafeMutablePointer<Float>, _ n: Int) {
        let a = Vector(repeating: alpha)
        var i = 0
        while i + 16 <= n {
            store(load(x + i) * a, x + i)
            i += 16
        }
        while i < n { x[i] *= alpha; i += 1 }
    }
}
