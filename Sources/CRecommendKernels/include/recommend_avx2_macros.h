#ifndef RECOMMEND_AVX2_MACROS_H
#define RECOMMEND_AVX2_MACROS_H

#if defined(__x86_64__)
#include <immintrin.h>

/// Shared building blocks of the AVX2 kernels (named accumulators, prefetch of rows, FMA lanes).

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
/// out rather than looped over a count chosen by `wide`, which the compiler does not unroll
/// (measurements: docs/benchmarks.md, "Design measurements").
#define RECOMMEND_PREFETCH_FLOAT_ROW(A) \
    __builtin_prefetch((A), 0, 3); __builtin_prefetch((A) + 64, 0, 3); __builtin_prefetch((A) + 128, 0, 3); \
    __builtin_prefetch((A) + 192, 0, 3); if (wide) __builtin_prefetch((A) + 256, 0, 3)
#define RECOMMEND_PREFETCH_HALF_ROW(A) \
    __builtin_prefetch((A), 0, 3); __builtin_prefetch((A) + 64, 0, 3); if (wide) __builtin_prefetch((A) + 128, 0, 3)

/// One step of the accumulation over the eight-float lane L of row r.
#define RECOMMEND_FMA_LANE(L) a##L = _mm256_fmadd_ps(w, _mm256_loadu_ps(r + 8 * L), a##L)
#endif

#endif
