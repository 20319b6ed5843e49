#include "recommend_allocator.h"
#include <limits.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

void recommend_keep_freed_memory(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
    mallopt(M_TOP_PAD, 64 << 20);
#endif
}
