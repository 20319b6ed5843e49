#ifndef RECOMMEND_HALF_PRECISION_H
#define RECOMMEND_HALF_PRECISION_H

#if defined(__x86_64__)
#include <immintrin.h>
#include "recommend_avx2_macros.h"
#include "recommend_sparse_products.h"

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
#endif

#endif
