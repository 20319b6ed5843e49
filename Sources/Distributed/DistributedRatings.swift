import DenseLinalg
import Foundation
import Recommend

/// A failure on one or more ranks, known to every rank: each rank throws the same error, so
/// every process exits non-zero with the same message instead of some waiting for the others.
public struct DistributedFailure: Error, CustomStringConvertible, Sendable {
    /// The ranks that failed, ascending, with their messages.
    public var failures: [(rank: Int, message: String)]

    public var description: String {
        failures.map { "rank \($0.rank): \($0.message)" }.joined(separator: "; ")
    }
}

extension Communicator {
    /// Every rank's outcome of a step that may fail on some ranks only: returns the value when
    /// every rank succeeded; otherwise every rank throws the same ``DistributedFailure`` naming
    /// the ranks that failed and why. Collective: every rank calls it.
    public func agree<T>(_ outcome: Result<T, any Error>) throws -> T {
        var message: [UInt8] = []
        if case let .failure(error) = outcome {
            // Empty means success: a failure always says something.
            message = Array("\(error)".utf8)
            if message.isEmpty { message = Array("failed".utf8) }
        }
        let all = try allGather(message)
        let failures = all.enumerated().filter { !$0.element.isEmpty }.map { (rank: $0.offset, message: String(decoding: $0.element, as: UTF8.self)) }
        guard failures.isEmpty else { throw DistributedFailure(failures: failures) }
        return try outcome.get()
    }

    /// Throws the same ``DistributedFailure`` on every rank unless every rank passes the same
    /// `value` (e.g. its arguments, or the size of its input file): ranks started with
    /// different inputs would train on different data. Collective.
    public func requireSame(_ value: String, _ what: String) throws {
        let all = try allGather(Array(value.utf8)).map { String(decoding: $0, as: UTF8.self) }
        guard let odd = all.indices.first(where: { all[$0] != all[0] }) else { return }
        throw DistributedFailure(failures: [(rank: odd, message: "ranks disagree on \(what): rank 0 has \(all[0]), rank \(odd) has \(all[odd])")])
    }

    /// The rows of every rank's `local` (ranks' row blocks in rank order) on `root`; other
    /// ranks get nil. Collective.
    public func gatherRows(_ local: Matrix<Float>, root: Int = 0) throws -> Matrix<Float>? {
        guard let all = try gather(local.elements, root: root) else { return nil }
        return try Matrix(rows: all.count / max(1, local.columns), columns: local.columns, elements: all)
    }

    /// Every rank's `local` concatenated in rank order on `root`; others get nil. Collective.
    public func gather<T: BitwiseCopyable>(_ local: [T], root: Int = 0) throws -> [T]? {
        var send = [[T]](repeating: [], count: size)
        send[root] = local
        let parts = try allToAll(send)
        return rank == root ? parts.flatMap { $0 } : nil
    }
}

/// One rank's share of a ratings input with ids agreed by every rank: ``load(path:options:communicator:)``.
public struct RatingsShard: Sendable {
    /// The whole input's user and item ids, in the order a single process's loader interns
    /// them (the same on every rank).
    public var userIDs: IDMap
    public var itemIDs: IDMap
    /// This rank's rows, by global index (user, item, value, timestamp; timestamps empty when
    /// not kept).
    public var users: [Int32]
    public var items: [Int32]
    public var values: [Float]
    public var timestamps: [Int64]
    /// Rows over all ranks, and the rows without a rating (implicit loads) over all ranks.
    public var totalRows: Int
    public var unratedRows: Int
    /// The files this rank parsed (a share of one file, or its part files).
    public var files: [String]
}

/// Distributed loading of a ratings CSV or of a folder of CSV part files: each rank parses only
/// its share (``RatingsCSV/loadShare(path:share:of:options:)``'s byte range of the one file, or
/// a contiguous block of the part files in name order), then the ranks agree on ids by one
/// all-gather of each rank's new ids: interned in rank order, every id gets the index one
/// process loading the whole input would give it. Memory per rank: its rows, and every id
/// (the id maps are the only whole-input state).
public enum DistributedRatings {
    /// The part files of a folder, in name order: when any entry is named `part-*` (Spark's and
    /// Hadoop's outputs), those; otherwise every entry. Hidden entries and Hadoop/Spark's
    /// markers (`_SUCCESS`, `_*`, `*.crc`) are left out.
    /// - Throws: ``DataError`` when a part is a folder (a partitioned layout: give the leaf
    ///   folders' files in one folder), a broken link or not a regular file, or when the folder is
    ///   a MovieLens or generated-world folder (not part files), or holds no part.
    public static func partFiles(in folder: String) throws -> [String] {
        let manager = FileManager.default
        let names = try manager.contentsOfDirectory(atPath: folder).sorted()
        if names.contains("u.data") || names.contains("ratings.csv") && names.contains("movies.csv")
            || names.contains("titles.csv") && names.contains("interactions.csv") {
            throw DataError(file: folder, reason: "a MovieLens or generated-world folder: --distributed reads a ratings CSV or a folder of CSV part files (give the ratings file itself)")
        }
        let visible = names.filter { !$0.hasPrefix(".") && !$0.hasPrefix("_") && !$0.hasSuffix(".crc") }
        let parts = visible.contains { $0.hasPrefix("part-") } ? visible.filter { $0.hasPrefix("part-") } : visible
        for name in parts {
            var isDirectory: ObjCBool = false
            let path = folder + "/" + name
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw DataError(file: path, reason: "a broken link in the folder of part files")
            }
            if isDirectory.boolValue {
                throw DataError(file: path, reason: "a folder inside the folder of part files (a partitioned layout is not read: put the part files in one folder)")
            }
        }
        guard !parts.isEmpty else { throw DataError(file: folder, reason: "folder holds no part files") }
        return parts.map { folder + "/" + $0 }
    }

    /// What every rank must see identically: each input file's name and size (not the path
    /// as typed: `./data.csv` and `data.csv` are the same input).
    public static func fingerprint(path: String) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return "\((path as NSString).lastPathComponent) (missing)" }
        let files = isDirectory.boolValue ? ((try? partFiles(in: path)) ?? []) : [path]
        let sizes = files.map { file in
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? -1
            return "\((file as NSString).lastPathComponent) (\(size) bytes)"
        }
        return sizes.joined(separator: ", ")
    }

    /// Loads this rank's share of `path` (a CSV file or a folder of part files) with ids agreed
    /// by all ranks. Collective.
    /// - Throws: ``DistributedFailure`` on every rank when any rank could not read or parse its
    ///   share (naming the rank, file and line), when the ranks' inputs differ, or when the
    ///   input has no data rows.
    public static func load(path: String, options: RatingsCSVOptions, communicator: some Communicator) throws -> RatingsShard {
        try communicator.requireSame(fingerprint(path: path), "the input")
        let local = try communicator.agree(Result { try loadLocal(path: path, options: options, communicator: communicator) })
        // Ids: every rank's ids in its own first-appearance order, interned in rank order.
        var userIDs = IDMap(), itemIDs = IDMap()
        let userLists = try communicator.allGather(encode(local.interactions.userIDs.ids))
        let itemLists = try communicator.allGather(encode(local.interactions.itemIDs.ids))
        var userMap: [Int32] = [], itemMap: [Int32] = []
        for r in 0..<communicator.size {
            let users = decode(userLists[r]).map { userIDs.intern($0) }
            let items = decode(itemLists[r]).map { itemIDs.intern($0) }
            if r == communicator.rank { userMap = users; itemMap = items }
        }
        var counts = [Double(local.interactions.count), Double(local.unrated), Double(local.skipped)]
        try communicator.allReduceSum(&counts)
        let (total, unrated, skipped) = (Int(counts[0]), Int(counts[1]), Int(counts[2]))
        if total == 0 {
            let reason = skipped > 0 ? "no valid data rows (\(skipped) bad lines skipped)"
                : unrated > 0 ? "no rated rows (\(unrated) rows have an empty rating)" : "no data rows after the header"
            throw DistributedFailure(failures: [(rank: 0, message: "\(path): \(reason)")])
        }
        let rows = local.interactions
        return RatingsShard(userIDs: userIDs, itemIDs: itemIDs, users: rows.users.map { userMap[Int($0)] },
                            items: rows.items.map { itemMap[Int($0)] }, values: rows.values, timestamps: rows.timestamps,
                            totalRows: total, unratedRows: unrated, files: local.files)
    }

    /// This rank's rows with rank-local ids.
    static func loadLocal(path: String, options: RatingsCSVOptions, communicator: some Communicator) throws
        -> (interactions: Interactions, unrated: Int, skipped: Int, files: [String]) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(file: path, reason: "no such file or folder")
        }
        guard isDirectory.boolValue else {
            let share = try RatingsCSV.loadShare(path: path, share: communicator.rank, of: communicator.size, options: options)
            return (share.interactions, share.unratedRows, share.skippedLines, [path])
        }
        let parts = try partFiles(in: path)
        let mine = Array(parts[BlockPartition(count: parts.count, parts: communicator.size).range(of: communicator.rank)])
        var merged = Interactions()
        var unrated = 0, skipped = 0
        for file in mine {
            let part = try RatingsCSV.loadShare(path: file, share: 0, of: 1, options: options)
            let users = part.interactions.userIDs.ids.map { merged.userIDs.intern($0) }
            let items = part.interactions.itemIDs.ids.map { merged.itemIDs.intern($0) }
            let rows = part.interactions
            for r in 0..<rows.count {
                merged.append(user: users[Int(rows.users[r])], item: items[Int(rows.items[r])], value: rows.values[r],
                              timestamp: rows.timestamps.isEmpty ? 0 : rows.timestamps[r])
            }
            unrated += part.unratedRows; skipped += part.skippedLines
        }
        if !options.keepTimestamps { merged.timestamps = [] }
        return (merged, unrated, skipped, mine)
    }

    /// Strings as bytes: each a little-endian UInt32 length then its UTF-8.
    static func encode(_ strings: [String]) -> [UInt8] {
        var out = [UInt8]()
        for s in strings {
            let bytes = Array(s.utf8)
            withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { out.append(contentsOf: $0) }
            out.append(contentsOf: bytes)
        }
        return out
    }

    static func decode(_ bytes: [UInt8]) -> [String] {
        var out = [String](), i = 0
        while i + 4 <= bytes.count {
            let n = Int(UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
            out.append(String(decoding: bytes[(i + 4)..<(i + 4 + n)], as: UTF8.self))
            i += 4 + n
        }
        return out
    }
}
