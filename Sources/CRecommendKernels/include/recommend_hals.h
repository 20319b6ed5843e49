#ifndef RECOMMEND_HALS_H
#define RECOMMEND_HALS_H

#if defined(__x86_64__)
#include <immintrin.h>

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
/// loads 6 values per 8 FMAs (eight by eight loads 9; measurements: docs/benchmarks.md,
/// "Design measurements"). AVX2 + FMA: call only when recommend_has_avx2_fma().
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

#endif
