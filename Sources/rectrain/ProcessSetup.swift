import CRecommendKernels
import DenseLinalg
import Foundation

/// The process-wide choices only the executable makes, once, in `main`, before any work: the
/// OpenBLAS kernel family (a restart) and the allocator policy. The libraries never make them.
enum ProcessSetup {
    /// When OpenBLAS fell back to its generic `Prescott` kernels (``BLASCore/check()``),
    /// `OPENBLAS_CORETYPE` is unset and `RECOMMEND_BLAS_CORE` is not `keep`, starts this program
    /// again (execv of /proc/self/exe, same arguments) with `OPENBLAS_CORETYPE` set to the fastest
    /// family the CPU supports. Returns normally otherwise, or when execv fails.
    static func restartWithFasterBLASCoreIfNeeded(arguments: [String], environment: [String: String]) {
        guard environment["OPENBLAS_CORETYPE"] == nil, environment["RECOMMEND_BLAS_CORE"] != "keep",
              BLASCore.check() != nil, let better = BLASCore.recommendedCoreType else { return }
        setenv("OPENBLAS_CORETYPE", better, 1)
        setenv("RECOMMEND_BLAS_CORE", "keep", 1)  // never loop
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", &argv)
        // execv only returns on failure: carry on with the generic kernels.
        unsetenv("OPENBLAS_CORETYPE")
    }

    /// Keeps freed buffers in the process (glibc: blocks up to 32 MB from the heap, never
    /// trimmed, grown 64 MB at a time): kernels that allocate a product per iteration reuse warm
    /// pages instead of faulting in zeroed ones (measurements: docs/benchmarks.md, "Design
    /// measurements"). Memory freed during a run is not returned before exit.
    static func keepFreedMemory() { recommend_keep_freed_memory() }
}

/// Settings `main` reads from the environment, once, before parsing the command line.
enum Compute {
    /// RECOMMEND_SIMD=baseline: the portable Swift loops only; RECOMMEND_SIMD=avx2: the AVX2
    /// kernels but none of AVX-512 (both for comparisons). Anything else: automatic.
    nonisolated(unsafe) static var simd = SIMDPolicy.automatic
}
