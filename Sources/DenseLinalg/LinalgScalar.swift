import CBLAS
import CLapacke

/// The floating-point types the linear-algebra layer computes in: `Float` and `Double`.
///
/// The underscored requirements forward, one line each, to the BLAS and LAPACK routine of the
/// matching precision (`cblas_s…`/`cblas_d…`, `LAPACKE_s…`/`LAPACKE_d…`). They take raw pointers
/// and are not meant to be called directly: use the safe methods of ``Matrix`` and ``BLAS``.
public protocol LinalgScalar: BinaryFloatingPoint, Sendable, CustomStringConvertible
where RawSignificand: FixedWidthInteger {
    /// Machine epsilon of the type, as used in default tolerances.
    static var linalgEpsilon: Self { get }

    static func _gemm(_ transA: Bool, _ transB: Bool, _ m: Int32, _ n: Int32, _ k: Int32,
                      _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int32,
                      _ b: UnsafePointer<Self>, _ ldb: Int32,
                      _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int32)
    static func _gemv(_ trans: Bool, _ m: Int32, _ n: Int32, _ alpha: Self,
                      _ a: UnsafePointer<Self>, _ lda: Int32, _ x: UnsafePointer<Self>, _ incx: Int32,
                      _ beta: Self, _ y: UnsafeMutablePointer<Self>, _ incy: Int32)
    static func _syrk(_ trans: Bool, _ n: Int32, _ k: Int32, _ alpha: Self,
                      _ a: UnsafePointer<Self>, _ lda: Int32, _ beta: Self,
                      _ c: UnsafeMutablePointer<Self>, _ ldc: Int32)
    static func _dot(_ n: Int32, _ x: UnsafePointer<Self>, _ incx: Int32,
                     _ y: UnsafePointer<Self>, _ incy: Int32) -> Self
    static func _axpy(_ n: Int32, _ alpha: Self, _ x: UnsafePointer<Self>, _ incx: Int32,
                      _ y: UnsafeMutablePointer<Self>, _ incy: Int32)
    static func _scal(_ n: Int32, _ alpha: Self, _ x: UnsafeMutablePointer<Self>, _ incx: Int32)
    static func _nrm2(_ n: Int32, _ x: UnsafePointer<Self>, _ incx: Int32) -> Self

    // LAPACK, always with LAPACK_ROW_MAJOR layout. Return LAPACK's `info`.
    static func _potrf(_ lower: Bool, _ n: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32) -> Int32
    static func _potrs(_ lower: Bool, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Self>, _ lda: Int32,
                       _ b: UnsafeMutablePointer<Self>, _ ldb: Int32) -> Int32
    static func _posv(_ lower: Bool, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32,
                      _ b: UnsafeMutablePointer<Self>, _ ldb: Int32) -> Int32
    static func _potri(_ lower: Bool, _ n: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32) -> Int32
    static func _gesdd(_ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32,
                       _ s: UnsafeMutablePointer<Self>, _ u: UnsafeMutablePointer<Self>, _ ldu: Int32,
                       _ vt: UnsafeMutablePointer<Self>, _ ldvt: Int32) -> Int32
    static func _syevd(_ n: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32,
                       _ w: UnsafeMutablePointer<Self>) -> Int32
    static func _geqrf(_ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32,
                       _ tau: UnsafeMutablePointer<Self>) -> Int32
    static func _orgqr(_ m: Int32, _ n: Int32, _ k: Int32, _ a: UnsafeMutablePointer<Self>, _ lda: Int32,
                       _ tau: UnsafePointer<Self>) -> Int32
}

@inline(__always) private func op(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }
@inline(__always) private func uplo(_ lower: Bool) -> CBLAS_UPLO { lower ? CblasLower : CblasUpper }
@inline(__always) private func lapackUplo(_ lower: Bool) -> CChar { lower ? CChar(UInt8(ascii: "L")) : CChar(UInt8(ascii: "U")) }
private let rowMajor = Int32(LAPACK_ROW_MAJOR)
/// The symmetric routines (potrf, potri; potrs and posv with one right-hand side) read a
/// row-major triangle as the column-major opposite triangle of the same symmetric matrix, so
/// they run column-major with the triangle flipped: LAPACKE then neither transposes nor
/// NaN-scans (the `_work` entry points; callers check finiteness first). For 100 × 100 ALS
/// systems the copies and scans cost more than the factorisation.
private let colMajor = Int32(LAPACK_COL_MAJOR)
private let jobzS = CChar(UInt8(ascii: "S"))
private let jobzV = CChar(UInt8(ascii: "V"))

extension Float: LinalgScalar {
    public static var linalgEpsilon: Float { .ulpOfOne }

    public static func _gemm(_ transA: Bool, _ transB: Bool, _ m: Int32, _ n: Int32, _ k: Int32,
                             _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int32,
                             _ b: UnsafePointer<Float>, _ ldb: Int32,
                             _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int32) {
        cblas_sgemm(CblasRowMajor, op(transA), op(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
    public static func _gemv(_ trans: Bool, _ m: Int32, _ n: Int32, _ alpha: Float,
                             _ a: UnsafePointer<Float>, _ lda: Int32, _ x: UnsafePointer<Float>, _ incx: Int32,
                             _ beta: Float, _ y: UnsafeMutablePointer<Float>, _ incy: Int32) {
        cblas_sgemv(CblasRowMajor, op(trans), m, n, alpha, a, lda, x, incx, beta, y, incy)
    }
    public static func _syrk(_ trans: Bool, _ n: Int32, _ k: Int32, _ alpha: Float,
                             _ a: UnsafePointer<Float>, _ lda: Int32, _ beta: Float,
                             _ c: UnsafeMutablePointer<Float>, _ ldc: Int32) {
        cblas_ssyrk(CblasRowMajor, CblasUpper, op(trans), n, k, alpha, a, lda, beta, c, ldc)
    }
    public static func _dot(_ n: Int32, _ x: UnsafePointer<Float>, _ incx: Int32,
                            _ y: UnsafePointer<Float>, _ incy: Int32) -> Float {
        cblas_sdot(n, x, incx, y, incy)
    }
    public static func _axpy(_ n: Int32, _ alpha: Float, _ x: UnsafePointer<Float>, _ incx: Int32,
                             _ y: UnsafeMutablePointer<Float>, _ incy: Int32) {
        cblas_saxpy(n, alpha, x, incx, y, incy)
    }
    public static func _scal(_ n: Int32, _ alpha: Float, _ x: UnsafeMutablePointer<Float>, _ incx: Int32) {
        cblas_sscal(n, alpha, x, incx)
    }
    public static func _nrm2(_ n: Int32, _ x: UnsafePointer<Float>, _ incx: Int32) -> Float {
        cblas_snrm2(n, x, incx)
    }
    public static func _potrf(_ lower: Bool, _ n: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32) -> Int32 {
        LAPACKE_spotrf_work(colMajor, lapackUplo(!lower), n, a, lda)
    }
    public static func _potrs(_ lower: Bool, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Float>, _ lda: Int32,
                              _ b: UnsafeMutablePointer<Float>, _ ldb: Int32) -> Int32 {
        nrhs == 1 ? LAPACKE_spotrs_work(colMajor, lapackUplo(!lower), n, 1, a, lda, b, max(1, n))
            : LAPACKE_spotrs(rowMajor, lapackUplo(lower), n, nrhs, a, lda, b, ldb)
    }
    public static func _posv(_ lower: Bool, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32,
                             _ b: UnsafeMutablePointer<Float>, _ ldb: Int32) -> Int32 {
        nrhs == 1 ? LAPACKE_sposv_work(colMajor, lapackUplo(!lower), n, 1, a, lda, b, max(1, n))
            : LAPACKE_sposv(rowMajor, lapackUplo(lower), n, nrhs, a, lda, b, ldb)
    }
    public static func _potri(_ lower: Bool, _ n: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32) -> Int32 {
        LAPACKE_spotri_work(colMajor, lapackUplo(!lower), n, a, lda)
    }
    public static func _gesdd(_ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32,
                              _ s: UnsafeMutablePointer<Float>, _ u: UnsafeMutablePointer<Float>, _ ldu: Int32,
                              _ vt: UnsafeMutablePointer<Float>, _ ldvt: Int32) -> Int32 {
        LAPACKE_sgesdd(rowMajor, jobzS, m, n, a, lda, s, u, ldu, vt, ldvt)
    }
    public static func _syevd(_ n: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32,
                              _ w: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_ssyevd(rowMajor, jobzV, lapackUplo(false), n, a, lda, w)
    }
    public static func _geqrf(_ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32,
                              _ tau: UnsafeMutablePointer<Float>) -> Int32 {
        LAPACKE_sgeqrf(rowMajor, m, n, a, lda, tau)
    }
    public static func _orgqr(_ m: Int32, _ n: Int32, _ k: Int32, _ a: UnsafeMutablePointer<Float>, _ lda: Int32,
                              _ tau: UnsafePointer<Float>) -> Int32 {
        LAPACKE_sorgqr(rowMajor, m, n, k, a, lda, tau)
    }
}

extension Double: LinalgScalar {
    public static var linalgEpsilon: Double { .ulpOfOne }

    public static func _gemm(_ transA: Bool, _ transB: Bool, _ m: Int32, _ n: Int32, _ k: Int32,
                             _ alpha: Double, _ a: UnsafePointer<Double>, _ lda: Int32,
                             _ b: UnsafePointer<Double>, _ ldb: Int32,
                             _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int32) {
        cblas_dgemm(CblasRowMajor, op(transA), op(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
    public static func _gemv(_ trans: Bool, _ m: Int32, _ n: Int32, _ alpha: Double,
                             _ a: UnsafePointer<Double>, _ lda: Int32, _ x: UnsafePointer<Double>, _ incx: Int32,
                             _ beta: Double, _ y: UnsafeMutablePointer<Double>, _ incy: Int32) {
        cblas_dgemv(CblasRowMajor, op(trans), m, n, alpha, a, lda, x, incx, beta, y, incy)
    }
    public static func _syrk(_ trans: Bool, _ n: Int32, _ k: Int32, _ alpha: Double,
                             _ a: UnsafePointer<Double>, _ lda: Int32, _ beta: Double,
                             _ c: UnsafeMutablePointer<Double>, _ ldc: Int32) {
        cblas_dsyrk(CblasRowMajor, CblasUpper, op(trans), n, k, alpha, a, lda, beta, c, ldc)
    }
    public static func _dot(_ n: Int32, _ x: UnsafePointer<Double>, _ incx: Int32,
                            _ y: UnsafePointer<Double>, _ incy: Int32) -> Double {
        cblas_ddot(n, x, incx, y, incy)
    }
    public static func _axpy(_ n: Int32, _ alpha: Double, _ x: UnsafePointer<Double>, _ incx: Int32,
                             _ y: UnsafeMutablePointer<Double>, _ incy: Int32) {
        cblas_daxpy(n, alpha, x, incx, y, incy)
    }
    public static func _scal(_ n: Int32, _ alpha: Double, _ x: UnsafeMutablePointer<Double>, _ incx: Int32) {
        cblas_dscal(n, alpha, x, incx)
    }
    public static func _nrm2(_ n: Int32, _ x: UnsafePointer<Double>, _ incx: Int32) -> Double {
        cblas_dnrm2(n, x, incx)
    }
    public static func _potrf(_ lower: Bool, _ n: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32) -> Int32 {
        LAPACKE_dpotrf_work(colMajor, lapackUplo(!lower), n, a, lda)
    }
    public static func _potrs(_ lower: Bool, _ n: Int32, _ nrhs: Int32, _ a: UnsafePointer<Double>, _ lda: Int32,
                              _ b: UnsafeMutablePointer<Double>, _ ldb: Int32) -> Int32 {
        nrhs == 1 ? LAPACKE_dpotrs_work(colMajor, lapackUplo(!lower), n, 1, a, lda, b, max(1, n))
            : LAPACKE_dpotrs(rowMajor, lapackUplo(lower), n, nrhs, a, lda, b, ldb)
    }
    public static func _posv(_ lower: Bool, _ n: Int32, _ nrhs: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32,
                             _ b: UnsafeMutablePointer<Double>, _ ldb: Int32) -> Int32 {
        nrhs == 1 ? LAPACKE_dposv_work(colMajor, lapackUplo(!lower), n, 1, a, lda, b, max(1, n))
            : LAPACKE_dposv(rowMajor, lapackUplo(lower), n, nrhs, a, lda, b, ldb)
    }
    public static func _potri(_ lower: Bool, _ n: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32) -> Int32 {
        LAPACKE_dpotri_work(colMajor, lapackUplo(!lower), n, a, lda)
    }
    public static func _gesdd(_ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32,
                              _ s: UnsafeMutablePointer<Double>, _ u: UnsafeMutablePointer<Double>, _ ldu: Int32,
                              _ vt: UnsafeMutablePointer<Double>, _ ldvt: Int32) -> Int32 {
        LAPACKE_dgesdd(rowMajor, jobzS, m, n, a, lda, s, u, ldu, vt, ldvt)
    }
    public static func _syevd(_ n: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32,
                              _ w: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dsyevd(rowMajor, jobzV, lapackUplo(false), n, a, lda, w)
    }
    public static func _geqrf(_ m: Int32, _ n: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32,
                              _ tau: UnsafeMutablePointer<Double>) -> Int32 {
        LAPACKE_dgeqrf(rowMajor, m, n, a, lda, tau)
    }
    public static func _orgqr(_ m: Int32, _ n: Int32, _ k: Int32, _ a: UnsafeMutablePointer<Double>, _ lda: Int32,
                              _ tau: UnsafePointer<Double>) -> Int32 {
        LAPACKE_dorgqr(rowMajor, m, n, k, a, lda, tau)
    }
}
