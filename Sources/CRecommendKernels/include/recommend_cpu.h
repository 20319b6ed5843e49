#ifndef RECOMMEND_CPU_H
#define RECOMMEND_CPU_H

/// Whether this CPU runs AVX2 and FMA (checked at run time; the build targets baseline
/// x86-64, where Swift's SIMD types lower to SSE). 0 off x86-64.
int recommend_has_avx2_fma(void);

/// Whether this CPU converts between single and half precision in hardware (F16C). 0 off x86-64.
int recommend_has_f16c(void);

/// Whether this CPU runs AVX-512F and the OS saves its registers (checked at run time). 0 off x86-64.
int recommend_has_avx512f(void);

#endif
