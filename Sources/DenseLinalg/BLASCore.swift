import CBLAS
#if canImport(Glibc)
import Glibc
#endif

/// Which OpenBLAS kernels run, and a way to pick faster ones where OpenBLAS falls back to
/// generic code.
///
/// OpenBLAS chooses its kernels once, when the library loads, from `OPENBLAS_CORETYPE` or by
/// detecting the CPU. Builds older than the CPU do not recognise it and fall back to `Prescott`
/// (SSE3), which runs sgemm about 5× slower than the AVX-512 `SkylakeX` kernels on the same
/// cores. Because the choice is made before `main`, a program can only change it by starting
/// again with the variable set (``check()`` says when that would help).
public enum BLASCore {
    /// The kernel family OpenBLAS chose, e.g. "SkylakeX", "Haswell", "Prescott".
    public static var name: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// The core type this CPU supports best among those OpenBLAS 0.3 knows, from the
    /// instruction-set flags in /proc/cpuinfo: "SkylakeX" (AVX-512 F/BW/VL/DQ), "Haswell"
    /// (AVX2 + FMA), or nil.
    public static var recommendedCoreType: String? {
        guard let file = fopen("/proc/cpuinfo", "r") else { return nil }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0 {
            let text = String(cString: line!)
            guard text.hasPrefix("flags") else { continue }
            let flags = Set(text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init))
            if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) { return "SkylakeX" }
            if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
            return nil
        }
        return nil
    }

    /// A warning when OpenBLAS runs its generic `Prescott` kernels on a CPU that supports a
    /// faster family (as implicit's `check_blas_config` warns), nil otherwise. OpenBLAS picks its
    /// kernels when it loads, from `OPENBLAS_CORETYPE`: only a new process can change them, which
    /// is the executable's choice (rectrain restarts itself once; see its `--help`).
    public static func check() -> String? {
        guard name == "Prescott", let better = recommendedCoreType else { return nil }
        return "OpenBLAS runs its generic Prescott kernels on a CPU that supports \(better) (about 5× slower sgemm); start the process with OPENBLAS_CORETYPE=\(better)"
    }
}
