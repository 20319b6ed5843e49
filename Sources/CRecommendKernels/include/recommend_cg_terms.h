#ifndef RECOMMEND_CG_TERMS_H
#define RECOMMEND_CG_TERMS_H

#if defined(__x86_64__)
#include <immintrin.h>

/// The sparse terms of implicit ALS's conjugate gradient in one pass over the gathered rows,
/// for k = 64 (returns 0 and does nothing for any other k). AVX-512F; call only when
/// recommend_has_avx512f(). For q < count, with yq the row indices[q] of `rows` and
/// cq = confidences[q] (or `uniform` when confidences is NULL):
///   residual != 0:  out += Σ_q (cq − (cq − 1)·yq·x) yq   (the residual's sparse part)
///   residual == 0:  out += Σ_q (cq − 1)(yq·x) yq         (the sparse part of A·x)
/// Each row is read once: its four 16-float lanes stay in registers between its dot product
/// and its accumulation (the AVX2 path gathers, and converts, every row twice). On this
/// project's 2-core Xeon (Sapphire Rapids), rows from L1: ~5–7 ns a row against ~11 ns for the
/// AVX2 gatherDots + gatherAxpy pair (half precision). The _half variant reads IEEE binary16
/// rows (unsigned short), converted in registers; the other reads floats.

/// Row q's dot product with x as a 16-lane partial sum, its lanes in R##0…R##3.
#define RECOMMEND_CG_ROW(R, LOAD_ROW, Q) \
    const long R##base = (long)indices[Q] * 64; \
    const __m512 R##0 = LOAD_ROW(R##base), R##1 = LOAD_ROW(R##base + 16), R##2 = LOAD_ROW(R##base + 32), \
                 R##3 = LOAD_ROW(R##base + 48); \
    const __m512 R##d = _mm512_add_ps(_mm512_fmadd_ps(R##1, x1, _mm512_mul_ps(R##0, x0)), \
                                      _mm512_fmadd_ps(R##3, x3, _mm512_mul_ps(R##2, x2)));
/// The weights of four rows from their dot products (a __m128 of four sums) and confidences.
#define RECOMMEND_CG_WEIGHTS(DOTS, C) \
    (residual ? _mm_fnmadd_ps(_mm_sub_ps(C, one), DOTS, C) : _mm_mul_ps(_mm_sub_ps(C, one), DOTS))
/// A += w[L]·row R, for the accumulator set A (a or b).
#define RECOMMEND_CG_ACCUMULATE(A, R, W, L) { \
    const __m512 wv = _mm512_broadcastss_ps(_mm_shuffle_ps(W, W, _MM_SHUFFLE(L, L, L, L))); \
    A##0 = _mm512_fmadd_ps(wv, R##0, A##0); A##1 = _mm512_fmadd_ps(wv, R##1, A##1); \
    A##2 = _mm512_fmadd_ps(wv, R##2, A##2); A##3 = _mm512_fmadd_ps(wv, R##3, A##3); }

/// Four rows at a time: their four dot products are reduced together (one transposing
/// reduction instead of four horizontal ones), then accumulated into two sets of accumulators,
/// a (rows q, q + 2) and b (rows q + 1, q + 3), added at the end: with one set, every row's
/// accumulation waits for the previous row's (FMA latency), and that chain, not the
/// arithmetic, sets the pace. Each set sums its rows in entry order.
#define RECOMMEND_CG_FUSED_BODY(LOAD_ROW, PREFETCH_ROW) \
    if (k != 64) return 0; \
    const __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16), x2 = _mm512_loadu_ps(x + 32), x3 = _mm512_loadu_ps(x + 48); \
    __m512 a0 = _mm512_loadu_ps(out), a1 = _mm512_loadu_ps(out + 16), a2 = _mm512_loadu_ps(out + 32), a3 = _mm512_loadu_ps(out + 48); \
    __m512 b0 = _mm512_setzero_ps(), b1 = b0, b2 = b0, b3 = b0; \
    const __m128 one = _mm_set1_ps(1), same = _mm_set1_ps(uniform); \
    long q = 0; \
    for (; q + 4 <= count; q += 4) { \
        for (long t = 8; t < 12 && q + t < count; t++) { PREFETCH_ROW((long)indices[q + t] * 64); } \
        RECOMMEND_CG_ROW(r, LOAD_ROW, q) RECOMMEND_CG_ROW(s, LOAD_ROW, q + 1) \
        RECOMMEND_CG_ROW(t, LOAD_ROW, q + 2) RECOMMEND_CG_ROW(u, LOAD_ROW, q + 3) \
        /* per 128-bit lane: (r, s) and (t, u) pairwise, then the four rows' lane sums */ \
        const __m512 rs = _mm512_add_ps(_mm512_unpacklo_ps(rd, sd), _mm512_unpackhi_ps(rd, sd)); \
        const __m512 tu = _mm512_add_ps(_mm512_unpacklo_ps(td, ud), _mm512_unpackhi_ps(td, ud)); \
        const __m512 rstu = _mm512_add_ps( \
            _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(rs), _mm512_castps_pd(tu))), \
            _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(rs), _mm512_castps_pd(tu)))); \
        const __m256 half8 = _mm256_add_ps(_mm512_castps512_ps256(rstu), \
                                           _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(rstu), 1))); \
        const __m128 dots = _mm_add_ps(_mm256_castps256_ps128(half8), _mm256_extractf128_ps(half8, 1)); \
        const __m128 c = confidences ? _mm_loadu_ps(confidences + q) : same; \
        const __m128 w = RECOMMEND_CG_WEIGHTS(dots, c); \
        RECOMMEND_CG_ACCUMULATE(a, r, w, 0) RECOMMEND_CG_ACCUMULATE(b, s, w, 1) \
        RECOMMEND_CG_ACCUMULATE(a, t, w, 2) RECOMMEND_CG_ACCUMULATE(b, u, w, 3) \
    } \
    for (; q < count; q++) { \
        RECOMMEND_CG_ROW(r, LOAD_ROW, q) \
        const __m128 dots = _mm_set1_ps(_mm512_reduce_add_ps(rd)); \
        const __m128 c = confidences ? _mm_set1_ps(confidences[q]) : same; \
        const __m128 w = RECOMMEND_CG_WEIGHTS(dots, c); \
        RECOMMEND_CG_ACCUMULATE(a, r, w, 0) \
    } \
    a0 = _mm512_add_ps(a0, b0); a1 = _mm512_add_ps(a1, b1); a2 = _mm512_add_ps(a2, b2); a3 = _mm512_add_ps(a3, b3); \
    _mm512_storeu_ps(out, a0); _mm512_storeu_ps(out + 16, a1); _mm512_storeu_ps(out + 32, a2); _mm512_storeu_ps(out + 48, a3); \
    return 1;

#define RECOMMEND_CG_LOAD_HALF(OFFSET) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(rows + (OFFSET))))
#define RECOMMEND_CG_PREFETCH_HALF(OFFSET) \
    __builtin_prefetch(rows + (OFFSET), 0, 3); __builtin_prefetch(rows + (OFFSET) + 32, 0, 3)
#define RECOMMEND_CG_LOAD_FLOAT(OFFSET) _mm512_loadu_ps(rows + (OFFSET))
#define RECOMMEND_CG_PREFETCH_FLOAT(OFFSET) \
    __builtin_prefetch(rows + (OFFSET), 0, 3); __builtin_prefetch(rows + (OFFSET) + 16, 0, 3); \
    __builtin_prefetch(rows + (OFFSET) + 32, 0, 3); __builtin_prefetch(rows + (OFFSET) + 48, 0, 3)

__attribute__((target("avx512f,avx512dq")))
static inline int recommend_cg_terms_half_avx512(const unsigned short *rows, long k, const int *indices, long count,
                                                 const float *confidences, float uniform, int residual,
                                                 const float *x, float *out) {
    RECOMMEND_CG_FUSED_BODY(RECOMMEND_CG_LOAD_HALF, RECOMMEND_CG_PREFETCH_HALF)
}

__attribute__((target("avx512f,avx512dq")))
static inline int recommend_cg_terms_avx512(const float *rows, long k, const int *indices, long count,
                                            const float *confidences, float uniform, int residual,
                                            const float *x, float *out) {
    RECOMMEND_CG_FUSED_BODY(RECOMMEND_CG_LOAD_FLOAT, RECOMMEND_CG_PREFETCH_FLOAT)
}
#endif

#endif
