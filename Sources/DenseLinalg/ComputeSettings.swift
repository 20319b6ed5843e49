/// Which vector kernels may run.
public enum SIMDPolicy: String, Sendable, CaseIterable {
    /// Our AVX-512, AVX2/FMA (and F16C) kernels where the CPU has them, portable Swift loops
    /// elsewhere.
    case automatic
    /// The AVX2/FMA (and F16C) kernels but none of AVX-512, whatever the CPU (for comparisons).
    case avx2
    /// The portable Swift loops only, whatever the CPU (for comparisons and bisecting).
    case baseline

    /// Whether the AVX2 + FMA kernels run under this policy on this CPU.
    @inlinable public var avx2: Bool {
        #if arch(x86_64)
        return self != .baseline && UnsafeKernels.hasAVX2FMA
        #else
        return false
        #endif
    }

    /// Whether the AVX-512F kernels run under this policy on this CPU.
    @inlinable public var avx512: Bool {
        #if arch(x86_64)
        return self == .automatic && UnsafeKernels.hasAVX512F
        #else
        return false
        #endif
    }
}

/// How a computation may use the machine: threads, vector kernels and half-precision shortcuts.
/// The libraries never read the environment or guess the core count: a caller passes one value
/// through ``/Recommend/TrainingData`` and each kernel's configuration.
public struct ComputeSettings: Sendable, Equatable {
    /// Threads for BLAS and our own parallel loops, ≥ 1.
    public var threads: Int
    /// Which vector kernels may run.
    public var simd: SIMDPolicy
    /// Whether kernels may read factors rounded to half precision where their results allow it
    /// (ALS gathers, NMF products, SVD power iterates; each kernel's configuration documents its
    /// effect). False gives single precision throughout.
    public var halfPrecision: Bool

    public init(threads: Int, simd: SIMDPolicy = .automatic, halfPrecision: Bool = true) {
        self.threads = max(1, threads); self.simd = simd; self.halfPrecision = halfPrecision
    }

    /// One thread, automatic kernels, half precision allowed.
    public static let singleThreaded = ComputeSettings(threads: 1)
}
