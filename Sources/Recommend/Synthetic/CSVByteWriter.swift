import Foundation

/// Writes CSV rows as bytes into a large buffer flushed to a file handle: integers and
/// fixed-point decimals are formatted by hand, so output is byte-identical across runs and
/// fast enough for 10⁸ rows.
struct CSVByteWriter {
    let handle: FileHandle
    var buffer: [UInt8] = []

    init(_ handle: FileHandle) {
        self.handle = handle
        buffer.reserveCapacity(1 << 22)
    }

    mutating func text(_ s: String) { buffer.append(contentsOf: s.utf8) }

    /// A field that may hold commas or quotes, quoted when needed.
    mutating func quoted(_ s: String) {
        if s.utf8.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 }) {
            buffer.append(34)
            for b in s.utf8 { if b == 34 { buffer.append(34) }; buffer.append(b) }
            buffer.append(34)
        } else {
            text(s)
        }
    }

    mutating func int(_ value: Int) {
        if value < 0 { buffer.append(45); int(-value); return }
        if value >= 10 { int(value / 10) }
        buffer.append(UInt8(48 + value % 10))
    }

    /// A decimal with `digits` places, rounded half away from zero.
    mutating func decimal(_ value: Double, digits: Int) {
        var scale = 1
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((abs(value) * Double(scale)).rounded())
        if value < 0 && scaled > 0 { buffer.append(45) }
        int(scaled / scale)
        if digits > 0 {
            buffer.append(46)
            var frac = scaled % scale, div = scale / 10
            while div > 0 { buffer.append(UInt8(48 + frac / div)); frac %= div; div /= 10 }
        }
    }

    mutating func comma() { buffer.append(44) }

    mutating func endRow() throws {
        buffer.append(10)
        if buffer.count >= 1 << 22 { try flush() }
    }

    mutating func flush() throws {
        if !buffer.isEmpty { try handle.write(contentsOf: buffer); buffer.removeAll(keepingCapacity: true) }
    }
}
