#ifndef RECOMMEND_ALLOCATOR_H
#define RECOMMEND_ALLOCATOR_H

/// glibc: blocks up to 32 MB from the heap, never trimmed, grown 64 MB at a time, so kernels
/// that allocate a product or a basis per iteration reuse warm pages; nothing elsewhere. A
/// process-wide choice: only an executable calls it, once, at start-up.
void recommend_keep_freed_memory(void);

#endif
