import CRecommendKernels
import CBLAS

/// Small dense systems on raw buffers, for kernels that solve one system per row (explicit
/// ALS) and would otherwise allocate a ``Matrix`` per row. Inputs are not checked for NaN:
/// callers validate their data once up front.
extension UnsafeKernels {
    /// The upper triangle of C ← Aᵀ·A (n × n, row-major) for A `rows` × n row-major (BLAS syrk);
    /// the lower triangle is left as it was.
    /// With `accumulate`, C's upper triangle gains Aᵀ·A instead.
    @inlinable
    public static func gramUpper(_ a: UnsafePointer<Float>, rows: Int, columns n: Int, into c: UnsafeMutablePointer<Float>,
                                 accumulate: Bool = false) {
        precondition(rows > 0 && n > 0 && max(rows, n) <= Int(Int32.max), "gramUpper: invalid dimensions")
        Float._syrk(true, Int32(n), Int32(rows), 1, a, Int32(n), accumulate ? 1 : 0, c, Int32(n))
    }

    /// Solves A·x = b in place for symmetric positive definite A (n × n, row-major, upper
    /// triangle read and overwritten by its Cholesky factor; LAPACK posv). Returns LAPACK's
    /// info: 0 on success, i > 0 when the leading minor of order i is not positive definite.
    @inlinable
    public static func solvePositiveDefinite(_ a: UnsafeMutablePointer<Float>, order n: Int, _ b: UnsafeMutablePointer<Float>) -> Int32 {
        precondition(n > 0 && n <= Int(Int32.max), "solvePositiveDefinite: invalid order")
        return Float._posv(false, Int32(n), 1, a, Int32(n), b, 1)
    }
}

extension UnsafeKernels {
    /// `sweeps` sweeps of non-negative coordinate descent (HALS) over a block of rows held
    /// transposed, in AVX2: `ft` and `at` are k rows `stride` floats apart (row j = column j of
    /// F and of A for the block's `rows` rows), `gram` the k × k symmetric B, `scales[j]` =
    /// 1 / (bⱼⱼ + l2), or 0 to leave column j alone. Each sweep sets, for j = 1…k in order,
    /// fᵢⱼ ← max(0, (aᵢⱼ − Σ_{l≠j} fᵢₗ bₗⱼ − l1) · scales[j]).
    /// Returns false, doing nothing, without AVX2 + FMA or unless k is a multiple of 4 and `rows`
    /// of 16.
    @inlinable
    public static func halsSweeps(_ ft: UnsafeMutablePointer<Float>, _ at: UnsafePointer<Float>, stride: Int, rows: Int,
                                  gram: UnsafePointer<Float>, k: Int, scales: UnsafePointer<Float>, l1: Float, sweeps: Int,
                                  simd: SIMDPolicy = .automatic) -> Bool {
        #if arch(x86_64)
        return simd.avx2 && recommend_hals_sweeps_avx2(ft, at, stride, rows, gram, k, scales, l1, sweeps) != 0
        #else
        return false
        #endif
    }
}

extension UnsafeKernels {
    /// Whether ``toHalf(_:into:count:)`` and the half-precision sparse products run here, for
    /// rows of k values (AVX2 and F16C, k = 64 or 80).
    public static func hasHalfProducts(k: Int, simd: SIMDPolicy = .automatic) -> Bool {
        #if arch(x86_64)
        return simd.avx2 && hasF16C && (k == 64 || k == 80)
        #else
        return false
        #endif
    }

    /// out[i] = input[i] rounded to half precision (IEEE binary16 bits), i < count. Call only
    /// where ``hasHalfProducts(k:)`` or ``hasHalfGathers(k:)`` holds.
    public static func toHalf(_ input: UnsafePointer<Float>, into out: UnsafeMutablePointer<UInt16>, count: Int) {
        #if arch(x86_64)
        recommend_to_half(input, out, count)
        #else
        preconditionFailure("no half-precision conversion on this CPU")
        #endif
    }
}

extension UnsafeKernels {
    /// Whether ``gatherDots(halfRows:k:indices:count:x:out:)`` and
    /// ``gatherAxpy(halfRows:k:indices:count:weights:y:)`` run here: AVX2, FMA and F16C, k a
    /// multiple of 64.
    public static func hasHalfGathers(k: Int, simd: SIMDPolicy = .automatic) -> Bool {
        #if arch(x86_64)
        return simd.avx2 && hasF16C && k > 0 && k % 64 == 0
        #else
        return false
        #endif
    }

    /// ``gatherDots(rows:k:indices:count:x:out:)`` with the rows in half precision (IEEE
    /// binary16 bits). Call only where ``hasHalfGathers(k:)`` holds.
    public static func gatherDots(halfRows rows: UnsafePointer<UInt16>, k: Int, indices: UnsafePointer<Int32>, count: Int,
                                  x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>) {
        #if arch(x86_64)
        requireHalfKernel(recommend_gather_dots_half_avx2(rows, k, indices, count, x, out))
        #endif
    }

    /// ``gatherAxpy(rows:k:indices:count:weights:y:)`` with the rows in half precision. Call
    /// only where ``hasHalfGathers(k:)`` holds.
    public static func gatherAxpy(halfRows rows: UnsafePointer<UInt16>, k: Int, indices: UnsafePointer<Int32>, count: Int,
                                  weights: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        #if arch(x86_64)
        requireHalfKernel(recommend_gather_axpy_half_avx2(rows, k, indices, count, weights, y))
        #endif
    }

    /// Traps unless a half-precision kernel ran (it returns 0 for a width it does not handle;
    /// callers check ``hasHalfGathers(k:simd:)`` first, which is false off x86-64).
    @inline(__always)
    static func requireHalfKernel(_ ran: Int32) { precondition(ran != 0, "half gather at an unsupported width") }
}

/// Which sparse term of implicit ALS's per-row system ``UnsafeKernels/conjugateGradientTerms``
/// adds.
public enum ConjugateGradientTerm: Sendable {
    /// Σ (c − (c − 1)·yᵢ·x) yᵢ: the sparse part of the residual b − A·x.
    case residual
    /// Σ (c − 1)(yᵢ·x) yᵢ: the sparse part of A·x.
    case curvature
}

extension UnsafeKernels {
    /// Whether ``conjugateGradientTerms(rows:k:indices:count:confidences:uniform:term:x:out:)``
    /// runs for factor rows of `k` values under `simd` (AVX-512F and k = 64).
    @inlinable
    public static func hasConjugateGradientTerms(k: Int, simd: SIMDPolicy) -> Bool {
        #if arch(x86_64)
        return simd.avx512 && k == 64
        #else
        return false
        #endif
    }

    /// out[0..<k] += Σ_q w_q·y_q over the rows y_q = rows[indices[q]] (k floats each), with
    /// w_q = c_q − (c_q − 1)(y_q·x) for `.residual` and (c_q − 1)(y_q·x) for `.curvature`;
    /// c_q = confidences[q], or `uniform` when `confidences` is nil. One pass: each row's dot
    /// product and accumulation share its load (the two-pass path is gatherDots then
    /// gatherAxpy). Call only where ``hasConjugateGradientTerms(k:simd:)`` holds.
    @inlinable
    public static func conjugateGradientTerms(rows: UnsafePointer<Float>, k: Int, indices: UnsafePointer<Int32>, count: Int,
                                              confidences: UnsafePointer<Float>?, uniform: Float, term: ConjugateGradientTerm,
                                              x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>) {
        #if arch(x86_64)
        requireFusedKernel(recommend_cg_terms_avx512(rows, k, indices, count, confidences, uniform,
                                                     term == .residual ? 1 : 0, x, out))
        #endif
    }

    /// ``conjugateGradientTerms(rows:k:indices:count:confidences:uniform:term:x:out:)`` with
    /// the rows in half precision (IEEE binary16 bits), converted in registers.
    @inlinable
    public static func conjugateGradientTerms(halfRows rows: UnsafePointer<UInt16>, k: Int, indices: UnsafePointer<Int32>, count: Int,
                                              confidences: UnsafePointer<Float>?, uniform: Float, term: ConjugateGradientTerm,
                                              x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>) {
        #if arch(x86_64)
        requireFusedKernel(recommend_cg_terms_half_avx512(rows, k, indices, count, confidences, uniform,
                                                          term == .residual ? 1 : 0, x, out))
        #endif
    }

    @usableFromInline
    static func requireFusedKernel(_ ran: Int32) { precondition(ran != 0, "fused CG terms at an unsupported width") }
}
