#if canImport(Glibc)
import Glibc
#endif

/// The machine's memory, for checking a size a caller gives before it is allocated.
public enum SystemMemory {
    /// MemAvailable from /proc/meminfo (bytes), or 8 GiB where unknown; no more than the
    /// address space left under the process's limit (`ulimit -v`), when it has one.
    public static var availableBytes: Int {
        var limit = rlimit()
        let physical = physicalAvailableBytes
        guard getrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return physical }
        return min(physical, max(0, Int(clamping: limit.rlim_cur) - virtualSizeBytes))
    }

    /// The process's current virtual size (/proc/self/statm, first field, in pages).
    static var virtualSizeBytes: Int {
        let pages = procLine("/proc/self/statm") { _ in true }?.split(separator: " ").first.flatMap { Int($0) } ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static var physicalAvailableBytes: Int {
        let line = procLine("/proc/meminfo") { $0.hasPrefix("MemAvailable:") }
        return line.flatMap { $0.split(separator: " ").compactMap { Int($0) }.first }.map { $0 * 1024 } ?? 8 << 30
    }

    /// The first line of a /proc file that `matches`, read with stdio: /proc files report size 0,
    /// and Foundation's readers leaked a buffer per call on this platform (found by fuzzing).
    static func procLine(_ path: String, matching matches: (String) -> Bool) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if matches(text) { return text }
        }
        return nil
    }

    /// The bytes of `counts` items of `bytesEach` bytes each, summed; nil on overflow.
    public static func bytes(_ counts: [(count: Int, bytesEach: Int)]) -> Int? {
        var total = 0
        for (count, each) in counts {
            let (product, o1) = max(0, count).multipliedReportingOverflow(by: each)
            let (sum, o2) = total.addingReportingOverflow(product)
            if o1 || o2 { return nil }
            total = sum
        }
        return total
    }

    /// Whether `bytes` (nil: beyond Int) fit in the memory available now.
    public static func fits(_ bytes: Int?) -> Bool { bytes.map { $0 <= availableBytes } ?? false }
}
