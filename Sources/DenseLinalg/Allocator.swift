import CBLAS

/// Process-wide settings of the C allocator for iterative numerical work.
public enum Allocator {
    /// Keeps freed buffers in the process instead of handing them back to the system between
    /// iterations (glibc: blocks up to 32 MB come from the heap, the heap is never trimmed,
    /// and it grows 64 MB at a time). Kernels that allocate a product or a basis per iteration
    /// then reuse warm pages instead of faulting in zeroed ones each time: randomized SVD at
    /// 50k × 10k × 2M ran ~10% faster in alternated runs, NMF ~5%. Memory freed during a run
    /// is not returned before exit. Call once at start-up, before other threads allocate; no
    /// effect off glibc.
    public static func keepFreedMemory() { recommend_keep_freed_memory() }
}
