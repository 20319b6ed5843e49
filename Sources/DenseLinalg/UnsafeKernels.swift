/// Vectorised inner loops over raw `Float` buffers, for kernel code that already holds pointers
/// (sparse products, ALS conjugate gradient). Lengths are not checked: callers guarantee them.
///
/// They exist because a BLAS call costs more than the work for the short vectors (a factor
/// row, 16–256 floats) that sparse kernels touch once per nonzero.
import CRecommendKernels
import CBLAS
import Foundation

public enum UnsafeKernels {
    #if arch(x86_64)
    /// Whether the CPU runs AVX2 and FMA: the gathered accumulation then uses the shim's AVX2
    /// loop (the build targets baseline x86-64, where SIMD16 lowers to four SSE operations).
    /// A fact about the CPU; whether the kernels use it is the caller's ``SIMDPolicy``.
    public static let hasAVX2FMA: Bool = recommend_has_avx2_fma() != 0
    /// Whether this CPU converts between single and half precision in hardware (F16C).
    public static let hasF16C: Bool = recommend_has_f16c() != 0
    /// Whether this CPU runs AVX-512F (and the OS saves its registers).
    public static let hasAVX512F: Bool = recommend_has_avx512f() != 0

    /// How many nonzeros ahead the sparse product prefetches its gathered rows, across row
    /// boundaries (measurements: docs/benchmarks.md, "Design measurements").
    static let spmmPrefetchDistance = 16
    #endif

    /// Hints that the memory at `p` will be read soon. It only moves data into cache.
    @inlinable @inline(__always)
    public static func prefetch(_ p: UnsafeRawPointer) { recommend_prefetch(p) }

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
        var sum = horizontalSum(acc0 + acc1)
        while i < n { sum += x[i] * y[i]; i += 1 }
        return sum
    }

    /// The sum of a vector's lanes by a balanced tree (log₂ 16 = 4 dependent adds), where
    /// `SIMD.sum()` adds the lanes in order (16 dependent adds).
    @inlinable @inline(__always)
    public static func horizontalSum(_ v: Vector) -> Float {
        let v8 = v.lowHalf + v.highHalf
        let v4 = v8.lowHalf + v8.highHalf
        let v2 = v4.lowHalf + v4.highHalf
        return v2[0] + v2[1]
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

    /// Whether any of the 32 floats from `p` is greater than `threshold` (NaN never is). The
    /// scans that keep the best few of long score rows call it once per 32 scores and look at
    /// single scores only in the rare blocks where it answers yes.
    @inlinable @inline(__always)
    public static func any32(_ p: UnsafePointer<Float>, above threshold: Float) -> Bool {
        let t = Vector(repeating: threshold)
        return any((load(p) .> t) .| (load(p + 16) .> t))
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

extension UnsafeKernels {
    /// C ← α·op(A)·op(B) + β·C on raw row-major Float buffers (BLAS sgemm), for kernels that
    /// multiply sub-blocks of larger buffers. Dimensions must be positive and fit `Int32`; the
    /// caller guarantees the buffers' extents.
    @inlinable
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(m > 0 && n > 0 && k > 0 && max(m, n, k, lda, ldb, ldc) <= Int(Int32.max), "gemm: invalid dimensions")
        Float._gemm(transposeA, transposeB, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda),
                    b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension UnsafeKernels {
    /// A transposed copy: `output[j·outputStride + i] = input[i·inputStride + j]` for
    /// `i < rows`, `j < columns` (4 × 4 register tiles on x86-64).
    @inlinable
    public static func transpose(_ input: UnsafePointer<Float>, stride inputStride: Int, rows: Int, columns: Int,
                                 into output: UnsafeMutablePointer<Float>, stride outputStride: Int) {
        recommend_transpose(input, inputStride, output, outputStride, rows, columns)
    }
}

extension UnsafeKernels {
    /// Gathered dot products: `out[q] = rows[index[q]] · x` for `q < count`, where row `j` of
    /// `rows` starts at `rows + j·k`.
    /// Any `count` ≥ 0 (no row is read when it is 0).
    @inlinable public static func gatherDots(rows: UnsafePointer<Float>, k: Int, indices: UnsafePointer<Int32>, count: Int,
                                             x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, simd: SIMDPolicy = .automatic) {
        #if arch(x86_64)
        if simd.avx2, recommend_gather_dots_avx2(rows, k, indices, count, x, out) != 0 { return }
        #endif
        if k == 64 {
            let x0 = load(x), x1 = load(x + 16), x2 = load(x + 32), x3 = load(x + 48)
            for q in 0..<count {
                if q + 8 < count { let ahead = rows + Int(indices[q + 8]) * 64; prefetch(ahead); prefetch(ahead + 16); prefetch(ahead + 32); prefetch(ahead + 48) }
                let r = rows + Int(indices[q]) * 64
                out[q] = horizontalSum((load(r) * x0 + load(r + 16) * x1) + (load(r + 32) * x2 + load(r + 48) * x3))
            }
            return
        }
        if k % 16 == 0 {
            // Any multiple of 16 (96, 128, …): the same prefetch of a row eight ahead, every line of it.
            for q in 0..<count {
                if q + 8 < count { prefetchRow(rows + Int(indices[q + 8]) * k, k) }
                out[q] = dot(rows + Int(indices[q]) * k, x, k)
            }
            return
        }
        for q in 0..<count { out[q] = dot(rows + Int(indices[q]) * k, x, k) }
    }

    /// Prefetches every 64-byte line of a row of `k` floats.
    @inlinable @inline(__always)
    public static func prefetchRow(_ row: UnsafePointer<Float>, _ k: Int) {
        if k == 64 { prefetch(row); prefetch(row + 16); prefetch(row + 32); prefetch(row + 48); return }
        var offset = 0
        while offset < k { prefetch(row + offset); offset += 16 }
    }

    /// Gathered accumulation: `y += Σ_q weights[q] · rows[index[q]]` (length k), with the
    /// accumulator held in registers, 64 lanes at a time.
    /// Any `count` ≥ 0 (`y` is left as it is when it is 0).
    @inlinable public static func gatherAxpy(rows: UnsafePointer<Float>, k: Int, indices: UnsafePointer<Int32>, count: Int,
                                             weights: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, simd: SIMDPolicy = .automatic) {
        #if arch(x86_64)
        if simd.avx2, recommend_gather_axpy_avx2(rows, k, indices, count, weights, y) != 0 { return }
        #endif
        var c = 0
        while c + 64 <= k {
            var a0 = load(y + c), a1 = load(y + c + 16), a2 = load(y + c + 32), a3 = load(y + c + 48)
            for q in 0..<count {
                if c == 0, q + 8 < count { prefetchRow(rows + Int(indices[q + 8]) * k, k) }
                let r = rows + Int(indices[q]) * k + c
                let w = Vector(repeating: weights[q])
                a0 += w * load(r); a1 += w * load(r + 16); a2 += w * load(r + 32); a3 += w * load(r + 48)
            }
            store(a0, y + c); store(a1, y + c + 16); store(a2, y + c + 32); store(a3, y + c + 48)
            c += 64
        }
        while c + 16 <= k {
            var a0 = load(y + c)
            for q in 0..<count { a0 += Vector(repeating: weights[q]) * load(rows + Int(indices[q]) * k + c) }
            store(a0, y + c)
            c += 16
        }
        if c < k {
            for q in 0..<count { axpy(weights[q], rows + Int(indices[q]) * k + c, y + c, k - c) }
        }
    }
}
