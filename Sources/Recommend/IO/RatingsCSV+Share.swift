#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension RatingsCSV {
    /// One process's share of a ratings file, for distributed loading: the data lines are cut
    /// into `shares` byte ranges at line boundaries (as Hadoop's input splits are: share s
    /// starts at the first line that begins at or after header + s·body/shares), and this call
    /// parses share `share` alone, reading only its bytes (and the header).
    ///
    /// The result's id maps are the share's own, in the order ids first appear in it; interning
    /// the shares' ids share by share, in share order, gives every id the index
    /// ``load(path:options:into:)`` gives it, so the shares together are the whole file's table.
    /// A share may hold no rows (a small file cut in many shares); the whole file's emptiness is
    /// the caller's to check.
    ///
    /// - Throws: ``DataError`` naming the file, the line (counted from the file's start) and the
    ///   reason; the binary form of `rectrain convert` cannot be cut and is refused.
    public static func loadShare(path: String, share: Int, of shares: Int, options: RatingsCSVOptions = .init()) throws -> LoadedRatings {
        precondition(shares > 0 && (0..<shares).contains(share), "share \(share) of \(shares)")
        let (file, size) = try openRegularFile(path)
        defer { fclose(file) }
        if InteractionFile.hasMagic(file) {
            throw DataError(file: path, reason: "a binary interaction file cannot be split between processes: give the CSV it was converted from")
        }
        let fd = fileno(file)
        guard size > 0 else { throw DataError(file: path, reason: "empty file: expected a header line") }
        guard let header = try readHeaderLine(fd: fd, size: size, path: path, options: options) else {
            throw DataError(file: path, line: 1, reason: "header line longer than 1 MiB")
        }
        var parser = header.parser
        let headerEnd = header.end
        let lower = try cut(share, of: shares, fd: fd, path: path, headerEnd: headerEnd, size: size)
        let bytes = lower..<max(lower, try cut(share + 1, of: shares, fd: fd, path: path, headerEnd: headerEnd, size: size))

        var result = Interactions()
        var tally = LineTally()
        var lineNumber = 0
        do {
            try LineReader(fd: fd, range: bytes, path: path).forEachLine { line in
                lineNumber += 1
                try tally.take(line, lineNumber: lineNumber, parser: &parser, into: &result, skipBadLines: options.skipBadLines)
                return true
            }
        } catch var error as DataError {
            // Line numbers of the file: the lines before the share are counted on this path only.
            if let line = error.line { error.line = line + 1 + (try countLines(fd: fd, path: path, headerEnd..<bytes.lowerBound)) }
            throw error
        }
        if !options.keepTimestamps { result.timestamps = [] }
        return LoadedRatings(interactions: result, unratedRows: tally.unrated, skippedLines: tally.skipped, skippedExamples: tally.examples,
                             hasRatings: parser.ratingField != nil, hasTimestamps: parser.timestampField != nil)
    }

    /// The lines of `bytes`.
    static func countLines(fd: Int32, path: String, _ bytes: Range<Int>) throws -> Int {
        var n = 0
        try LineReader(fd: fd, range: bytes, path: path).forEachLine { _ in n += 1; return true }
        return n
    }
}
