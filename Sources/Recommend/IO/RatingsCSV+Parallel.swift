#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DenseLinalg
import Synchronization

/// Parallel loading: the file's data lines are cut into byte ranges at line boundaries, each
/// range is parsed on its own (its own id maps, its own line count) straight into the table's
/// columns at the range's offset, and the ranges' ids are merged in file order. Interning each
/// range's ids, in the order they first appear in it, after all earlier ranges' gives every id
/// the index one thread would give it, so the result is the same table bit for bit; line
/// numbers are the range's own plus the lines of the ranges before it. Memory: the table's
/// columns and one read buffer per thread, never a copy of the file's text.
extension RatingsCSV {
    /// One range's counts and range-local ids; its rows are written straight into the table's
    /// columns at the range's offset.
    struct Piece: Sendable {
        var userIDs = IDMap(), itemIDs = IDMap()
        var rows = 0
        /// Its skipped lines' errors carry line numbers counted from the range's first line (1).
        var tally = LineTally()
        var error: DataError? = nil
    }

    /// The table's four columns, written by many workers at disjoint offsets.
    struct Columns: @unchecked Sendable {
        var users, items: UnsafeMutablePointer<Int32>
        var values: UnsafeMutablePointer<Float>
        var timestamps: UnsafeMutablePointer<Int64>
    }

    /// A range's rows, appended at its offset in the columns, with the range's own id maps.
    struct ColumnSink: RowSink {
        var userIDs = IDMap(), itemIDs = IDMap()
        let columns: Columns
        var next: Int
        let end: Int
        let keepTimestamps: Bool

        mutating func append(user: Int32, item: Int32, value: Float, timestamp: Int64) {
            precondition(next < end, "more rows than lines in a range")
            columns.users[next] = user; columns.items[next] = item
            columns.values[next] = value
            if keepTimestamps { columns.timestamps[next] = timestamp }
            next += 1
        }
    }

    /// Loads `file` on `options.threads` threads; nil when the header line is too long to find
    /// cheaply (the sequential reader then takes the file).
    ///
    /// Three passes over the ranges, each in parallel: count each range's lines (which bounds
    /// its rows and gives its first line number), parse each range into the columns at its
    /// offset with range-local ids, then map local ids to the table's (interned range by range,
    /// in the order each range first saw them: the order one thread gives). Rows of a range
    /// that lost lines (blank, unrated, skipped) are moved down to close the gap.
    static func loadParallel(path: String, file: UnsafeMutablePointer<FILE>, size: Int, options: RatingsCSVOptions,
                             into existing: Interactions) throws -> LoadedRatings? {
        let fd = fileno(file)
        guard let (parser, headerEnd) = try readHeaderLine(fd: fd, size: size, path: path, options: options) else { return nil }

        // Cut points: the start of the first line at or after each even share of the bytes.
        let count = max(options.threads * 4, (size - headerEnd) / max(1, options.pieceBytes))
        var cuts = [headerEnd]
        for k in 1...count { cuts.append(max(cuts.last!, try cut(k, of: count, fd: fd, path: path, headerEnd: headerEnd, size: size))) }
        let ranges = (0..<count).map { cuts[$0]..<cuts[$0 + 1] }

        // Pass 1: lines per range.
        let lines = try parallelMap(ranges, threads: options.threads) { range in
            var n = 0
            try LineReader(fd: fd, range: range, path: path).forEachLine { _ in n += 1; return true }
            return n
        }
        var firstRow = [Int](repeating: existing.count, count: count + 1)
        for k in 0..<count { firstRow[k + 1] = firstRow[k] + lines[k] }

        var pieces: [Piece] = []
        var merged = (users: existing.userIDs, items: existing.itemIDs)
        let columns = try withColumns(capacity: firstRow[count], existing, timestamps: options.keepTimestamps) { columns in
            // Pass 2: parse each range at its offset. A range after one that failed is not parsed.
            let firstFailure = Atomic<Int>(Int.max)
            pieces = try parallelMap(Array(0..<count), threads: options.threads) { k -> Piece in
                guard k < firstFailure.load(ordering: .relaxed) else { return Piece() }
                let piece = try parsePiece(fd: fd, ranges[k], parser: parser, options: options,
                                           sink: ColumnSink(columns: columns, next: firstRow[k], end: firstRow[k + 1],
                                                            keepTimestamps: options.keepTimestamps))
                if piece.error != nil { firstFailure.min(k, ordering: .relaxed) }
                return piece
            }
            for k in 0..<count {
                if var error = pieces[k].error {
                    error.line = error.line.map { $0 + 1 + firstRow[k] - existing.count }
                    throw error
                }
            }
            // Pass 3: local ids to the table's, interned range by range in file order.
            let maps = pieces.map { piece in
                (piece.userIDs.ids.map { merged.users.intern($0) }, piece.itemIDs.ids.map { merged.items.intern($0) })
            }
            _ = try parallelMap(Array(0..<count), threads: options.threads) { k -> Int in
                let (users, items) = maps[k]
                for r in firstRow[k]..<(firstRow[k] + pieces[k].rows) {
                    columns.users[r] = users[Int(columns.users[r])]
                    columns.items[r] = items[Int(columns.items[r])]
                }
                return 0
            }
            // Close the gaps left by lines that gave no row.
            var end = existing.count
            for k in 0..<count {
                let (from, n) = (firstRow[k], pieces[k].rows)
                if from != end {
                    columns.users.advanced(by: end).update(from: columns.users.advanced(by: from), count: n)
                    columns.items.advanced(by: end).update(from: columns.items.advanced(by: from), count: n)
                    columns.values.advanced(by: end).update(from: columns.values.advanced(by: from), count: n)
                    if options.keepTimestamps {
                        columns.timestamps.advanced(by: end).update(from: columns.timestamps.advanced(by: from), count: n)
                    }
                }
                end += n
            }
            return end
        }
        var result = existing
        result.userIDs = merged.users; result.itemIDs = merged.items
        (result.users, result.items, result.values, result.timestamps) = columns
        var tally = LineTally()
        for k in 0..<count {
            tally.unrated += pieces[k].tally.unrated
            tally.skipped += pieces[k].tally.skipped
            tally.examples += pieces[k].tally.examples.prefix(5 - tally.examples.count).map { e in
                var e = e; e.line = e.line.map { $0 + 1 + firstRow[k] - existing.count }; return e
            }
        }
        return try finish(path, result, existing: existing, tally: tally, parser: parser)
    }

    /// The header line (at most 1 MiB, else nil) read with a parser for the data lines, and the
    /// offset just after it.
    static func readHeaderLine(fd: Int32, size: Int, path: String, options: RatingsCSVOptions) throws -> (parser: RowParser, end: Int)? {
        guard let headerEnd = try nextLineStart(fd: fd, from: 0, size: size, path: path, limit: 1 << 20) else { return nil }
        var header = [UInt8](repeating: 0, count: headerEnd)
        try readExactly(fd: fd, into: &header, at: 0, path: path)
        if header.last == 10 { header.removeLast() }
        var parser = RowParser(path: path, options: options)
        try parser.readHeader(header, lineNumber: 1)
        return (parser, headerEnd)
    }

    /// Cut point `s` of `shares` of the data lines after `headerEnd`: the start of the first line
    /// at or after header + s·body/shares, as Hadoop's input splits are cut (0: the header's end,
    /// `shares`: the file's end).
    static func cut(_ s: Int, of shares: Int, fd: Int32, path: String, headerEnd: Int, size: Int) throws -> Int {
        if s == 0 { return headerEnd }
        if s == shares { return size }
        let target = headerEnd + Int((Double(size - headerEnd) * Double(s) / Double(shares)).rounded(.down))
        return try nextLineStart(fd: fd, from: max(headerEnd, target - 1), size: size, path: path) ?? size
    }

    /// Four uninitialised columns of `capacity` rows (the existing table's rows copied first),
    /// filled by `body`, which returns how many rows they hold in the end.
    static func withColumns(capacity: Int, _ existing: Interactions, timestamps keep: Bool, _ body: (Columns) throws -> Int) throws
        -> ([Int32], [Int32], [Float], [Int64]) {
        let capacity = max(1, capacity)  // base addresses exist
        var final = 0
        var items: [Int32] = [], values: [Float] = [], timestamps: [Int64] = []
        let users = try [Int32](unsafeUninitializedCapacity: capacity) { u, uCount in
            items = try [Int32](unsafeUninitializedCapacity: capacity) { i, iCount in
                values = try [Float](unsafeUninitializedCapacity: capacity) { v, vCount in
                    timestamps = try [Int64](unsafeUninitializedCapacity: keep ? capacity : 1) { t, tCount in
                        _ = u.initialize(fromContentsOf: existing.users); _ = i.initialize(fromContentsOf: existing.items)
                        _ = v.initialize(fromContentsOf: existing.values)
                        if keep { _ = t.initialize(fromContentsOf: existing.timestamps) }
                        final = try body(Columns(users: u.baseAddress!, items: i.baseAddress!, values: v.baseAddress!, timestamps: t.baseAddress!))
                        tCount = keep ? final : 0
                    }
                    vCount = final
                }
                iCount = final
            }
            uCount = final
        }
        return (users, items, values, timestamps)
    }

    /// `body` of each element, on up to `threads` workers, in order; the first error (in
    /// element order) is thrown.
    static func parallelMap<T, R: Sendable>(_ elements: [T], threads: Int, _ body: (T) throws -> R) throws -> [R] {
        var results = [Result<R, any Error>?](repeating: nil, count: elements.count)
        results.withUnsafeMutableBufferPointer { slots in
            let slots = UncheckedSendable(slots)
            withoutActuallyEscaping(body) { body in
                let shared = UncheckedSendable((body, elements))
                Parallel.forEachBlock(count: elements.count, threads: threads, minimumBlock: 1) { range in
                    for k in range { slots.value[k] = Result { try shared.value.0(shared.value.1[k]) } }
                }
            }
        }
        return try results.map { try $0!.get() }
    }

    /// Parses the lines of `bytes` (whole lines of the file) with a copy of the header's parser
    /// into `sink`.
    static func parsePiece(fd: Int32, _ bytes: Range<Int>, parser template: RowParser, options: RatingsCSVOptions,
                           sink: ColumnSink) throws -> Piece {
        var piece = Piece()
        var parser = template
        var sink = sink
        let first = sink.next
        var lineNumber = 0
        try LineReader(fd: fd, range: bytes, path: template.path).forEachLine { line in
            lineNumber += 1
            do {
                try piece.tally.take(line, lineNumber: lineNumber, parser: &parser, into: &sink, skipBadLines: options.skipBadLines)
            } catch let error as DataError {
                piece.error = error  // the first bad line of the range: later ranges need not be parsed
                return false
            }
            return true
        }
        piece.rows = sink.next - first
        piece.userIDs = sink.userIDs; piece.itemIDs = sink.itemIDs
        return piece
    }

    /// The offset just after the first newline at or after `from` (`size` when there is none),
    /// or nil when none lies within `limit` bytes.
    static func nextLineStart(fd: Int32, from: Int, size: Int, path: String, limit: Int = .max) throws -> Int? {
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var offset = from
        while offset < size {
            if offset - from >= limit { return nil }
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, off_t(offset)) }
            if n < 0 { throw DataError(file: path, reason: "read error: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            if let i = chunk[..<n].firstIndex(of: 10) { return offset + i + 1 }
            offset += n
        }
        return size
    }

    static func readExactly(fd: Int32, into bytes: inout [UInt8], at offset: Int, path: String) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(offset + done)) }
            if n <= 0 { throw DataError(file: path, reason: "read error") }
            done += n
        }
    }
}
