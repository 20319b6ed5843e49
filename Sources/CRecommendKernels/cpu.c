#include "recommend_cpu.h"

int recommend_has_avx2_fma(void) {
#if defined(__x86_64__)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

int recommend_has_f16c(void) {
#if defined(__x86_64__)
    return __builtin_cpu_supports("f16c");
#else
    return 0;
#endif
}

int recommend_has_avx512f(void) {
#if defined(__x86_64__)
    return __builtin_cpu_supports("avx512f");
#else
    return 0;
#endif
}
