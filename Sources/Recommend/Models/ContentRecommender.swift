import DenseLinalg
import Factorization
import Foundation

/// Content-based: items are TF-IDF vectors of their metadata tokens (genres, director, cast,
/// type, maturity, decade, language, tags); a user's profile is the mean of the vectors of the
/// items they consumed; scores are cosine similarities between profile and items, weighted by
/// ln(2 + the item's user count) so that among titles of the same content the ones people
/// actually chose come first.
public struct ContentRecommender: Recommender, RegisteredModel {
    public static let registration = ModelRegistration("content", .ranking, "TF-IDF cosine between a user's titles and every title's metadata")
    public static func make(_ o: ModelOptions) throws -> Self { Self() }

    /// items × tokens, rows L2-normalised.
    public internal(set) var itemVectors: SparseMatrix?
    var history: SparseMatrix?
    /// ln(2 + number of users) of each item: among equally similar titles, the one more people
    /// chose ranks first.
    var prior: [Float] = []
    var vocabulary = IDMap()
    var idf: [Float] = []

    public init() {}

    public var trainedUsers: Int { history?.rows ?? 0 }

    /// The metadata tokens of an item.
    static func tokens(_ item: ItemMetadata) -> [String] {
        var t = item.genres.map { "genre:\($0)" }
        if let year = item.releaseYear { t.append("decade:\(year / 10 * 10)") }
        for key in ["director", "type", "maturity_rating", "language"] { if let v = item.attributes[key], !v.isEmpty { t.append("\(key):\(v)") } }
        for person in (item.attributes["cast"] ?? "").split(separator: "|") { t.append("cast:\(person)") }
        for tag in (item.attributes["tags"] ?? "").split(separator: "|") { t.append("tag:\(tag.lowercased())") }
        return t
    }

    public mutating func fit(_ data: TrainingData) throws {
        guard data.items.contains(where: { $0 != nil }) else {
            throw RecommenderError.missingMetadata(model: name)
        }
        var vocabulary = IDMap()
        var rows: [Int] = [], cols: [Int] = []
        defer { self.vocabulary = vocabulary }
        for (i, item) in data.items.enumerated() where i < data.itemCount {
            for token in Set(item.map(ContentRecommender.tokens) ?? []) {
                rows.append(i); cols.append(Int(vocabulary.intern(token)))
            }
        }
        let presence = try SparseMatrix(rows: data.itemCount, columns: vocabulary.count, rowIndices: rows, columnIndices: cols,
                                        values: [Float](repeating: 1, count: rows.count))
        // idf = ln(n / df); rows then scaled to unit length.
        let df = presence.columnSums
        let n = Float(data.itemCount)
        idf = df.map { log(n / max(1, $0)) }
        var weighted = try SparseMatrix(rows: presence.rows, columns: presence.columns, rowIndices: rows, columnIndices: cols,
                                        values: cols.map { idf[$0] })
        weighted = weighted.scalingRows(by: weighted.rowNorms.map { $0 > 0 ? 1 / $0 : 0 })
        itemVectors = weighted
        history = data.binary
        prior = data.binary.columnSums.map { log(2 + $0) }
    }

    public func scores(user: Int) throws -> [Float] {
        try checkUser(user)
        guard let history else { throw RecommenderError.notFitted(model: "content") }
        // Profile = the consumed items' vectors summed (the mean, up to scale), then cosine.
        return try scores(history: history.row(user).columns.map(Int.init))
    }

    /// The titles most similar to a title described only by its metadata (a new title with no
    /// interactions): cosine between its TF-IDF vector (known tokens) and every title's.
    public func similarItems(to metadata: ItemMetadata, count: Int) throws -> [(index: Int, score: Float)] {
        guard let items = itemVectors else { throw RecommenderError.notFitted(model: "content") }
        var query = [Float](repeating: 0, count: items.columns)
        for token in Set(ContentRecommender.tokens(metadata)) { if let t = vocabulary.index(of: token) { query[t] = idf[t] } }
        let norm = query.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else { return [] }
        let sims = try items.multiply(Matrix(rows: query.count, columns: 1, elements: query.map { $0 / norm })).elements
        return SimilarityRule.neighbors(sims, of: nil, count: count)
    }

    /// Content scores for a profile built from `history` (item indices), for users unknown to training.
    public func scores(history: [Int]) throws -> [Float] {
        guard let items = itemVectors else { throw RecommenderError.notFitted(model: "content") }
        var profile = [Float](repeating: 0, count: items.columns)
        for i in history where i >= 0 && i < items.rows {
            let row = items.row(i)
            for (t, w) in zip(row.columns, row.values) { profile[Int(t)] += w }
        }
        let norm = profile.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else { return [Float](repeating: 0, count: items.rows) }
        let cosine = try items.multiply(Matrix(rows: profile.count, columns: 1, elements: profile.map { $0 / norm })).elements
        return zip(cosine, prior).map { $0 * $1 }
    }

    /// Weight of the co-viewing cosine in ``similarItems(to:count:)``: small enough that any
    /// title sharing a metadata token (cosine ≳ 0.01 in practice) ranks above every title related
    /// only by its audience.
    public static let coViewingWeight: Float = 1e-3

    /// The titles most like `item`: the cosine of their TF-IDF metadata vectors, plus
    /// ``coViewingWeight`` × the cosine of their viewer sets, so that titles sharing no token but
    /// watched by the same people follow the content matches instead of being dropped. A title
    /// that shares neither metadata nor a viewer with another has no neighbours
    /// (``SimilarityRule``).
    public func similarItems(to item: Int, count: Int) throws -> [(index: Int, score: Float)]? {
        guard let items = itemVectors, let history else { return nil }
        try checkItem(item, items.rows)
        let row = items.row(item)
        var query = [Float](repeating: 0, count: items.columns)
        for (t, w) in zip(row.columns, row.values) { query[Int(t)] = w }
        var sims = try items.multiply(Matrix(rows: query.count, columns: 1, elements: query)).elements
        // Co-viewing: |viewers(i) ∩ viewers(j)| / √(|viewers(i)|·|viewers(j)|), one pass over the history.
        let viewers = history.columnSums
        var shared = [Float](repeating: 0, count: items.rows)
        for u in 0..<history.rows {
            let titles = history.row(u).columns
            guard titles.contains(Int32(item)) else { continue }
            for j in titles { shared[Int(j)] += 1 }
        }
        for j in shared.indices where shared[j] > 0 && j != item {
            sims[j] += ContentRecommender.coViewingWeight * shared[j] / (viewers[item] * viewers[j]).squareRoot()
        }
        return SimilarityRule.neighbors(sims, of: item, count: count)
    }
}

extension ContentRecommender: PersistentModel {
    func encode(into w: inout ArchiveWriter) throws {
        guard let vectors = itemVectors else { throw RecommenderError.notFitted(model: name) }
        w.table([:])
        w.sparse(vectors); w.floats(prior); w.strings(vocabulary.ids); w.floats(idf)
    }

    static func decode(_ r: inout ArchiveReader, _ p: ModelArchive.Hyperparameters, _ c: ModelArchive.Context) throws -> Self {
        var m = Self()
        let vectors = try r.sparse()
        m.prior = try r.floats()
        m.vocabulary = IDMap(try r.strings())
        m.idf = try r.floats()
        try c.check(vectors.rows == c.items && m.prior.count == c.items && m.idf.count == vectors.columns
                    && m.vocabulary.count == vectors.columns, "content vectors")
        m.itemVectors = vectors
        m.history = c.history
        return m
    }
}
