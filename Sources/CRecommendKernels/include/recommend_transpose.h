#ifndef RECOMMEND_TRANSPOSE_H
#define RECOMMEND_TRANSPOSE_H

#if defined(__x86_64__)
#include <immintrin.h>
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

#endif
