import DenseLinalg
import Foundation

/// Where training data comes from, as the command line names it.
public enum DataFormat: String, Sendable, CaseIterable {
    /// A file is a ratings CSV; a folder is recognised by its files.
    case auto
    /// A ratings CSV/TSV with a header (user, item, rating, timestamp columns).
    case csv
    /// A MovieLens folder: 100K (`u.data`, `u.item`, `u.user`) or a CSV release (`ratings.csv`, `movies.csv`).
    case movielens
    /// A synthetic world written by `rectrain generate` (`titles.csv`, `users.csv`, `interactions.csv`, `sessions.csv`).
    case world
}

/// Loads a dataset from a file or folder in any of the supported formats.
public enum DataSource {
    /// The dataset at `path` (and the browsing sessions, for a synthetic world).
    /// - Parameters:
    ///   - items: an item metadata CSV (id, title, `|`-separated genres) for a ratings CSV.
    ///   - ratings: keep rating values (for rating prediction); a world then reads its rated
    ///     views only.
    ///   - valueColumn: keep a ratings file's values without requiring them (implicit ALS's
    ///     confidence from values): the column of this name, or `rating` when given as "";
    ///     nil reads every row as 1.
    ///   - threads: threads parsing a large ratings file (the result does not depend on them).
    ///   - timestamps: keep a ratings file's timestamps (false: ``Interactions/timestamps`` stays
    ///     empty, for a model that trains on the matrices alone).
    /// - Throws: ``DataError`` naming the file, line and problem.
    public static func load(path: String, format: DataFormat = .auto, items: String? = nil,
                            ratings: Bool = false, valueColumn: String? = nil, threads: Int = 1,
                            timestamps: Bool = true) throws -> (dataset: Dataset, sessions: Sessions?) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(file: path, reason: "no such file or folder")
        }
        let resolved = isDirectory.boolValue ? try folderFormat(path, format) : format == .auto ? .csv : format
        var result: (dataset: Dataset, sessions: Sessions?)
        switch resolved {
        case .csv, .auto:
            var options = RatingsCSVOptions(implicit: !ratings && valueColumn == nil)
            options.requireRating = ratings
            if let valueColumn, !valueColumn.isEmpty { options.ratingColumn = valueColumn }
            options.threads = threads
            options.keepTimestamps = timestamps
            let loaded = try RatingsCSV.load(path: path, options: options)
            if valueColumn != nil, loaded.unratedRows > 0 {
                throw DataError(file: path, reason: "\(loaded.unratedRows) rows have an empty \(options.ratingColumn ?? "rating") value: confidence from values needs one on every row")
            }
            result = (Dataset(interactions: loaded.interactions), nil)
        case .movielens:
            guard isDirectory.boolValue else { throw DataError(file: path, reason: "the movielens format needs the MovieLens folder", argument: "format") }
            if let valueColumn, !valueColumn.isEmpty, valueColumn != "rating" {
                throw DataError(file: path, reason: "a MovieLens folder has no \(valueColumn) column: its only value is the rating", argument: "value-column")
            }
            let exists = { FileManager.default.fileExists(atPath: path + "/" + $0) }
            result = (exists("u.data") ? try MovieLens.load100K(directory: path) : try MovieLens.loadCSVRelease(directory: path), nil)
        case .world:
            guard isDirectory.boolValue else { throw DataError(file: path, reason: "the world format needs the folder written by rectrain generate", argument: "format") }
            let world = try SyntheticWorld.load(directory: path, threads: threads)
            result = (world.dataset, world.sessions)
            if ratings || valueColumn != nil {
                // The rated views, or every view with its value column (watch_minutes, completion, …).
                let base = Interactions(userIDs: world.dataset.interactions.userIDs, itemIDs: world.dataset.interactions.itemIDs)
                var options = RatingsCSVOptions(implicit: false)
                options.requireRating = ratings
                if let valueColumn, !valueColumn.isEmpty { options.ratingColumn = valueColumn }
                options.threads = threads
                let loaded = try RatingsCSV.load(path: path + "/interactions.csv", options: options, into: base)
                if valueColumn != nil, loaded.unratedRows > 0 {
                    throw DataError(file: path + "/interactions.csv", reason: "\(loaded.unratedRows) rows have an empty \(options.ratingColumn ?? "rating") value: confidence from values needs one on every row")
                }
                result.dataset.interactions = loaded.interactions
            }
        }
        if let items {
            let metadata = try ItemCatalogCSV.load(path: items, ids: result.dataset.interactions.itemIDs)
            result.dataset.items = metadata
            result.dataset.genres = Array(Set(metadata.compactMap { $0 }.flatMap(\.genres))).sorted()
        }
        return result
    }

    static func folderFormat(_ path: String, _ format: DataFormat) throws -> DataFormat {
        let exists = { FileManager.default.fileExists(atPath: path + "/" + $0) }
        switch format {
        case .csv: throw DataError(file: path, reason: "the csv format needs a file, not a folder", argument: "format")
        case .movielens, .world: return format
        case .auto:
            if exists("u.data") || exists("ratings.csv") { return .movielens }
            if exists("interactions.csv") && exists("titles.csv") { return .world }
            throw DataError(file: path, reason: "folder holds no known dataset: expected u.data (MovieLens 100K), ratings.csv (MovieLens CSV) or titles.csv + interactions.csv (rectrain generate)")
        }
    }
}

extension TrainingData {
    /// Training data for a whole dataset, with its item metadata and sessions.
    public init(_ dataset: Dataset, sessions: Sessions?, compute: ComputeSettings, seed: UInt64) throws {
        try self.init(dataset.interactions, items: dataset.items, compute: compute, seed: seed)
        self.sessions = sessions?.items
    }
}
