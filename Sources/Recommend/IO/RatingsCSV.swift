#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Options of the ratings CSV/TSV loader.
public struct RatingsCSVOptions: Sendable {
    /// Column holding the user id; nil means the first of `user`, `userId`, `user_id`.
    public var userColumn: String? = nil
    /// Column holding the item id; nil means the first of `item`, `movieId`, `itemId`, `item_id`, `title_id`.
    public var itemColumn: String? = nil
    /// Column holding the rating; nil means `rating` when present. Without one every row is an implicit 1.
    public var ratingColumn: String? = nil
    /// Column holding a Unix timestamp; nil means `timestamp` when present.
    public var timestampColumn: String? = nil
    /// The field separator; nil detects it from the header (comma, tab, semicolon or `|`).
    public var delimiter: UInt8? = nil
    /// Skip malformed lines (and count them) instead of failing on the first.
    public var skipBadLines = false
    /// Ignore any rating column: every row is an implicit interaction of strength 1.
    public var implicit = false
    /// For files without a header line (MovieLens `u.data`): the column names, in order. The
    /// first line is then data.
    public var columnNames: [String]? = nil
    /// Refuse a file without a rating column (rating prediction has nothing to learn from 1s).
    public var requireRating = false
    /// Threads parsing the file: with more than one, a file of at least 64 MiB is cut into byte
    /// ranges at line boundaries, parsed at once and merged in file order, giving the same
    /// interactions, ids and errors (with their line numbers) as one thread. Default 1.
    public var threads = 1
    /// Bytes per range of a parallel load, and the smallest file split (tests make both tiny).
    var pieceBytes = 32 << 20
    /// (Below 64 MiB the extra counting pass and per-range id maps cost more than the second
    /// thread saves: a 15 MB file parsed in 0.24 s on two threads against 0.19 s on one.)
    var parallelMinimumBytes = 64 << 20
    /// Keep rows with an empty rating, with the value NaN (the binary format stores them so that
    /// loading it later as ratings or as views gives what the CSV gives).
    public var keepUnrated = false
    /// Keep the timestamp column. Without it (a model that learns from the matrices alone)
    /// the table's `timestamps` stay empty, saving 8 bytes a row; timestamps are still checked.
    public var keepTimestamps = true

    public init(userColumn: String? = nil, itemColumn: String? = nil, ratingColumn: String? = nil,
                timestampColumn: String? = nil, delimiter: UInt8? = nil, skipBadLines: Bool = false,
                columnNames: [String]? = nil, implicit: Bool = false) {
        self.userColumn = userColumn; self.itemColumn = itemColumn; self.ratingColumn = ratingColumn
        self.timestampColumn = timestampColumn; self.delimiter = delimiter; self.skipBadLines = skipBadLines
        self.columnNames = columnNames
        self.implicit = implicit
    }
}

/// The result of loading: the interactions and how many bad lines were skipped.
public struct LoadedRatings: Sendable {
    public var interactions: Interactions
    /// Rows whose rating cell was empty: views without a rating, left out of a ratings load
    /// (load with `implicit` to keep them).
    public var unratedRows: Int
    public var skippedLines: Int
    /// The first few skipped lines' errors, for reporting.
    public var skippedExamples: [DataError]
    /// Whether the file has a rating column and a timestamp column.
    public var hasRatings = true, hasTimestamps = true
}

/// A streaming, header-driven reader of ratings files (`user,item,rating,timestamp` and
/// variants). It reads in 4 MiB chunks and parses bytes directly, so memory stays close to the
/// arrays it produces.
public enum RatingsCSV {
    static let userNames = ["user", "userid", "user_id"]
    static let itemNames = ["item", "movieid", "itemid", "item_id", "title_id", "movie_id"]

    /// Loads a ratings file, or the binary form ``InteractionFile`` wrote (recognised by its
    /// first bytes, whatever the file's name).
    /// - Throws: ``DataError`` naming the file, line and reason (a missing column, a non-numeric
    ///   or non-finite rating, an empty file, binary content, a ragged row), unless
    ///   `skipBadLines` is set, in which case bad data lines are skipped and counted.
    public static func load(path: String, options: RatingsCSVOptions = .init(),
                            into existing: Interactions = Interactions()) throws -> LoadedRatings {
        let (file, size) = try openRegularFile(path)
        defer { fclose(file) }
        if InteractionFile.hasMagic(file) {
            return try InteractionFile.read(path: path, file: file, size: size, options: options, into: existing)
        }
        if options.threads > 1, size >= options.parallelMinimumBytes, options.columnNames == nil,
           let parallel = try loadParallel(path: path, file: file, size: size, options: options, into: existing) {
            return parallel
        }
        let reader = LineReader(fd: fileno(file), range: 0..<Int.max, path: path)
        var parser = RowParser(path: path, options: options)
        var result = existing
        var tally = LineTally()
        var lineNumber = 0
        var sawHeader = false
        if let names = options.columnNames {
            let separator = String(UnicodeScalar(options.delimiter ?? 44))
            try parser.readHeader(Array(names.joined(separator: separator).utf8), lineNumber: 0)
            sawHeader = true
        }
        // Reserve the columns once the first lines tell the average line length, so they do not
        // grow by doubling (which would leave up to twice the memory they need).
        var sampledBytes = 0
        let fileBytes: Int = {
            var info = stat()
            return stat(path, &info) == 0 ? Int(info.st_size) : 0
        }()
        try reader.forEachLine { line in
            lineNumber += 1
            if lineNumber <= 1000 {
                sampledBytes += line.count + 1
                if lineNumber == 1000, fileBytes > sampledBytes {
                    let expected = result.count + (fileBytes - sampledBytes) * 1000 / sampledBytes * 21 / 20
                    result.reserveCapacity(expected)
                }
            }
            if !sawHeader {
                try parser.readHeader(Array(line), lineNumber: lineNumber)
                sawHeader = true
                return true
            }
            try tally.take(line, lineNumber: lineNumber, parser: &parser, into: &result, skipBadLines: options.skipBadLines)
            return true
        }
        if !sawHeader { throw DataError(file: path, reason: "empty file: expected a header line") }
        if !options.keepTimestamps { result.timestamps = [] }
        return try finish(path, result, existing: existing, tally: tally, parser: parser)
    }

    /// `path` opened for reading, with its size; the caller closes it. Only regular files: a
    /// device (/dev/zero) or a folder would be read without end or fail midway.
    static func openRegularFile(_ path: String) throws -> (file: UnsafeMutablePointer<FILE>, size: Int) {
        guard let file = fopen(path, "rb") else {
            throw DataError(file: path, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        var status = stat()
        guard fstat(fileno(file), &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            fclose(file)
            throw DataError(file: path, reason: "not a regular file")
        }
        return (file, Int(status.st_size))
    }

    /// The loaded rows, or the error of a file without any.
    static func finish(_ path: String, _ result: Interactions, existing: Interactions, tally: LineTally,
                       parser: RowParser) throws -> LoadedRatings {
        let (unrated, skipped) = (tally.unrated, tally.skipped)
        if result.count == existing.count {
            throw DataError(file: path, reason: skipped > 0 ? "no valid data rows (\(skipped) bad lines skipped)"
                            : unrated > 0 ? "no rated rows (\(unrated) rows have an empty rating; load as implicit to use them)"
                            : "no data rows after the header")
        }
        return LoadedRatings(interactions: result, unratedRows: unrated, skippedLines: skipped, skippedExamples: tally.examples,
                             hasRatings: parser.ratingField != nil, hasTimestamps: parser.timestampField != nil)
    }
}

/// Reads a file's bytes `range` with `pread` in 4 MiB blocks and hands out its lines (without
/// the newline) as buffers into the block, so no line is copied. The sequential load reads
/// `0..<Int.max` (to the end of the file); a parallel load, each range's lines.
struct LineReader {
    let fd: Int32
    let range: Range<Int>
    let path: String

    /// Calls `body` with each line in order until it returns false. A line longer than the
    /// buffer grows it.
    func forEachLine(_ body: (UnsafeBufferPointer<UInt8>) throws -> Bool) throws {
        var buffer = [UInt8](repeating: 0, count: min(4 << 20, max(1, range.count)))
        var offset = range.lowerBound, filled = 0
        while true {
            if filled == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }
            let want = min(buffer.count - filled, range.upperBound - offset)
            let n = want == 0 ? 0 : buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, want, off_t(offset)) }
            if n < 0 { throw DataError(file: path, reason: "read error: \(String(cString: strerror(errno)))") }
            offset += n
            filled += n
            let atEnd = offset >= range.upperBound || n == 0
            var stop = false
            let consumed = try buffer.withUnsafeBufferPointer { b -> Int in
                let base = b.baseAddress!
                var start = 0
                while start < filled, let newline = memchr(base + start, 10, filled - start) {
                    let end = base.distance(to: newline.assumingMemoryBound(to: UInt8.self))
                    if try !body(UnsafeBufferPointer(rebasing: b[start..<end])) { stop = true; return end + 1 }
                    start = end + 1
                }
                if atEnd && start < filled {
                    if try !body(UnsafeBufferPointer(rebasing: b[start..<filled])) { stop = true }
                    start = filled
                }
                return start
            }
            if atEnd || stop { return }
            if consumed > 0 {
                buffer.withUnsafeMutableBytes { _ = memmove($0.baseAddress!, $0.baseAddress! + consumed, filled - consumed) }
                filled -= consumed
            }
        }
    }
}

/// What the data lines of a load (or of one range of a parallel load) gave besides rows: the
/// unrated rows left out, the bad lines skipped and the first few of their errors.
struct LineTally: Sendable {
    var unrated = 0, skipped = 0
    var examples: [DataError] = []

    /// Parses one data line into `sink` (a blank line is ignored). A bad line is counted and
    /// kept as an example when `skipBadLines`, thrown otherwise.
    mutating func take<Sink: RowSink>(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, parser: inout RowParser,
                                      into sink: inout Sink, skipBadLines: Bool) throws {
        if line.isEmpty || (line.count == 1 && line[0] == 13) { return }  // blank line
        do {
            if try !parser.parse(line, lineNumber: lineNumber, into: &sink) { unrated += 1 }
        } catch let error as DataError where skipBadLines {
            skipped += 1
            if examples.count < 5 { examples.append(error) }
        }
    }
}
