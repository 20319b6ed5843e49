#ifndef RECOMMEND_SPARSE_PRODUCTS_H
#define RECOMMEND_SPARSE_PRODUCTS_H

#if defined(__x86_64__)
#include <immintrin.h>
#include "recommend_avx2_macros.h"

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
#endif

#endif
