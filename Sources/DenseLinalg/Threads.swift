import CBLAS
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Thread control for BLAS and for the project's own parallel loops.
///
/// OpenBLAS keeps its own pool; our loops use Dispatch. The two must not oversubscribe the cores:
/// ``Parallel/forEachBlock(count:threads:minimumBlock:_:)`` sets BLAS to one thread while its
/// workers run (so BLAS calls made inside them stay on the calling thread) and restores it after.
public enum Parallel {
    /// The number of cores this process may use.
    public static var availableCores: Int {
        max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }

    /// The number of threads BLAS uses for one call right now. Setting it inside (or while
    /// another thread is inside) a single-threaded region takes effect when the last region ends.
    public static var blasThreads: Int {
        get { Int(openblas_get_num_threads()) }
        set { configuredBLASThreads = newValue }
    }

    /// The thread count BLAS returns to outside single-threaded regions.
    public static var configuredBLASThreads: Int {
        get { singleThreaded.withLock { $0.depth > 0 ? $0.saved : Int(openblas_get_num_threads()) } }
        set {
            singleThreaded.withLock { state in
                if state.depth > 0 { state.saved = max(1, newValue) } else { openblas_set_num_threads(Int32(clamping: max(1, newValue))) }
            }
        }
    }

    /// Regions that need single-threaded BLAS, process-wide: while any is active, BLAS stays at
    /// one thread, and the setting from before the first is restored when the last ends. The
    /// setting is global to OpenBLAS, so regions on different threads must agree on it.
    private static let singleThreaded = Mutex<(depth: Int, saved: Int)>((0, 0))

    /// Runs `body` with BLAS set to `threads` threads, then restores the previous setting.
    ///
    /// `threads == 1` may nest and overlap across threads safely. A request for more threads
    /// while a single-threaded region is active elsewhere runs single-threaded, so concurrent
    /// work never changes the thread count under another region (results stay reproducible).
    public static func withBLASThreads<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        let single = threads <= 1 || singleThreaded.withLock { $0.depth > 0 }
        if single {
            singleThreaded.withLock { state in
                if state.depth == 0 { state.saved = blasThreads; openblas_set_num_threads(1) }
                state.depth += 1
            }
            defer {
                singleThreaded.withLock { state in
                    state.depth -= 1
                    if state.depth == 0 { openblas_set_num_threads(Int32(clamping: max(1, state.saved))) }
                }
            }
            return try body()
        }
        let previous = configuredBLASThreads
        configuredBLASThreads = threads
        defer { configuredBLASThreads = previous }
        return try body()
    }

    /// Calls `body` on disjoint blocks of `0..<count` that together cover it, from up to
    /// `threads` workers. Blocks are handed out dynamically (a shared counter), so uneven work,
    /// such as the rows of a long-tailed sparse matrix, balances across workers.
    ///
    /// With `threads > 1`, BLAS runs single-threaded for the duration so the two never
    /// oversubscribe the cores. With `threads == 1` everything runs on the calling thread.
    /// - Parameters:
    ///   - count: the number of items.
    ///   - threads: the number of workers (at least 1).
    ///   - minimumBlock: the smallest block worth a hand-off; blocks are about count / (8·threads).
    public static func forEachBlock(count: Int, threads: Int, minimumBlock: Int = 64,
                                    _ body: (Range<Int>) -> Void) {
        forEachBlock(count: count, threads: threads, minimumBlock: minimumBlock) { _, range in body(range) }
    }

    /// The number of workers ``forEachBlock(count:threads:minimumBlock:_:)`` uses for these
    /// arguments: size per-worker state with it.
    public static func workers(count: Int, threads: Int, minimumBlock: Int = 64) -> Int {
        max(1, min(threads, (count + minimumBlock - 1) / minimumBlock))
    }

    /// ``forEachBlock(count:threads:minimumBlock:_:)`` that also tells `body` which worker
    /// (`0..<workers(count:threads:minimumBlock:)`) runs the block, for per-worker state. Each
    /// worker receives its blocks in increasing order.
    public static func forEachBlock(count: Int, threads: Int, minimumBlock: Int = 64,
                                    _ body: (_ worker: Int, Range<Int>) -> Void) {
        guard count > 0 else { return }
        let workers = workers(count: count, threads: threads, minimumBlock: minimumBlock)
        if workers == 1 {
            body(0, 0..<count)
            return
        }
        let block = max(minimumBlock, count / (8 * workers))
        let next = Atomic<Int>(0)
        withoutActuallyEscaping(body) { body in
            // The workers only run while this call waits for them; body outlives none of them.
            let shared = UncheckedSendable(body)
            withBLASThreads(1) {
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    while true {
                        let start = next.wrappingAdd(block, ordering: .relaxed).oldValue
                        if start >= count { break }
                        shared.value(worker, start..<min(count, start + block))
                    }
                }
            }
        }
    }

    /// `forEachBlock` with a per-worker result, combined at the end in worker order. For
    /// reductions: each worker owns its partial result, so no locking is needed.
    public static func mapBlocks<R>(count: Int, threads: Int, minimumBlock: Int = 64,
                                    _ body: (Range<Int>) -> R) -> [R] {
        mapBlocks(count: count, threads: threads, blocks: blockCount(count: count, threads: threads, minimumBlock: minimumBlock), body)
    }

    /// The number of blocks ``mapBlocks(count:threads:minimumBlock:_:)`` cuts `count` items into:
    /// up to 4 per thread, each of at least `minimumBlock` items.
    public static func blockCount(count: Int, threads: Int, minimumBlock: Int) -> Int {
        max(1, min(threads * 4, (count + minimumBlock - 1) / max(1, minimumBlock)))
    }

    /// `mapBlocks` over exactly `blocks` near-equal blocks (fewer when `count` is smaller), run by
    /// up to `threads` workers: a reduction whose partial results must not depend on the thread
    /// count fixes `blocks`.
    public static func mapBlocks<R>(count: Int, threads: Int, blocks: Int, _ body: (Range<Int>) -> R) -> [R] {
        guard count > 0 else { return [] }
        let blocks = max(1, min(blocks, count))
        let size = (count + blocks - 1) / blocks
        var results = [R?](repeating: nil, count: blocks)
        results.withUnsafeMutableBufferPointer { slots in
            // Each block writes only its own slot.
            let slots = UncheckedSendable(slots)
            forEachBlock(count: blocks, threads: threads, minimumBlock: 1) { range in
                for b in range where b * size < count {
                    slots.value[b] = body(b * size ..< min(count, (b + 1) * size))
                }
            }
        }
        return results.compactMap { $0 }
    }
}

/// Carries a value (typically buffer pointers) into the workers of
/// ``Parallel/forEachBlock(count:threads:minimumBlock:_:)``, which run strictly within the
/// caller's scope. The caller guarantees that workers touch disjoint memory.
public struct UncheckedSendable<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}
