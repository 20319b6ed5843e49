#ifndef RECOMMEND_PREFETCH_H
#define RECOMMEND_PREFETCH_H

/// A hint that the cache line at `p` will be read soon (no effect on results).
static inline void recommend_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

#endif
