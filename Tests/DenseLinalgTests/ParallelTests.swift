import Synchronization
import Testing
@testable import DenseLinalg

@Suite struct ParallelTests {
    @Test(arguments: [1, 2, 3])
    func blocksCoverTheRangeExactlyOnce(threads: Int) {
        for count in [0, 1, 63, 64, 1000, 12345] {
            let seen = Mutex<[Int]>(Array(repeating: 0, count: count))
            Parallel.forEachBlock(count: count, threads: threads, minimumBlock: 16) { range in
                seen.withLock { for i in range { $0[i] += 1 } }
            }
            #expect(seen.withLock { $0.allSatisfy { $0 == 1 } })
        }
    }

    @Test func blasRunsSingleThreadedInsideWorkersAndIsRestored() {
        let before = Parallel.configuredBLASThreads
        Parallel.blasThreads = 2
        let inside = Mutex<Set<Int>>([])
        Parallel.forEachBlock(count: 1000, threads: 2, minimumBlock: 10) { _ in
            let n = Parallel.blasThreads
            inside.withLock { _ = $0.insert(n) }
        }
        #expect(inside.withLock { $0 } == [1])
        #expect(Parallel.configuredBLASThreads == 2)  // other tests may hold BLAS at 1 right now
        Parallel.blasThreads = before
    }

    @Test func mapBlocksReducesInOrder() {
        let parts = Parallel.mapBlocks(count: 1000, threads: 2, minimumBlock: 10) { range in range.reduce(0, +) }
        #expect(parts.reduce(0, +) == 999 * 1000 / 2)
        #expect(Parallel.availableCores >= 1)
    }
}
