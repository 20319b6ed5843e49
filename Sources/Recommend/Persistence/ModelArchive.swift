import DenseLinalg
import Factorization
import Foundation

/// The saved-model file format, version 1.
///
/// ```
/// offset  size  field
///      0     8  magic "RECMODEL"
///      8     4  format version, UInt32 little-endian (1)
///     12     8  payload length in bytes, UInt64 little-endian
///     20     n  payload
///   20+n     4  CRC-32 (IEEE 802.3, as zlib.crc32) of the payload, UInt32 little-endian
/// ```
///
/// The payload is a sequence of values, each written as:
/// - integers: `UInt32`/`Int64` little-endian; `Float` as its IEEE-754 bits, little-endian;
/// - a string: its UTF-8 length (UInt32) and bytes;
/// - an array: its element count (UInt64), then the elements;
/// - a dense matrix: rows, columns (Int64 each), then the row-major `Float` elements;
/// - a CSR matrix: rows, columns, the row pointers (Int64 array), the column indices
///   (Int32 array) and the values (Float array).
///
/// The payload holds the user and item id maps (string arrays in inner-index order), the titles,
/// the training history (users × items, binary CSR) (``SavedModel/encoded()``), then the model:
/// its kind (`als`, `ease`, …), a string-to-string table of its hyperparameters and its own
/// arrays, written and read by the model itself (``PersistentModel``). Numbers in the header never exceed what the file holds:
/// every read is bounds-checked, so a truncated or corrupted file is an error, never a crash.
public enum ModelArchive {
    public static let magic = Array("RECMODEL".utf8)
    public static let version: UInt32 = 1
    static let headerSize = 20

    /// Wraps `payload` with the header and checksum.
    static func frame(_ payload: [UInt8]) -> [UInt8] {
        var out = framedWriter(capacity: payload.count)
        out.bytes.append(contentsOf: payload)
        return finishFrame(&out)
    }

    /// A writer whose bytes start with the header (its length filled in by ``finishFrame(_:)``),
    /// so that a large model's payload is written once, not copied into a frame.
    static func framedWriter(capacity: Int = 0) -> ArchiveWriter {
        var out = ArchiveWriter()
        out.bytes.reserveCapacity(headerSize + capacity + 4)
        out.bytes.append(contentsOf: magic)
        out.uint32(version)
        out.uint64(0)
        return out
    }

    /// The file's bytes: the payload's length patched into the header, the checksum appended.
    static func finishFrame(_ out: inout ArchiveWriter) -> [UInt8] {
        let length = UInt64(out.bytes.count - headerSize).littleEndian
        withUnsafeBytes(of: length) { out.bytes.replaceSubrange((headerSize - 8)..<headerSize, with: $0) }
        let crc = out.bytes.withUnsafeBufferPointer { CRC32.checksum(UnsafeBufferPointer(rebasing: $0[headerSize...])) }
        out.uint32(crc)
        return out.bytes
    }

    /// Checks the header and checksum of a whole file and returns a reader over its payload.
    static func unframe(_ bytes: [UInt8], path: String) throws -> ArchiveReader {
        func fail(_ reason: String) -> ModelFileError { ModelFileError(path: path, reason: reason) }
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            throw fail("not a Recommend model file (no RECMODEL header)")
        }
        guard bytes.count >= headerSize + 4 else { throw fail("truncated: \(bytes.count) bytes, shorter than the header") }
        var header = ArchiveReader(bytes: Array(bytes[magic.count..<headerSize]), path: path)
        let version = try header.uint32()
        guard version == ModelArchive.version else {
            throw fail("format version \(version) is not supported (this build reads version \(ModelArchive.version))")
        }
        let length = try header.uint64()
        guard length <= UInt64(bytes.count - headerSize - 4) else {
            throw fail("truncated: the header announces \(length) payload bytes, the file holds \(bytes.count - headerSize - 4)")
        }
        guard UInt64(bytes.count) == UInt64(headerSize) + length + 4 else {
            throw fail("\(UInt64(bytes.count) - UInt64(headerSize) - length - 4) unexpected bytes after the checksum")
        }
        let payload = Array(bytes[headerSize..<(headerSize + Int(length))])
        var trailer = ArchiveReader(bytes: Array(bytes[(headerSize + Int(length))...]), path: path)
        let stored = try trailer.uint32()
        guard stored == CRC32.checksum(payload) else { throw fail("checksum mismatch: the file is corrupted") }
        return ArchiveReader(bytes: payload, path: path)
    }
}

/// A saved model that cannot be read: the file and what is wrong with it.
public struct ModelFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
    public var description: String { "\(path): \(reason)" }
}

/// Appends little-endian values to a byte buffer.
struct ArchiveWriter {
    var bytes: [UInt8] = []

    mutating func uint32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func uint64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func int(_ v: Int) { uint64(UInt64(bitPattern: Int64(v))) }
    mutating func float(_ v: Float) { uint32(v.bitPattern) }

    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        uint32(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    mutating func strings(_ a: [String]) { uint64(UInt64(a.count)); for s in a { string(s) } }
    mutating func ints(_ a: [Int]) { uint64(UInt64(a.count)); for v in a { int(v) } }
    mutating func int32s(_ a: [Int32]) { uint64(UInt64(a.count)); a.withUnsafeBufferPointer { littleEndian($0) } }
    mutating func floats(_ a: [Float]) {
        uint64(UInt64(a.count))
        nonFiniteValues += a.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        a.withUnsafeBufferPointer { $0.withMemoryRebound(to: UInt32.self) { littleEndian($0) } }  // the IEEE bits
    }

    /// The elements' bytes, little-endian: one copy of the whole array where the machine is
    /// little-endian (a 100 M-entry history is 400 MB a column).
    mutating func littleEndian<T: FixedWidthInteger>(_ a: UnsafeBufferPointer<T>) {
        #if _endian(little)
        bytes.append(contentsOf: UnsafeRawBufferPointer(a))
        #else
        for v in a { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        #endif
    }

    /// Bytes ``strings(_:)`` writes for `a`.
    static func encodedSize(strings a: [String]) -> Int { 8 + a.reduce(0) { $0 + 4 + $1.utf8.count } }

    /// Bytes ``sparse(_:)`` writes for `m`.
    static func encodedSize(sparse m: SparseMatrix) -> Int { 16 + (8 + 8 * (m.rows + 1)) + 2 * (8 + 4 * m.nnz) }

    /// Floats written that are NaN or infinite: a model holding any is not saved.
    var nonFiniteValues = 0

    mutating func table(_ t: [String: String]) {
        let keys = t.keys.sorted()
        strings(keys)
        strings(keys.map { t[$0]! })
    }

    mutating func matrix(_ m: Matrix<Float>) { int(m.rows); int(m.columns); floats(m.elements) }

    mutating func sparse(_ m: SparseMatrix) {
        int(m.rows); int(m.columns)
        ints(m.rowPointers); int32s(m.columnIndices); floats(m.values)
    }

    mutating func neighbors(_ n: NeighborList) { int(n.k); int32s(n.indices); floats(n.scores) }
}

/// Reads little-endian values with bounds checks; every failure is a ``ModelFileError``.
struct ArchiveReader {
    let bytes: [UInt8]
    let path: String
    var offset = 0

    init(bytes: [UInt8], path: String) { self.bytes = bytes; self.path = path }

    func fail(_ reason: String) -> ModelFileError { ModelFileError(path: path, reason: reason) }

    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - offset else {
            throw fail("truncated or corrupted: needs \(n) bytes at payload offset \(offset), \(bytes.count - offset) left")
        }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }

    mutating func uint32() throws -> UInt32 {
        try take(4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    mutating func uint64() throws -> UInt64 {
        try take(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    mutating func int() throws -> Int {
        let v = Int64(bitPattern: try uint64())
        guard let i = Int(exactly: v) else { throw fail("integer \(v) out of range") }
        return i
    }

    /// A non-negative count, at most `limit` (so a corrupted count cannot ask for huge memory).
    mutating func count(elementSize: Int) throws -> Int {
        let n = try uint64()
        guard n <= UInt64((bytes.count - offset) / max(1, elementSize)) else {
            throw fail("truncated or corrupted: an array of \(n) elements does not fit in the \(bytes.count - offset) bytes left")
        }
        return Int(n)
    }

    mutating func float() throws -> Float { Float(bitPattern: try uint32()) }

    mutating func string() throws -> String {
        let n = Int(try uint32())
        guard let s = String(validating: try take(n), as: UTF8.self) else { throw fail("invalid UTF-8 in a string") }
        return s
    }

    mutating func strings() throws -> [String] {
        let n = try count(elementSize: 4)
        return try (0..<n).map { _ in try string() }
    }

    mutating func ints() throws -> [Int] {
        let n = try count(elementSize: 8)
        return try (0..<n).map { _ in try int() }
    }

    mutating func int32s() throws -> [Int32] {
        try littleEndianArray(of: Int32.self)
    }

    mutating func floats() throws -> [Float] {
        try littleEndianArray(of: UInt32.self).map { Float(bitPattern: $0) }
    }

    /// An array written by ``ArchiveWriter/littleEndian(_:)`` (its count first), copied in one
    /// block where the machine is little-endian.
    mutating func littleEndianArray<T: FixedWidthInteger>(of: T.Type) throws -> [T] {
        let n = try count(elementSize: MemoryLayout<T>.size)
        let raw = try take(MemoryLayout<T>.size * n)
        return [T](unsafeUninitializedCapacity: n) { out, initialized in
            raw.withUnsafeBytes { source in
                #if _endian(little)
                UnsafeMutableRawBufferPointer(out).copyMemory(from: source)
                #else
                for i in 0..<n { out[i] = T(littleEndian: source.loadUnaligned(fromByteOffset: MemoryLayout<T>.size * i, as: T.self)) }
                #endif
            }
            initialized = n
        }
    }

    mutating func table() throws -> [String: String] {
        let keys = try strings(), values = try strings()
        guard keys.count == values.count, Set(keys).count == keys.count else { throw fail("corrupted hyperparameter table") }
        return Dictionary(uniqueKeysWithValues: zip(keys, values))
    }

    mutating func matrix() throws -> Matrix<Float> {
        let rows = try int(), columns = try int()
        let elements = try floats()
        guard rows >= 0, columns >= 0, rows.multipliedReportingOverflow(by: columns) == (elements.count, false) else {
            throw fail("corrupted matrix: \(rows)×\(columns) with \(elements.count) elements")
        }
        return try Matrix(rows: rows, columns: columns, elements: elements)
    }

    mutating func sparse() throws -> SparseMatrix {
        let rows = try int(), columns = try int()
        let pointers = try ints(), indices = try int32s(), values = try floats()
        do {
            return try SparseMatrix(rows: rows, columns: columns, rowPointers: pointers, columnIndices: indices, values: values)
        } catch {
            throw fail("corrupted sparse matrix: \(error)")
        }
    }

    mutating func neighbors() throws -> NeighborList {
        let k = try int(), indices = try int32s(), scores = try floats()
        guard k >= 0, indices.count == scores.count, k == 0 ? indices.isEmpty : indices.count % k == 0 else {
            throw fail("corrupted neighbour list")
        }
        return NeighborList(k: k, indices: indices, scores: scores)
    }

    /// Throws unless every byte was read.
    func finish() throws {
        guard offset == bytes.count else { throw fail("corrupted: \(bytes.count - offset) unread bytes in the payload") }
    }
}

/// CRC-32 (IEEE 802.3 polynomial, reflected, as zlib's `crc32`), eight bytes a step
/// ("slicing-by-8", Kounavis & Berry, Intel 2005): a model file of hundreds of MiB checks in
/// about a second rather than several.
enum CRC32 {
    /// tables[k][b]: the CRC of byte b followed by k zero bytes.
    static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[n] = c
        }
        for k in 1..<8 { for n in 0..<256 { t[k * 256 + n] = t[(k - 1) * 256 + n] >> 8 ^ t[Int(t[(k - 1) * 256 + n] & 0xFF)] } }
        return t
    }()

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { checksum($0) }
    }

    static func checksum(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        tables.withUnsafeBufferPointer { t in
            var i = 0
            let n = bytes.count
            while i + 8 <= n {
                let lo = c ^ (UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
                c = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int(lo >> 8 & 0xFF)] ^ t[5 * 256 + Int(lo >> 16 & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(bytes[i + 4])] ^ t[2 * 256 + Int(bytes[i + 5])] ^ t[256 + Int(bytes[i + 6])] ^ t[Int(bytes[i + 7])]
                i += 8
            }
            while i < n { c = t[Int((c ^ UInt32(bytes[i])) & 0xFF)] ^ (c >> 8); i += 1 }
        }
        return c ^ 0xFFFF_FFFF
    }
}
