#ifndef RECOMMEND_GATHER_H
#define RECOMMEND_GATHER_H

#if defined(__x86_64__)
#include <immintrin.h>
#include "recommend_avx2_macros.h"

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
/// Four accumulators per row, each gathered row prefetched four entries ahead (eight rows of
/// 128 floats ahead are more lines in flight than a core tracks; measurements:
/// docs/benchmarks.md, "Design measurements").
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
#endif

#endif
