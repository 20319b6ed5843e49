#include <cblas.h>
#include <limits.h>
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

/// glibc: blocks up to 32 MB from the heap, never trimmed, grown 64 MB at a time (see
/// Allocator.keepFreedMemory()); nothing elsewhere.
static inline void recommend_keep_freed_memory(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
    mallopt(M_TOP_PAD, 64 << 20);
#endif
}

/// A hint that the cache line at `p` will be read soon (no effect on results).
static inline void recommend_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

#if defined(__x86_64__)
#include <immintrin.h>

/// Whether this CPU runs AVX2 and FMA (checked once at run time; the build targets baseline
/// x86-64, where Swift's SIMD types lower to SSE).
static inline int recommend_has_avx2_fma(void) {
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/// The accumulators a0…a9 of one output row of 64 (or, with `wide`, 80) floats at Y: loaded from
/// it, or started at zero when `overwrite` (Y is then not read); a8, a9 only when wide.
#define RECOMMEND_START_ACCUMULATORS(Y) \
    __m256 a0, a1, a2, a3, a4, a5, a6, a7, a8, a9; \
    if (overwrite) { \
        a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = a8 = a9 = _mm256_setzero_ps(); \
    } else { \
        a0 = _mm256_loadu_ps(Y); a1 = _mm256_loadu_ps(Y + 8); a2 = _mm256_loadu_ps(Y + 16); a3 = _mm256_loadu_ps(Y + 24); \
        a4 = _mm256_loadu_ps(Y + 32); a5 = _mm256_loadu_ps(Y + 40); a6 = _mm256_loadu_ps(Y + 48); a7 = _mm256_loadu_ps(Y + 56); \
        a8 = wide ? _mm256_loadu_ps(Y + 64) : _mm256_setzero_ps(); a9 = wide ? _mm256_loadu_ps(Y + 72) : _mm256_setzero_ps(); \
    }
/// Stores them back to Y.
#define RECOMMEND_STORE_ACCUMULATORS(Y) \
    _mm256_storeu_ps(Y, a0); _mm256_storeu_ps(Y + 8, a1); _mm256_storeu_ps(Y + 16, a2); _mm256_storeu_ps(Y + 24, a3); \
    _mm256_storeu_ps(Y + 32, a4); _mm256_storeu_ps(Y + 40, a5); _mm256_storeu_ps(Y + 48, a6); _mm256_storeu_ps(Y + 56, a7); \
    if (wide) { _mm256_storeu_ps(Y + 64, a8); _mm256_storeu_ps(Y + 72, a9); }

/// The lines of a row of 64 (80 when wide) floats, or of as many half-precision values, written
/// out: a loop over a count chosen by `wide` cost SVD ~20% in alternated runs.
#define RECOMMEND_PREFETCH_FLOAT_ROW(A) \
    __builtin_prefetch((A), 0, 3); __builtin_prefetch((A) + 64, 0, 3); __builtin_prefetch((A) + 128, 0, 3); \
    __builtin_prefetch((A) + 192, 0, 3); if (wide) __builtin_prefetch((A) + 256, 0, 3)
#define RECOMMEND_PREFETCH_HALF_ROW(A) \
    __builtin_prefetch((A), 0, 3); __builtin_prefetch((A) + 64, 0, 3); if (wide) __builtin_prefetch((A) + 128, 0, 3)

/// One step of the accumulation over the eight-float lane L of row r.
#define RECOMMEND_FMA_LANE(L) a##L = _mm256_fmadd_ps(w, _mm256_loadu_ps(r + 8 * L), a##L)

/// y[0..<k] += Σ_q weights[q] · rows[indices[q]·k ..< indices[q]·k + k] for k = 80 or any
/// multiple of 64 (returns 0 and does nothing for any other k), with the accumulators in named
/// registers, 64 columns per pass over the gathered rows (AVX2 + FMA; call only when
/// recommend_has_avx2_fma()). Each gathered row is prefetched eight entries ahead. Written out
/// lane by lane: the clang importer does not unroll a loop over an accumulator array into
/// registers.
__attribute__((target("avx2,fma")))
static inline int recommend_gather_axpy_avx2(const float *rows, long k, const int *indices, long count,
                                             const float *weights, float *y) {
    if (k != 80 && k % 64 != 0) return 0;
    const int wide = k == 80, overwrite = 0;
    for (long c = 0; c < k; c += wide ? 80 : 64) {
        float *yc = y + c;
        RECOMMEND_START_ACCUMULATORS(yc)
        for (long q = 0; q < count; q++) {
            if (q + 8 < count) {
                RECOMMEND_PREFETCH_FLOAT_ROW((const char *)(rows + (long)indices[q + 8] * k + c));
            }
            const float *r = rows + (long)indices[q] * k + c;
            const __m256 w = _mm256_set1_ps(weights[q]);
            RECOMMEND_FMA_LANE(0); RECOMMEND_FMA_LANE(1); RECOMMEND_FMA_LANE(2); RECOMMEND_FMA_LANE(3);
            RECOMMEND_FMA_LANE(4); RECOMMEND_FMA_LANE(5); RECOMMEND_FMA_LANE(6); RECOMMEND_FMA_LANE(7);
            if (wide) { RECOMMEND_FMA_LANE(8); RECOMMEND_FMA_LANE(9); }
        }
        RECOMMEND_STORE_ACCUMULATORS(yc)
    }
    return 1;
}

/// out[q] = rows[indices[q]·k ..< indices[q]·k + k] · x for q < count, for k a multiple of 32
/// (returns 0 and does nothing otherwise; AVX2 + FMA, call only when recommend_has_avx2_fma()).
/// Four accumulators per row, each gathered row prefetched four entries ahead (in alternated
/// runs of implicit ALS, ~10% faster than eight at 128 factors, no slower at 64: eight rows of
/// 128 floats are more lines in flight than the core tracks).
__attribute__((target("avx2,fma")))
static inline int recommend_gather_dots_avx2(const float *rows, long k, const int *indices, long count,
                                             const float *x, float *out) {
    if (k % 32 != 0) return 0;
    for (long q = 0; q < count; q++) {
        if (q + 4 < count) {
            const float *ahead = rows + (long)indices[q + 4] * k;
            for (long c = 0; c < k; c += 16) __builtin_prefetch(ahead + c, 0, 3);
        }
        const float *r = rows + (long)indices[q] * k;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        for (long c = 0; c < k; c += 32) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(r + c), _mm256_loadu_ps(x + c), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(r + c + 8), _mm256_loadu_ps(x + c + 8), a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(r + c + 16), _mm256_loadu_ps(x + c + 16), a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(r + c + 24), _mm256_loadu_ps(x + c + 24), a3);
        }
        const __m256 s = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
        __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
        h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
        out[q] = _mm_cvtss_f32(h);
    }
    return 1;
}

/// The body of a sparse × dense product over CSR rows first..<last with rows of b of element
/// type T, added to `out` or, with `overwrite`, written to it (out is then not read, and rows
/// without entries become zeros) (k = 64 or 80 of them; LANE(L) accumulates lane L of the gathered row r, and
/// PREFETCH(ahead) touches the cache lines of the row at byte address `ahead`, `distance`
/// entries ahead across row boundaries: short rows would otherwise start each one with a miss).
/// Returns 0 for any other k.
#define RECOMMEND_SPMM_BODY(T, LANE, PREFETCH) \
    if (k != 64 && k != 80) return 0; \
    const int wide = k == 80; \
    const long end = rowPointers[last]; \
    for (long i = first; i < last; i++) { \
        long p = rowPointers[i]; \
        const long rowEnd = rowPointers[i + 1]; \
        float *y = out + i * k; \
        if (p == rowEnd) { \
            if (overwrite) for (long c = 0; c < k; c++) y[c] = 0; \
            continue; \
        } \
        RECOMMEND_START_ACCUMULATORS(y) \
        for (; p < rowEnd; p++) { \
            if (p + distance < end) { \
                const char *ahead = (const char *)(b + (long)indices[p + distance] * k); \
                PREFETCH(ahead); \
            } \
            const T *r = b + (long)indices[p] * k; \
            const __m256 w = _mm256_set1_ps(values[p]); \
            LANE(0); LANE(1); LANE(2); LANE(3); LANE(4); LANE(5); LANE(6); LANE(7); \
            if (wide) { LANE(8); LANE(9); } \
        } \
        RECOMMEND_STORE_ACCUMULATORS(y) \
    } \
    return 1;

/// out[i] += Σ_p values[p] · b[indices[p]] (or =, with `overwrite`) over the CSR rows first..<last (rows of k = 64 or
/// k = 80 floats; returns 0 and does nothing for any other k): a sparse × dense product, with
/// each row's accumulator in named registers and the gathered rows prefetched `distance`
/// entries ahead across row boundaries.
__attribute__((target("avx2,fma")))
static inline int recommend_spmm_avx2(const long *rowPointers, const int *indices, const float *values, const float *b,
                                      long k, long first, long last, long distance, int overwrite, float *out) {
    RECOMMEND_SPMM_BODY(float, RECOMMEND_FMA_LANE, RECOMMEND_PREFETCH_FLOAT_ROW)
}

/// Whether this CPU converts between single and half precision in hardware (F16C).
static inline int recommend_has_f16c(void) { return __builtin_cpu_supports("f16c"); }

/// out[i] = in[i] rounded to the nearest half-precision value (IEEE binary16 bits), i < count.
/// AVX2 + F16C: call only when recommend_has_avx2_fma() and recommend_has_f16c().
__attribute__((target("avx2,f16c")))
static inline void recommend_to_half(const float *in, unsigned short *out, long count) {
    long i = 0;
    for (; i + 8 <= count; i += 8)
        _mm_storeu_si128((__m128i *)(out + i), _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < count; i++) out[i] = _cvtss_sh(in[i], _MM_FROUND_TO_NEAREST_INT);
}


/// One step of the accumulation over the eight-value lane L of half-precision row r.
#define RECOMMEND_FMA_HALF_LANE(L) \
    a##L = _mm256_fmadd_ps(w, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(r + 8 * L))), a##L)

/// recommend_spmm_avx2 with b in half precision (k = 64 or 80 values a row, returns 0
/// otherwise): the gathered rows are half the bytes, converted in registers (F16C), and
/// accumulated in single precision. AVX2 + FMA + F16C.
__attribute__((target("avx2,fma,f16c")))
static inline int recommend_spmm_half_avx2(const long *rowPointers, const int *indices, const float *values,
                                           const unsigned short *b, long k, long first, long last, long distance,
                                           int overwrite, float *out) {
    RECOMMEND_SPMM_BODY(unsigned short, RECOMMEND_FMA_HALF_LANE, RECOMMEND_PREFETCH_HALF_ROW)
}

/// Σ of the eight lanes of s0, s1, s2, s3, as four floats in order.
#define RECOMMEND_SUM4(s0, s1, s2, s3) \
    _mm_add_ps(_mm256_castps256_ps128(_mm256_hadd_ps(_mm256_hadd_ps(s0, s1), _mm256_hadd_ps(s2, s3))), \
               _mm256_extractf128_ps(_mm256_hadd_ps(_mm256_hadd_ps(s0, s1), _mm256_hadd_ps(s2, s3)), 1))

/// Lanes c..c+15 of half-precision row R times x, added to the accumulator pair A, B.
#define RECOMMEND_HALF_DOT16(R, A, B) \
    A = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((R) + c))), _mm256_loadu_ps(x + c), A); \
    B = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((R) + c + 8))), _mm256_loadu_ps(x + c + 8), B);

/// recommend_gather_dots_avx2 with the rows in half precision (k a multiple of 32; returns 0
/// otherwise): half the bytes gathered, converted in registers, products in single precision.
/// Four rows at a time, their sums reduced together (one horizontal reduction per four dot
/// products instead of one each). AVX2 + FMA + F16C.
__attribute__((target("avx2,fma,f16c")))
static inline int recommend_gather_dots_half_avx2(const unsigned short *rows, long k, const int *indices, long count,
                                                  const float *x, float *out) {
    if (k % 32 != 0) return 0;
    long q = 0;
    for (; q + 4 <= count; q += 4) {
        for (long t = 4; t < 8 && q + t < count; t++) {
            const unsigned short *ahead = rows + (long)indices[q + t] * k;
            for (long c = 0; c < k; c += 32) __builtin_prefetch(ahead + c, 0, 3);
        }
        const unsigned short *r0 = rows + (long)indices[q] * k, *r1 = rows + (long)indices[q + 1] * k;
        const unsigned short *r2 = rows + (long)indices[q + 2] * k, *r3 = rows + (long)indices[q + 3] * k;
        __m256 a0 = _mm256_setzero_ps(), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
        for (long c = 0; c < k; c += 16) {
            RECOMMEND_HALF_DOT16(r0, a0, b0) RECOMMEND_HALF_DOT16(r1, a1, b1)
            RECOMMEND_HALF_DOT16(r2, a2, b2) RECOMMEND_HALF_DOT16(r3, a3, b3)
        }
        _mm_storeu_ps(out + q, RECOMMEND_SUM4(_mm256_add_ps(a0, b0), _mm256_add_ps(a1, b1), _mm256_add_ps(a2, b2),
                                              _mm256_add_ps(a3, b3)));
    }
    for (; q < count; q++) {
        const unsigned short *r = rows + (long)indices[q] * k;
        __m256 a = _mm256_setzero_ps(), b = a;
        for (long c = 0; c < k; c += 16) { RECOMMEND_HALF_DOT16(r, a, b) }
        const __m256 z = _mm256_setzero_ps();
        out[q] = _mm_cvtss_f32(RECOMMEND_SUM4(_mm256_add_ps(a, b), z, z, z));
    }
    return 1;
}

/// recommend_gather_axpy_avx2 with the rows in half precision (k a multiple of 64; returns 0
/// otherwise). AVX2 + FMA + F16C.
__attribute__((target("avx2,fma,f16c")))
static inline int recommend_gather_axpy_half_avx2(const unsigned short *rows, long k, const int *indices, long count,
                                                  const float *weights, float *y) {
    if (k % 64 != 0) return 0;
    const int wide = 0, overwrite = 0;
    for (long c = 0; c < k; c += 64) {
        float *yc = y + c;
        RECOMMEND_START_ACCUMULATORS(yc)
        for (long q = 0; q < count; q++) {
            if (q + 8 < count) {
                RECOMMEND_PREFETCH_HALF_ROW((const char *)(rows + (long)indices[q + 8] * k + c));
            }
            const unsigned short *r = rows + (long)indices[q] * k + c;
            const __m256 w = _mm256_set1_ps(weights[q]);
            RECOMMEND_FMA_HALF_LANE(0); RECOMMEND_FMA_HALF_LANE(1); RECOMMEND_FMA_HALF_LANE(2); RECOMMEND_FMA_HALF_LANE(3);
            RECOMMEND_FMA_HALF_LANE(4); RECOMMEND_FMA_HALF_LANE(5); RECOMMEND_FMA_HALF_LANE(6); RECOMMEND_FMA_HALF_LANE(7);
        }
        RECOMMEND_STORE_ACCUMULATORS(yc)
    }
    return 1;
}

/// The update of column J of a group over sixteen lanes (two registers):
/// f ← max(0, (r + f·bⱼⱼ − l1)·scale), d = new − old; a zero scale leaves the column as it is.
#define RECOMMEND_HALS_COLUMN(J) \
    __m256 d##J##0 = zero, d##J##1 = zero; \
    if (scales[s + J] != 0) { \
        const __m256 bjj = _mm256_set1_ps(bg[J * k + s + J]), scale = _mm256_set1_ps(scales[s + J]); \
        float *fp = ft + (s + J) * ld + i; \
        const __m256 old0 = _mm256_loadu_ps(fp), old1 = _mm256_loadu_ps(fp + 8); \
        const __m256 v0 = _mm256_max_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_fmadd_ps(old0, bjj, r##J##0), vl1), scale), zero); \
        const __m256 v1 = _mm256_max_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_fmadd_ps(old1, bjj, r##J##1), vl1), scale), zero); \
        _mm256_storeu_ps(fp, v0); _mm256_storeu_ps(fp + 8, v1); \
        d##J##0 = _mm256_sub_ps(v0, old0); d##J##1 = _mm256_sub_ps(v1, old1); \
    }
/// Column L of the group lacks column J's change: r_L −= d_J · b_JL.
#define RECOMMEND_HALS_PASS(J, L) { \
        const __m256 c = _mm256_set1_ps(bg[J * k + s + L]); \
        r##L##0 = _mm256_fnmadd_ps(c, d##J##0, r##L##0); r##L##1 = _mm256_fnmadd_ps(c, d##J##1, r##L##1); }
/// Row Q of the group's residual: r_Q −= b[s + Q, c] · f_c.
#define RECOMMEND_HALS_RESIDUAL(Q) { \
        const __m256 c = _mm256_broadcast_ss(bg + Q * k + j); \
        r##Q##0 = _mm256_fnmadd_ps(c, f0, r##Q##0); r##Q##1 = _mm256_fnmadd_ps(c, f1, r##Q##1); }

/// `sweeps` HALS sweeps (coordinate descent, column by column) over a block of rows kept
/// transposed: ft and at hold k rows of `ld` floats, row j being column j of F and of A
/// for the block's first m rows; b is the k × k Gram matrix (symmetric); scales[j] is
/// 1 / (bⱼⱼ + l2), or 0 for a column to leave alone. Requires k a multiple of 4 and m of 16
/// (returns 0 and does nothing otherwise; callers pad with zero columns whose scale is 0 and
/// with spare rows). Sixteen rows ride in the lanes of two registers; for each group of four
/// columns the residual r = A − F·B of its columns is formed from the current F (k FMAs per
/// column and register, eight named accumulators), then the group's columns are updated in
/// order, each change passed to the group's later columns in registers. 2k² multiply-adds per
/// row and sweep, from registers and the block's cache lines. Four columns by sixteen rows
/// loads 6 values per 8 FMAs (eight by eight loads 9): in a single-thread test at k = 64,
/// 60–63 GFLOP/s against 35–44, the core's FMA peak being ~95. AVX2 + FMA: call only when
/// recommend_has_avx2_fma().
__attribute__((target("avx2,fma")))
static inline int recommend_hals_sweeps_avx2(float *ft, const float *at, long ld, long m, const float *b, long k,
                                             const float *scales, float l1, long sweeps) {
    if (k % 4 != 0 || m % 16 != 0) return 0;
    const __m256 zero = _mm256_setzero_ps(), vl1 = _mm256_set1_ps(l1);
    for (long i = 0; i < m; i += 16) {
        for (long sweep = 0; sweep < sweeps; sweep++) {
            for (long s = 0; s < k; s += 4) {
                const float *bg = b + s * k;
                const float *ag = at + s * ld + i;
                __m256 r00 = _mm256_loadu_ps(ag), r01 = _mm256_loadu_ps(ag + 8);
                __m256 r10 = _mm256_loadu_ps(ag + ld), r11 = _mm256_loadu_ps(ag + ld + 8);
                __m256 r20 = _mm256_loadu_ps(ag + 2 * ld), r21 = _mm256_loadu_ps(ag + 2 * ld + 8);
                __m256 r30 = _mm256_loadu_ps(ag + 3 * ld), r31 = _mm256_loadu_ps(ag + 3 * ld + 8);
                for (long j = 0; j < k; j++) {
                    const __m256 f0 = _mm256_loadu_ps(ft + j * ld + i), f1 = _mm256_loadu_ps(ft + j * ld + i + 8);
                    RECOMMEND_HALS_RESIDUAL(0) RECOMMEND_HALS_RESIDUAL(1) RECOMMEND_HALS_RESIDUAL(2) RECOMMEND_HALS_RESIDUAL(3)
                }
                RECOMMEND_HALS_COLUMN(0)
                RECOMMEND_HALS_PASS(0, 1) RECOMMEND_HALS_PASS(0, 2) RECOMMEND_HALS_PASS(0, 3)
                RECOMMEND_HALS_COLUMN(1)
                RECOMMEND_HALS_PASS(1, 2) RECOMMEND_HALS_PASS(1, 3)
                RECOMMEND_HALS_COLUMN(2)
                RECOMMEND_HALS_PASS(2, 3)
                RECOMMEND_HALS_COLUMN(3)
                (void)d30; (void)d31;
            }
        }
    }
    return 1;
}
#endif

/// out[j·ldo + i] = in[i·ldi + j] for i < rows, j < cols: a transposed copy, by 4 × 4 tiles
/// in SSE registers on x86-64 (scalar elsewhere and at the edges).
static inline void recommend_transpose(const float *in, long ldi, float *out, long ldo, long rows, long cols) {
    long i = 0;
#if defined(__x86_64__)
    for (; i + 4 <= rows; i += 4) {
        long j = 0;
        for (; j + 4 <= cols; j += 4) {
            __m128 r0 = _mm_loadu_ps(in + i * ldi + j), r1 = _mm_loadu_ps(in + (i + 1) * ldi + j);
            __m128 r2 = _mm_loadu_ps(in + (i + 2) * ldi + j), r3 = _mm_loadu_ps(in + (i + 3) * ldi + j);
            _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
            _mm_storeu_ps(out + j * ldo + i, r0); _mm_storeu_ps(out + (j + 1) * ldo + i, r1);
            _mm_storeu_ps(out + (j + 2) * ldo + i, r2); _mm_storeu_ps(out + (j + 3) * ldo + i, r3);
        }
        for (; j < cols; j++)
            for (long t = i; t < i + 4; t++) out[j * ldo + t] = in[t * ldi + j];
    }
#endif
    for (; i < rows; i++)
        for (long j = 0; j < cols; j++) out[j * ldo + i] = in[i * ldi + j];
}
