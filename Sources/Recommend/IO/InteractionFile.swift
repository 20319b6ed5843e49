#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DenseLinalg
import Foundation

/// The binary interaction format (`.rmx`), for data loaded again and again: the interaction
/// table's columns as little-endian arrays, so that loading is a few large reads instead of
/// parsing text (100 M interactions in seconds rather than a minute).
///
/// The rows are kept in the order of the file they came from, with duplicates and rows without
/// a rating, so that every command gives the same answer from the binary form as from the CSV
/// (the same ids in the same order, the latest value of a repeated pair winning, the same
/// splits). Training builds its CSR matrices from these columns as it does from a CSV's.
///
/// Layout (every section starts at a multiple of 64 bytes, so each column can be memory-mapped
/// in place; the gaps are zero):
/// ```
/// offset  bytes        content
/// 0       8            magic "RMX1\r\n\u{1A}\n" (a text-mode transfer or a truncating editor breaks it)
/// 8       4            format version (1), UInt32
/// 12      4            flags: 1 = values present, 2 = timestamps present
/// 16      8×6          rows, users, items, user-id bytes, item-id bytes, 0 (reserved), UInt64 each
/// 64      8·users      end offset of each user id in the user-id bytes, UInt64
///         …            user-id bytes (UTF-8, concatenated, in inner-index order)
///         8·items      end offsets of the item ids, then the item-id bytes
///         4·rows       user inner index of each row, Int32
///         4·rows       item inner index of each row, Int32
///         4·rows       value of each row, Float32 (NaN: a row without a rating), when flag 1
///         8·rows       timestamp of each row, Unix seconds, Int64, when flag 2
/// end−16  4            CRC-32C of every byte before this footer, UInt32; then 4 zero bytes
/// end−8   8            "RMX1END\0"
/// ```
public enum InteractionFile {
    static let magic: [UInt8] = Array("RMX1\r\n".utf8) + [0x1A, 0x0A]
    static let endMark: [UInt8] = Array("RMX1END".utf8) + [0]
    static let version: UInt32 = 1
    static let headerBytes = 64, footerBytes = 16, alignment = 64

    /// Whether the file at `path` starts with the binary format's magic.
    public static func isBinary(path: String) -> Bool {
        guard let file = fopen(path, "rb") else { return false }
        defer { fclose(file) }
        return hasMagic(file)
    }

    /// Whether these first bytes of a file are the magic.
    static func hasMagic(_ file: UnsafeMutablePointer<FILE>) -> Bool {
        var head = [UInt8](repeating: 0, count: magic.count)
        let n = pread(fileno(file), &head, head.count, 0)
        return n == head.count && head == magic
    }

    /// The sections' sizes for a header's counts, in file order.
    static func sections(rows: Int, users: Int, items: Int, userBytes: Int, itemBytes: Int,
                         values: Bool, timestamps: Bool) -> [Int] {
        [8 * users, userBytes, 8 * items, itemBytes, 4 * rows, 4 * rows, values ? 4 * rows : 0, timestamps ? 8 * rows : 0]
    }

    static func padded(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    /// Writes `data` to `path` atomically (a temporary file renamed over it).
    /// - Parameters:
    ///   - values: store the values column (a file with a rating column); without it every row
    ///     loads as an implicit 1.
    ///   - timestamps: store the timestamps column.
    /// - Throws: ``DataError`` when the folder cannot be written.
    public static func write(_ data: Interactions, values: Bool = true, timestamps: Bool = true, to path: String) throws {
        let userIDs = data.userIDs.ids.map { Array($0.utf8) }, itemIDs = data.itemIDs.ids.map { Array($0.utf8) }
        let userBytes = userIDs.reduce(0) { $0 + $1.count }, itemBytes = itemIDs.reduce(0) { $0 + $1.count }
        try AtomicFile.write(to: path) { handle in
            var writer = ChecksummedWriter(handle: handle)
            var header = [UInt8](repeating: 0, count: headerBytes)
            header.replaceSubrange(0..<8, with: magic)
            func put<T: FixedWidthInteger>(_ v: T, at offset: Int) {
                withUnsafeBytes(of: v.littleEndian) { header.replaceSubrange(offset..<(offset + $0.count), with: $0) }
            }
            put(version, at: 8)
            put(UInt32((values ? 1 : 0) | (timestamps ? 2 : 0)), at: 12)
            for (i, n) in [data.count, userIDs.count, itemIDs.count, userBytes, itemBytes, 0].enumerated() { put(UInt64(n), at: 16 + 8 * i) }
            try writer.write(header)
            for ids in [userIDs, itemIDs] {
                var end: UInt64 = 0
                try writer.write(ids.map { end += UInt64($0.count); return end.littleEndian })
                try writer.pad()
                try writer.write(ids.flatMap { $0 })
                try writer.pad()
            }
            // Little-endian machines write the columns as they are in memory, without a copy.
            #if _endian(little)
            try writer.write(data.users); try writer.pad()
            try writer.write(data.items); try writer.pad()
            if values { try writer.write(data.values); try writer.pad() }
            if timestamps { try writer.write(data.timestamps); try writer.pad() }
            #else
            try writer.write(data.users.map { $0.littleEndian }); try writer.pad()
            try writer.write(data.items.map { $0.littleEndian }); try writer.pad()
            if values { try writer.write(data.values.map { $0.bitPattern.littleEndian }); try writer.pad() }
            if timestamps { try writer.write(data.timestamps.map { $0.littleEndian }); try writer.pad() }
            #endif
            try writer.finish()
        }
    }

    /// Reads a binary interaction file, honouring the CSV loader's options: `implicit` makes
    /// every row a 1 (rows without a rating included), otherwise rows without a rating are left
    /// out and counted; `requireRating` refuses a file without values; ids are interned into
    /// `existing`'s maps.
    /// - Throws: ``DataError`` naming the file for a truncated, corrupted (checksum), foreign or
    ///   newer-version file, in one line.
    static func read(path: String, file: UnsafeMutablePointer<FILE>, size: Int, options: RatingsCSVOptions,
                     into existing: Interactions) throws -> LoadedRatings {
        func fail(_ reason: String) -> DataError { DataError(file: path, reason: reason) }
        var reader = ChecksummedReader(fd: fileno(file), path: path)
        guard size >= headerBytes + footerBytes else { throw fail("truncated binary interaction file: \(size) bytes, shorter than its header") }
        var header = [UInt8](repeating: 0, count: headerBytes)
        try reader.read(into: &header)
        func field<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            header.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        }
        let fileVersion = field(8, UInt32.self), flags = field(12, UInt32.self)
        guard fileVersion == version else {
            throw fail("binary interaction file of format version \(fileVersion); this build reads version \(version)")
        }
        guard flags & ~3 == 0 else { throw fail("corrupted binary interaction file (unknown flags \(flags))") }
        let counts = (0..<5).map { field(16 + 8 * $0, UInt64.self) }
        guard field(56, UInt64.self) == 0 else { throw fail("corrupted binary interaction file (reserved header field is not zero)") }
        // Each count is bounded by the file's size before any arithmetic, so nothing overflows.
        guard counts.allSatisfy({ $0 <= UInt64(size) }) else { throw fail("corrupted binary interaction file (a count exceeds the file's size)") }
        let (rows, users, items, userBytes, itemBytes) = (Int(counts[0]), Int(counts[1]), Int(counts[2]), Int(counts[3]), Int(counts[4]))
        let hasValues = flags & 1 != 0, hasTimestamps = flags & 2 != 0
        let sizes = sections(rows: rows, users: users, items: items, userBytes: userBytes, itemBytes: itemBytes,
                             values: hasValues, timestamps: hasTimestamps)
        let expected = headerBytes + sizes.reduce(0) { $0 + padded($1) } + footerBytes
        guard expected == size else {
            throw fail(size < expected ? "truncated binary interaction file: \(size) bytes of the \(expected) its header describes"
                       : "corrupted binary interaction file: \(size) bytes, its header describes \(expected)")
        }
        let userIDs = try reader.ids(count: users, bytes: userBytes)
        let itemIDs = try reader.ids(count: items, bytes: itemBytes)
        var userColumn: [Int32] = try reader.column(rows)
        var itemColumn: [Int32] = try reader.column(rows)
        var values: [Float] = hasValues ? try reader.column(rows) : []
        var timestamps: [Int64] = []
        if hasTimestamps {
            if options.keepTimestamps { timestamps = try reader.column(rows) } else { try reader.skip(8 * rows) }
        }
        var footer = [UInt8](repeating: 0, count: footerBytes)
        let computed = reader.crc
        try reader.read(into: &footer)
        let stored = footer.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
        guard Array(footer[8...]) == endMark, footer[4..<8].allSatisfy({ $0 == 0 }) else {
            throw fail("corrupted binary interaction file: bad end marker")
        }
        guard stored == computed else {
            throw fail("corrupted binary interaction file: checksum mismatch (stored \(String(stored, radix: 16)), computed \(String(computed, radix: 16)))")
        }
        guard reader.nonzeroPadding == 0 else { throw fail("corrupted binary interaction file: nonzero bytes between sections") }
        #if _endian(big)
        userColumn = userColumn.map { Int32(littleEndian: $0) }; itemColumn = itemColumn.map { Int32(littleEndian: $0) }
        values = values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }; timestamps = timestamps.map { Int64(littleEndian: $0) }
        #endif

        // Content checks a valid checksum cannot replace (a file written by other code).
        guard let userMap = distinctMap(userIDs), let itemMap = distinctMap(itemIDs) else {
            throw fail("corrupted binary interaction file: an id appears twice")
        }
        let bad = userColumn.withUnsafeBufferPointer { u in itemColumn.withUnsafeBufferPointer { i in
            (0..<rows).first { r in UInt32(bitPattern: u[r]) >= UInt32(users) || UInt32(bitPattern: i[r]) >= UInt32(items) }
        } }
        if let bad { throw fail("corrupted binary interaction file: row \(bad) refers to a user or item beyond the id lists") }
        if hasValues, let bad = values.firstIndex(where: { $0.isInfinite }) {
            throw fail("corrupted binary interaction file: the value of row \(bad) is infinite")
        }
        if options.requireRating && !hasValues {
            throw fail("no rating column (the binary file was converted from data without ratings)")
        }

        var result = existing
        if existing.userIDs.count == 0 && existing.itemIDs.count == 0 && existing.count == 0 {
            result.userIDs = userMap; result.itemIDs = itemMap
        } else {
            let u = userIDs.map { result.userIDs.intern($0) }, i = itemIDs.map { result.itemIDs.intern($0) }
            userColumn = userColumn.map { u[Int($0)] }
            itemColumn = itemColumn.map { i[Int($0)] }
        }
        var unrated = 0
        if options.implicit || !hasValues {
            values = [Float](repeating: 1, count: rows)
        } else if !options.keepUnrated, values.contains(where: { $0.isNaN }) {
            // Rows without a rating are not ratings: left out, as the CSV loader leaves them.
            let keep = values.indices.filter { !values[$0].isNaN }
            unrated = rows - keep.count
            userColumn = keep.map { userColumn[$0] }; itemColumn = keep.map { itemColumn[$0] }
            timestamps = timestamps.isEmpty ? [] : keep.map { timestamps[$0] }
            values = keep.map { values[$0] }
        }
        if !hasTimestamps && options.keepTimestamps { timestamps = [Int64](repeating: 0, count: userColumn.count) }
        if result.count == 0 {
            result.users = userColumn; result.items = itemColumn; result.values = values; result.timestamps = timestamps
        } else {
            result.users += userColumn; result.items += itemColumn; result.values += values; result.timestamps += timestamps
        }
        if userColumn.isEmpty {
            throw fail(unrated > 0 ? "no rated rows (\(unrated) rows have an empty rating; load as implicit to use them)" : "no data rows")
        }
        return LoadedRatings(interactions: result, unratedRows: unrated, skippedLines: 0, skippedExamples: [],
                             hasRatings: hasValues, hasTimestamps: hasTimestamps)
    }

    /// The id map of distinct ids in order, nil when one repeats.
    static func distinctMap(_ ids: [String]) -> IDMap? {
        let map = IDMap(ids)
        return map.count == ids.count ? map : nil
    }
}

/// Writes through a file handle in large blocks, keeping the CRC-32C of everything written.
struct ChecksummedWriter {
    let handle: FileHandle
    var crc: UInt32 = 0
    var written = 0

    mutating func write<T>(_ array: [T]) throws {
        try array.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let chunk = UnsafeRawBufferPointer(rebasing: raw[offset..<min(raw.count, offset + (16 << 20))])
                crc = CRC32C.checksum(chunk, continuing: crc)
                try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: chunk.baseAddress!), count: chunk.count, deallocator: .none))
                offset += chunk.count
            }
        }
        written += array.count * MemoryLayout<T>.stride
    }

    /// Zeros up to the next section boundary.
    mutating func pad() throws {
        let gap = InteractionFile.padded(written) - written
        if gap > 0 { try write([UInt8](repeating: 0, count: gap)) }
    }

    /// The footer: the checksum of everything before it and the end mark.
    mutating func finish() throws {
        var footer = [UInt8](repeating: 0, count: InteractionFile.footerBytes)
        withUnsafeBytes(of: crc.littleEndian) { footer.replaceSubrange(0..<4, with: $0) }
        footer.replaceSubrange(8..<16, with: InteractionFile.endMark)
        try handle.write(contentsOf: Data(footer))
    }
}

/// Reads a file front to back with `pread`, straight into arrays, keeping the CRC-32C.
struct ChecksummedReader {
    let fd: Int32
    let path: String
    var offset = 0
    var crc: UInt32 = 0

    mutating func read(into raw: UnsafeMutableRawBufferPointer) throws {
        var done = 0
        while done < raw.count {
            let n = pread(fd, raw.baseAddress! + done, min(raw.count - done, 64 << 20), off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw DataError(file: path, reason: n == 0 ? "truncated binary interaction file" : "read error: \(String(cString: strerror(errno)))") }
            crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[done..<(done + n)]), continuing: crc)
            done += n
        }
        offset += raw.count
    }

    mutating func read(into bytes: inout [UInt8]) throws {
        try bytes.withUnsafeMutableBytes { try read(into: $0) }
    }

    /// `count` values of a fixed-width type, then the padding to the next section.
    mutating func column<T>(_ count: Int) throws -> [T] {
        let column = try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            try read(into: UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
        try skipPadding()
        return column
    }

    /// Checksums `count` bytes (then the padding) without keeping them.
    mutating func skip(_ count: Int) throws {
        var block = [UInt8](repeating: 0, count: min(count, 16 << 20))
        var left = count
        while left > 0 {
            let n = min(left, block.count)
            try block.withUnsafeMutableBytes { try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<n])) }
            left -= n
        }
        try skipPadding()
    }

    /// Nonzero bytes seen in the gaps between sections (the layout says they are zero).
    var nonzeroPadding = 0

    mutating func skipPadding() throws {
        var gap = [UInt8](repeating: 0, count: InteractionFile.padded(offset) - offset)
        if !gap.isEmpty {
            try read(into: &gap)
            nonzeroPadding += gap.reduce(0) { $0 + ($1 == 0 ? 0 : 1) }
        }
    }

    /// `count` ids stored as end offsets and bytes.
    mutating func ids(count: Int, bytes: Int) throws -> [String] {
        let ends: [UInt64] = try column(count).map { UInt64(littleEndian: $0) }
        var blob = [UInt8](repeating: 0, count: bytes)
        try read(into: &blob)
        try skipPadding()
        var ids: [String] = []
        ids.reserveCapacity(count)
        var start = 0
        for end in ends {
            guard end >= UInt64(start), end <= UInt64(bytes) else {
                throw DataError(file: path, reason: "corrupted binary interaction file: id offsets out of order")
            }
            let bytes = blob[start..<Int(end)]
            // What the CSV loader would accept as an id: non-empty UTF-8 text without NUL.
            guard !bytes.isEmpty, !bytes.contains(0), let id = String(validating: bytes, as: UTF8.self) else {
                throw DataError(file: path, reason: "corrupted binary interaction file: an id is empty, holds a NUL byte or is not UTF-8 text")
            }
            ids.append(id)
            start = Int(end)
        }
        guard start == bytes else { throw DataError(file: path, reason: "corrupted binary interaction file: id bytes do not add up") }
        return ids
    }
}
