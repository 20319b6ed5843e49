import Foundation
import Recommend

/// The fuzzing harness of issue 15: one entry point for the four parsers of outside bytes; `FUZZ_TARGET` picks one:
/// - `ratings`: the ratings CSV/TSV loader (the first byte picks the load options);
/// - `catalog`: the item catalogue CSV (`--items`), through its UTF-8/Latin-1 text reader;
/// - `movielens`: MovieLens 100K's `u.genre`, `u.item`, `u.user`, `u.data` and the CSV
///   release's `movies.csv`, `ratings.csv`, `tags.csv` (the input cut into files at 0x01 bytes);
/// - `world`: a world folder of `rectrain generate` (`titles.csv`, `users.csv`,
///   `interactions.csv`, `sessions.csv`, cut at 0x01 bytes);
/// - `model`: the model file; input starting with `RECMODEL` is a whole file, anything else a
///   payload framed with a valid header and checksum (so mutations reach the decoder), and a
///   model that loads is asked to recommend, explain, fold in and find similar titles.
/// A parser may throw its typed error; anything else (a trap, a crash, a hang) is a bug. The
/// libFuzzer driver (`Fuzz/`) and the replay tests of the corpus (`Tests/FuzzTargetsTests`) both
/// run inputs through here.
public struct FuzzHarness: Sendable {
    /// The parsers, by the names `FUZZ_TARGET` takes.
    public static let targets = ["ratings", "catalog", "movielens", "model", "world"]
    public let target: String
    /// Where the input's files are written (a folder of this harness's own).
    public let folder: String

    /// - Throws: when `target` is not one of ``targets`` or the folder cannot be made.
    public init(target: String, folder: String) throws {
        guard FuzzHarness.targets.contains(target) else {
            throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "fuzz target must be one of \(FuzzHarness.targets)"])
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        self.target = target; self.folder = folder
    }

    func write(_ bytes: ArraySlice<UInt8>, _ name: String) -> String {
        let path = folder + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    /// Runs one input through the target's parser (and, for a model that loads, its answers).
    public func run(_ input: [UInt8]) {
        switch target {
        case "ratings": ratings(input)
        case "catalog": catalog(input)
        case "movielens": movieLens(input)
        case "world": world(input)
        default: model(input)
        }
    }

    func ratings(_ input: [UInt8]) {
        guard let selector = input.first else { return }
        let path = write(input.dropFirst(), "ratings.csv")
        var options = RatingsCSVOptions(skipBadLines: selector & 1 != 0, implicit: selector & 2 != 0)
        if selector & 4 != 0 { options.columnNames = ["user", "item", "rating", "timestamp"]; options.delimiter = 9 }
        if selector & 8 != 0 { options.delimiter = [44, 9, 59, 124][Int(selector >> 4) & 3] }
        _ = try? RatingsCSV.load(path: path, options: options)
    }

    func catalog(_ input: [UInt8]) {
        let path = write(input[...], "items.csv")
        _ = try? ItemCatalogCSV.load(path: path, ids: IDMap(["1", "2", "10", "a", "amélie", "Ça"]))
    }

    func movieLens(_ input: [UInt8]) {
        let parts = input.split(separator: 1, maxSplits: 3, omittingEmptySubsequences: false)
        let names = ["u.genre", "u.item", "u.user", "u.data"], csv = ["movies.csv", "ratings.csv", "tags.csv", "links.csv"]
        for (i, part) in parts.enumerated() { _ = write(part, names[i]); _ = write(part, csv[i]) }
        _ = try? MovieLens.load100K(directory: folder)
        _ = try? MovieLens.loadCSVRelease(directory: folder)
        for name in names + csv { try? FileManager.default.removeItem(atPath: folder + "/" + name) }
    }

    func world(_ input: [UInt8]) {
        let parts = input.split(separator: 1, maxSplits: 3, omittingEmptySubsequences: false)
        let names = ["titles.csv", "users.csv", "interactions.csv", "sessions.csv"]
        for (i, part) in parts.enumerated() { _ = write(part, names[i]) }
        _ = try? SyntheticWorld.load(directory: folder)
        for name in names { try? FileManager.default.removeItem(atPath: folder + "/" + name) }
    }

    func model(_ input: [UInt8]) {
        let bytes = input.starts(with: ModelArchive.magic) ? input : ModelFile.frame(input)
        let path = write(bytes[...], "model.rec")
        guard let saved = try? SavedModel.read(path: path) else { return }
        let users = saved.userIDs.ids, items = saved.itemIDs.ids
        for n in [1, 5, 1 << 40] {
            if let user = users.first {
                _ = try? saved.recommend(user: user, count: n)
                _ = try? saved.recommend(user: user, count: n, explain: true)
            }
            _ = try? saved.recommend(user: "\u{1}unknown", count: n, history: Array(items.prefix(3)))
            _ = try? saved.recommend(session: Array(items.prefix(3)), count: n)
            if let item = items.first { _ = try? saved.similar(item: item, count: n) }
        }
    }
}

/// The model file's frame (see ``ModelArchive``), rebuilt here so that mutated payloads pass the
/// checksum and reach the decoder.
enum ModelFile {
    static func frame(_ payload: [UInt8]) -> [UInt8] {
        var out = ModelArchive.magic
        out += le(UInt32(ModelArchive.version)) + le(UInt64(payload.count)) + payload + le(crc32(payload))
        return out
    }

    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        }
        return ~c
    }
}
