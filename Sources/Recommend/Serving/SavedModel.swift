import DenseLinalg
import Factorization
import Foundation

/// A trained model with what it needs to answer requests by raw id: the id maps, the titles'
/// names and the training history. Saved in the format of ``ModelArchive``.
public struct SavedModel: Sendable {
    public var model: any Recommender
    public var userIDs: IDMap
    public var itemIDs: IDMap
    /// The title of each inner item ("" when unknown).
    public var titles: [String]
    /// users × items, 1 for every training interaction.
    public var history: SparseMatrix

    /// A trained `model` with the ids, titles and history of the data it was trained on.
    public init(model: any Recommender, data: TrainingData) {
        self.model = model
        userIDs = data.interactions.userIDs
        itemIDs = data.interactions.itemIDs
        titles = (0..<data.itemCount).map { $0 < data.items.count ? data.items[$0]?.title ?? "" : "" }
        history = data.binary
    }

    /// A trained `model` with its parts given one by one (a model trained by distributed
    /// training, whose data no one process held as a ``TrainingData``). `history`: users ×
    /// items, 1 for each training interaction; `titles`: one per item ("" when unknown).
    public init(model: any Recommender, userIDs: IDMap, itemIDs: IDMap, titles: [String], history: SparseMatrix) {
        self.model = model; self.userIDs = userIDs; self.itemIDs = itemIDs; self.titles = titles; self.history = history
    }

    /// The model file's bytes: header, payload, checksum.
    /// - Throws: ``RecommenderError`` when the model holds NaN or infinite values.
    public func encoded() throws -> [UInt8] {
        // The model's own part first, then one buffer of the file's exact size: at scale the
        // file is hundreds of MiB, and a buffer growing by doubling would hold it twice.
        var part = ArchiveWriter()
        try ModelArchive.encode(model, into: &part)
        // The last guard of every model (factors, weights, similarity lists, biases): a model
        // holding NaN or infinity would fail or answer garbage at serving time.
        guard part.nonFiniteValues == 0 else {
            throw RecommenderError.nonFiniteModel(model: model.name, values: part.nonFiniteValues)
        }
        let idBytes = [userIDs.ids, itemIDs.ids, titles].reduce(0) { $0 + ArchiveWriter.encodedSize(strings: $1) }
        var w = ModelArchive.framedWriter(capacity: idBytes + ArchiveWriter.encodedSize(sparse: history) + part.bytes.count)
        w.strings(userIDs.ids)
        w.strings(itemIDs.ids)
        w.strings(titles)
        w.sparse(history)
        w.bytes.append(contentsOf: part.bytes)
        return ModelArchive.finishFrame(&w)
    }

    /// Writes the model to `path` atomically (a temporary file renamed over the target).
    public func write(to path: String) throws {
        let bytes = try encoded()  // written as they are: no second copy of a large model
        try AtomicFile.write(to: path) { handle in try handle.write(contentsOf: bytes) }
    }

    /// Reads a model file.
    /// - Throws: ``ModelFileError`` for a missing, foreign, truncated, corrupted or
    ///   wrong-version file.
    public static func read(path: String) throws -> SavedModel {
        guard let data = TextFile.readBytes(path) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            throw ModelFileError(path: path, reason: exists ? (isDirectory.boolValue ? "is a folder, not a model file" : "cannot be read") : "no such file")
        }
        return try decode(data, path: path)
    }

    static func decode(_ bytes: [UInt8], path: String) throws -> SavedModel {
        var r = try ModelArchive.unframe(bytes, path: path)
        let users = IDMap(try r.strings()), items = IDMap(try r.strings())
        let titles = try r.strings()
        let history = try r.sparse()
        guard history.rows == users.count, history.columns == items.count, titles.count == items.count else {
            throw r.fail("corrupted: \(users.count) users and \(items.count) items for a \(history.rows)×\(history.columns) history")
        }
        guard let model = try ModelArchive.decode(&r, history: history) as? any Recommender else {
            throw r.fail("the model is not a ranking model")
        }
        try r.finish()
        return SavedModel(model: model, userIDs: users, itemIDs: items, titles: titles, history: history)
    }
}

extension SavedModel {
    /// The entry of inner title `index` with `score`, by raw id and title.
    public func item(_ index: Int, _ score: Float) -> RecommendedItem {
        RecommendedItem(item: itemIDs.id(at: index), title: titles[index], score: score)
    }

    /// Top-`count` titles for a user by raw id, excluding their training titles. A user unknown
    /// to the model is served by the cold-start path: popularity when `history` (raw title ids
    /// they have watched) is empty, else the fold-in of that history into the ALS factors where
    /// the model has them, content similarity where it has metadata, popularity otherwise.
    public func recommend(user: String, count: Int, explain: Bool = false, history extra: [String] = []) throws -> Recommendations {
        guard count > 0 else { throw RecommenderError.invalidInput(model: model.name, reason: "count must be positive, got \(count)") }
        // No list is longer than the catalogue: a larger count answers as fast as a small one.
        let count = min(count, itemIDs.count)
        guard let u = userIDs.index(of: user) else { return try coldStart(history: extra, count: count) }
        guard extra.isEmpty else {
            throw RecommenderError.historyForKnownUser(user)
        }
        if explain { try checkExplains() }
        let list = try model.recommend(user: u, count: count, excluding: history)
        return Recommendations(strategy: model.name, items: items(list, explainedBy: explain ? history.row(u).columns.map(Int.init) : nil))
    }

    /// Throws unless the model can say why it recommends a title (``ExplainingRecommender``).
    public func checkExplains() throws {
        guard model is any ExplainingRecommender else {
            throw RecommenderError.cannotExplain(model: model.name, explaining: ModelKind.explaining.map(\.rawValue))
        }
    }

    /// `list` (inner indices, best first) by raw id and title; with `history` (the inner
    /// indices that scored), each entry's three strongest "because you watched" titles, when the
    /// model explains.
    public func items(_ list: [(index: Int, score: Float)], explainedBy history: [Int]?) -> [RecommendedItem] {
        var items = list.map { item($0.index, $0.score) }
        if let history, let explaining = model as? any ExplainingRecommender {
            for (r, entry) in list.enumerated() {
                items[r].because = explaining.explain(history: history, item: entry.index, count: 3).map { itemIDs.id(at: $0.index) }
            }
        }
        return items
    }

    /// The next titles after a browsing session (raw title ids, oldest first), from a session
    /// model; titles unknown to the model are ignored.
    public func recommend(session: [String], count: Int) throws -> Recommendations {
        guard let sessionModel = model as? SessionRecommender else {
            throw RecommenderError.notSessionModel(model: model.name)
        }
        guard count > 0 else { throw RecommenderError.invalidInput(model: model.name, reason: "count must be positive, got \(count)") }
        let known = session.compactMap(itemIDs.index(of:))
        return Recommendations(strategy: "session", items: try sessionModel.recommend(session: known, count: min(count, itemIDs.count))
            .map { item($0.index, $0.score) })
    }

    /// The titles most similar to a title, by raw id.
    public func similar(item id: String, count: Int) throws -> [RecommendedItem] {
        guard count > 0 else { throw RecommenderError.invalidInput(model: model.name, reason: "count must be positive, got \(count)") }
        let count = min(count, itemIDs.count)
        guard let i = itemIDs.index(of: id) else { throw RecommenderError.unknownItemID(id, items: itemIDs.count) }
        guard let list = try model.similarItems(to: i, count: count) else {
            throw RecommenderError.noItemSimilarity(model: model.name, similar: ["itemknn", "rp3beta", "content", "svd", "nmf", "als", "ease", "edlae"])
        }
        return list.map { item($0.index, $0.score) }
    }

    /// A user the model has not seen, through the one cold-start path (``ColdStart``).
    func coldStart(history extra: [String], count: Int) throws -> Recommendations {
        let (list, strategy) = try ColdStart(history: history, model: model).recommend(history: extra.compactMap(itemIDs.index(of:)), count: count)
        return Recommendations(strategy: "cold-start: \(strategy.rawValue)", items: list.map { item($0.index, $0.score) })
    }
}
