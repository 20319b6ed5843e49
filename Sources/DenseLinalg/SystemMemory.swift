#if canImport(Glibc)
import Glibc
#endif

/// The machine's memory, for checking a size a caller gives before it is allocated.
public enum SystemMemory {
    /// MemAvailable from /proc/meminfo (bytes), or 8 GiB where unknown.
    public static var availableBytes: Int {
        // Read with stdio: /proc files report size 0, and Foundation's readers leaked a buffer
        // per call on this platform (found by fuzzing).
        guard let file = fopen("/proc/meminfo", "r") else { return 8 << 30 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("MemAvailable:"), let kb = text.split(separator: " ").compactMap({ Int($0) }).first { return kb * 1024 }
        }
        return 8 << 30
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
