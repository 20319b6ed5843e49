import DenseLinalg
import Foundation
import Testing
@testable import Recommend

/// Parallel CSV loading and the binary interaction format: both must give exactly what one
/// thread reading the CSV gives.
@Suite struct ParallelLoadingTests {
    /// A file with what makes line splitting and id merging hard: ids first seen late, repeated
    /// pairs, blank and CRLF lines, quoted ids with delimiters, unrated rows, timestamps as
    /// integers, decimals and 19-digit nanoseconds.
    static func awkwardCSV(rows: Int, seed: UInt64) -> String {
        var g = SeededGenerator(seed: seed)
        var text = "user,item,rating,timestamp\n"
        for r in 0..<rows {
            let user = Int.random(in: 0..<(3 + r / 4), using: &g), item = Int.random(in: 0..<40, using: &g)
            let userText = user % 7 == 0 ? "\"u,\(user)\"" : "u\(user)"
            let rating = r % 11 == 0 ? "" : String(Int.random(in: 1...5, using: &g))
            let time = r % 13 == 0 ? "1600000000.75" : r % 17 == 0 ? "1600000000123456789" : String(1_600_000_000 + r)
            text += "\(userText),i\(item),\(rating),\(time)" + (r % 5 == 0 ? "\r\n" : "\n")
            if r % 23 == 0 { text += "\n" }
        }
        return text
    }

    static func same(_ a: LoadedRatings, _ b: LoadedRatings) -> Bool {
        let x = a.interactions, y = b.interactions
        return x.userIDs == y.userIDs && x.itemIDs == y.itemIDs && x.users == y.users && x.items == y.items
            && x.values.map(\.bitPattern) == y.values.map(\.bitPattern) && x.timestamps == y.timestamps
            && a.unratedRows == b.unratedRows && a.skippedLines == b.skippedLines && a.skippedExamples == b.skippedExamples
    }

    static func parallel(_ options: RatingsCSVOptions, threads: Int, pieceBytes: Int) -> RatingsCSVOptions {
        var o = options
        o.threads = threads; o.pieceBytes = pieceBytes; o.parallelMinimumBytes = 0
        return o
    }

    @Test func parallelLoadingGivesTheSequentialTableBitForBit() throws {
        let path = try temporaryFile(Self.awkwardCSV(rows: 3_000, seed: 7))
        for base in [RatingsCSVOptions(), RatingsCSVOptions(implicit: true)] {
            let sequential = try RatingsCSV.load(path: path, options: base)
            #expect(sequential.unratedRows > 0 || base.implicit)
            for threads in [2, 3] {
                for pieceBytes in [1, 7, 500, 10_000, 1 << 30] {
                    let p = try RatingsCSV.load(path: path, options: Self.parallel(base, threads: threads, pieceBytes: pieceBytes))
                    #expect(Self.same(sequential, p), "threads \(threads), pieces of \(pieceBytes) bytes, implicit \(base.implicit)")
                }
            }
        }
        // Into maps that already hold ids (a generated world's titles and users).
        let existing = Interactions(userIDs: IDMap(["u5", "nobody"]), itemIDs: IDMap(["i39", "i0"]))
        let sequential = try RatingsCSV.load(path: path, into: existing)
        let p = try RatingsCSV.load(path: path, options: Self.parallel(.init(), threads: 2, pieceBytes: 300), into: existing)
        #expect(Self.same(sequential, p) && p.interactions.userIDs.ids.prefix(2) == ["u5", "nobody"])
    }

    @Test func badLinesKeepTheirLineNumbersUnderParallelParsing() throws {
        // Cut at the bytes: Swift reads "\r\n" as one Character.
        var lines = Array(Self.awkwardCSV(rows: 400, seed: 3).utf8).split(separator: 10, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        for bad in [397, 211, 58] { lines[bad - 1] = "u1,i1,three,5" }  // line numbers count the header as 1
        let path = try temporaryFile(lines.joined(separator: "\n"))
        for pieceBytes in [1, 64, 2_000] {
            let options = Self.parallel(.init(), threads: 2, pieceBytes: pieceBytes)
            do {
                _ = try RatingsCSV.load(path: path, options: options)
                Issue.record("expected an error")
            } catch let error as DataError {
                #expect(error.line == 58 && error.reason.contains("not a number"), "\(error)")
            }
            var skipping = options
            skipping.skipBadLines = true
            let skipped = try RatingsCSV.load(path: path, options: skipping)
            #expect(skipped.skippedExamples.map(\.line) == [58, 211, 397] && skipped.skippedLines == 3)
            #expect(Self.same(skipped, try RatingsCSV.load(path: path, options: RatingsCSVOptions(skipBadLines: true))))
        }
    }

    /// Without timestamps (a model that learns from the matrices): the same rows, no timestamps,
    /// from every reader; a bad timestamp is still an error.
    @Test func timestampsCanBeLeftOut() throws {
        let csv = try temporaryFile(Self.awkwardCSV(rows: 800, seed: 13))
        let rmx = (csv as NSString).deletingLastPathComponent + "/data.rmx"
        try InteractionFile.write(try RatingsCSV.load(path: csv).interactions, to: rmx)
        let full = try RatingsCSV.load(path: csv).interactions
        var lean = RatingsCSVOptions()
        lean.keepTimestamps = false
        for (path, options) in [(csv, lean), (csv, Self.parallel(lean, threads: 2, pieceBytes: 100)), (rmx, lean)] {
            let loaded = try RatingsCSV.load(path: path, options: options).interactions
            #expect(loaded.timestamps.isEmpty && loaded.users == full.users && loaded.items == full.items && loaded.values == full.values)
            #expect(try loaded.matrix(.binary) == full.matrix(.binary))
        }
        let bad = try temporaryFile("user,item,timestamp\nu,i,5\nu,j,soon\n")
        #expect(throws: DataError.self) { try RatingsCSV.load(path: bad, options: lean) }
    }

    @Test func crc32cMatchesTheStandardCheckValue() {
        let check = Array("123456789".utf8).withUnsafeBytes { CRC32C.checksum($0) }
        #expect(check == 0xE306_9283)
        // The model files' CRC-32 (IEEE, slicing-by-8), at every length around its 8-byte steps.
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        let text = Array("The quick brown fox jumps over the lazy dog".utf8)
        for n in 0...text.count {
            var plain: UInt32 = 0xFFFF_FFFF
            for b in text[..<n] {
                plain ^= UInt32(b)
                for _ in 0..<8 { plain = plain & 1 != 0 ? 0xEDB8_8320 ^ (plain >> 1) : plain >> 1 }
            }
            #expect(CRC32.checksum(Array(text[..<n])) == plain ^ 0xFFFF_FFFF)
        }
        let bytes = (0..<1_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let whole = bytes.withUnsafeBytes { CRC32C.checksum($0) }
        let split = bytes.withUnsafeBytes { b in CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[333...]),
                                                                 continuing: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[..<333]))) }
        #expect(whole == split)
    }

    @Test func binaryFormatRoundTripsAndLoadsAsTheCSVDoes() throws {
        let csv = try temporaryFile(Self.awkwardCSV(rows: 1_500, seed: 11))
        var keeping = RatingsCSVOptions()
        keeping.keepUnrated = true
        let all = try RatingsCSV.load(path: csv, options: keeping)
        let rmx = (csv as NSString).deletingLastPathComponent + "/data.rmx"
        try InteractionFile.write(all.interactions, to: rmx)
        #expect(InteractionFile.isBinary(path: rmx) && !InteractionFile.isBinary(path: csv))
        let existing = Interactions(userIDs: IDMap(["u3"]), itemIDs: IDMap(["i7", "zzz"]))
        for options in [RatingsCSVOptions(), RatingsCSVOptions(implicit: true)] {
            #expect(Self.same(try RatingsCSV.load(path: csv, options: options), try RatingsCSV.load(path: rmx, options: options)))
            #expect(Self.same(try RatingsCSV.load(path: csv, options: options, into: existing),
                              try RatingsCSV.load(path: rmx, options: options, into: existing)))
        }
        // Converting the binary file again keeps every row (rows without a rating included).
        let again = try RatingsCSV.load(path: rmx, options: keeping)
        #expect(Self.same(again, all) && again.interactions.values.contains { $0.isNaN })
        // Without ratings or timestamps: every row is a 1 and time 0, as a two-column CSV gives.
        try InteractionFile.write(all.interactions, values: false, timestamps: false, to: rmx)
        let bare = try RatingsCSV.load(path: rmx).interactions
        #expect(bare.values.allSatisfy { $0 == 1 } && bare.timestamps.allSatisfy { $0 == 0 } && bare.users == all.interactions.users)
        var rating = RatingsCSVOptions()
        rating.requireRating = true
        #expect(throws: DataError.self) { try RatingsCSV.load(path: rmx, options: rating) }
    }

    @Test func truncatedOrCorruptedBinaryFilesAreOneLineErrors() throws {
        let csv = try temporaryFile(Self.awkwardCSV(rows: 300, seed: 5))
        let rmx = (csv as NSString).deletingLastPathComponent + "/data.rmx"
        try InteractionFile.write(try RatingsCSV.load(path: csv).interactions, to: rmx)
        let good = try Data(contentsOf: URL(fileURLWithPath: rmx))
        let broken = (csv as NSString).deletingLastPathComponent + "/broken.rmx"
        var g = SeededGenerator(seed: 1)
        var cases: [Data] = [8, 64, 100, good.count / 2, good.count - 1].map { good.prefix($0) }
        for _ in 0..<60 {
            var d = good
            let at = Int.random(in: 0..<d.count, using: &g)
            d[at] ^= UInt8.random(in: 1...255, using: &g)
            cases.append(d)
        }
        cases.append(good + Data([0]))
        // Bytes the layout fixes at zero or to a mark: the footer's end mark and reserved word,
        // the header's reserved field, a gap between sections (after the 64-byte header, the
        // user-id offsets end short of a 64-byte boundary here).
        for at in [good.count - 1, good.count - 5, good.count - 10, 60] {
            var d = good
            d[at] ^= 1
            cases.append(d)
        }
        // A hand-made file with a valid checksum: nonzero padding and a bad id are refused too.
        let users = good[24..<32].withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        func resealed(_ d: Data) -> Data {
            var d = d
            let crc = d.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[..<(d.count - 16)])) }
            withUnsafeBytes(of: crc.littleEndian) { d.replaceSubrange((d.count - 16)..<(d.count - 12), with: $0) }
            return d
        }
        if (64 + 8 * users) % 64 != 0 {
            var d = good
            d[64 + 8 * users] = 7
            try resealed(d).write(to: URL(fileURLWithPath: broken))
            do { _ = try RatingsCSV.load(path: broken); Issue.record("nonzero padding accepted") }
            catch let e as DataError { #expect(e.reason.contains("nonzero bytes between sections"), "\(e)") }
        }
        var emptyID = good
        let firstEnd = 64 + 0  // the first user id's end offset: 0 makes it empty
        for b in 0..<8 { emptyID[firstEnd + b] = 0 }
        try resealed(emptyID).write(to: URL(fileURLWithPath: broken))
        #expect(throws: DataError.self) { try RatingsCSV.load(path: broken) }
        let names = [
            (good.count - 1, "bad end marker"), (good.count - 10, "bad end marker"), (60, "reserved header field"),
        ]
        for (at, reason) in names {
            var d = good
            d[at] ^= 1
            try d.write(to: URL(fileURLWithPath: broken))
            #expect(throws: DataError.self) { try RatingsCSV.load(path: broken) }
            do { _ = try RatingsCSV.load(path: broken) } catch let e as DataError { #expect(e.reason.contains(reason), "\(e)") }
        }
        for bytes in cases {
            try bytes.write(to: URL(fileURLWithPath: broken))
            do {
                let loaded = try RatingsCSV.load(path: broken)
                // A flip inside the magic makes it a (malformed) CSV, refused as such.
                Issue.record("loaded \(loaded.interactions.count) rows from a damaged file")
            } catch let error as DataError {
                #expect(error.file == broken && !error.description.contains("\n"), "\(error)")
            }
        }
    }
}
