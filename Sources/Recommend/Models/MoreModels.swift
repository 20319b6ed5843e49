import DenseLinalg
import Factorization
import Foundation

/// User-based collaborative filtering: the score of item j for user u is Σ sim(u, v) over the
/// `neighbors` most similar users v (cosine with shrinkage) who interacted with j.
public struct UserKNNRecommender: Recommender {
    public var name: String { "userknn" }
    public var neighbors = 20
    public var shrinkage: Float = 0
    var similar = NeighborList(k: 0, indices: [], scores: [])
    var history: SparseMatrix?

    public init(neighbors: Int = 20, shrinkage: Float = 0) { self.neighbors = neighbors; self.shrinkage = shrinkage }

    public var trainedUsers: Int { history?.rows ?? 0 }

    public mutating func fit(_ data: TrainingData) throws {
        guard neighbors > 0 else { throw RecommenderError("invalid neighbors \(neighbors): expected a positive integer") }
        similar = try CosineNeighbors.rows(data.binary, k: neighbors, shrinkage: shrinkage, threads: data.threads)
        history = data.binary
    }

    public func scores(user: Int) throws -> [Float] {
        try checkUser(user)
        guard let history else { throw RecommenderError("userknn: fit before scoring") }
        var s = [Float](repeating: 0, count: history.columns)
        for (v, sim) in similar.neighbors(of: user) { for j in history.row(v).columns { s[Int(j)] += sim } }
        return s
    }
}

/// Content-based: items are TF-IDF vectors of their metadata tokens (genres, director, cast,
/// type, maturity, decade, language, tags); a user's profile is the mean of the vectors of the
/// items they consumed; scores are cosine similarities between profile and items, weighted by
/// ln(2 + the item's user count) so that among titles of the same content the ones people
/// actually chose come first.
public struct ContentRecommender: Recommender {
    public var name: String { "content" }
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
            throw RecommenderError("content: the data has no item metadata (give --items with genres)")
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
        guard let history else { throw RecommenderError("content: fit before scoring") }
        // Profile = the consumed items' vectors summed (the mean, up to scale), then cosine.
        return try scores(history: history.row(user).columns.map(Int.init))
    }

    /// The titles most similar to a title described only by its metadata (a new title with no
    /// interactions): cosine between its TF-IDF vector (known tokens) and every title's.
    public func similarItems(to metadata: ItemMetadata, count: Int) throws -> [(index: Int, score: Float)] {
        guard let items = itemVectors else { throw RecommenderError("content: fit before recommending") }
        var query = [Float](repeating: 0, count: items.columns)
        for token in Set(ContentRecommender.tokens(metadata)) { if let t = vocabulary.index(of: token) { query[t] = idf[t] } }
        let norm = query.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else { return [] }
        let sims = try items.multiply(Matrix(rows: query.count, columns: 1, elements: query.map { $0 / norm })).elements
        return SimilarityRule.neighbors(sims, of: nil, count: count)
    }

    /// Content scores for a profile built from `history` (item indices), for users unknown to training.
    public func scores(history: [Int]) throws -> [Float] {
        guard let items = itemVectors else { throw RecommenderError("content: fit before scoring") }
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

/// A weighted ensemble: each member's scores are min–max normalised per user over the items
/// not yet seen, then combined with the weights.
public struct HybridRecommender: ExplainingRecommender {
    public var name: String { "hybrid" }
    public var members: [(model: any Recommender, weight: Float)]
    /// Learn the weights on a validation split cut from the training data (a grid over the
    /// simplex in steps of 0.1, maximising nDCG@10) instead of using the given ones.
    public var learnWeights = false
    var history: SparseMatrix?

    public init(members: [(model: any Recommender, weight: Float)], learnWeights: Bool = false) {
        self.members = members
        self.learnWeights = learnWeights
    }

    public var trainedUsers: Int { history?.rows ?? 0 }

    public mutating func fit(_ data: TrainingData) throws {
        guard !members.isEmpty, members.allSatisfy({ $0.weight >= 0 && $0.weight.isFinite }),
              members.contains(where: { $0.weight > 0 }) else {
            throw RecommenderError("hybrid: needs members with finite weights ≥ 0, at least one positive")
        }
        // Content members need item metadata; without it they drop out and the weights of the
        // rest keep their proportions.
        if !data.items.contains(where: { $0 != nil }) { members.removeAll { $0.model is ContentRecommender } }
        if learnWeights && members.count > 1 { try learn(data) }
        for m in members.indices { try members[m].model.fit(data) }
        history = data.binary
    }

    /// Holds out 20% of each user's interactions (users with at least 5, at most 2,000 users),
    /// fits the members on the rest, and keeps the weights with the best validation nDCG@10.
    mutating func learn(_ data: TrainingData) throws {
        let split = try Splitter.randomPerUser(data.interactions, testFraction: 0.2, seed: data.seed &+ 17)
        // The subset keeps the id maps, so its matrices have the full shape.
        let sub = try TrainingData(data.interactions.subset(split.train), items: data.items, threads: data.threads, seed: data.seed)
        var relevant = [Int: Set<Int>]()
        for row in split.test { relevant[Int(data.interactions.users[row]), default: []].insert(Int(data.interactions.items[row])) }
        let counts = data.binary.rowCounts
        let users = relevant.keys.filter { counts[$0] >= 5 }.sorted().prefix(2_000)
        guard !users.isEmpty else { return }
        var trial = self
        trial.learnWeights = false
        for m in trial.members.indices { try trial.members[m].model.fit(sub) }
        // Normalised scores of every member for every validation user, computed once.
        let seen = users.map { Set(sub.binary.row($0).columns.map(Int.init)) }
        var normalised: [[[Float]]] = []
        for (model, _) in trial.members {
            normalised.append(try users.enumerated().map { r, u in HybridRecommender.normalised(try model.scores(user: u), seen: seen[r]) })
        }
        var bestWeights = members.map(\.weight), bestScore = -1.0
        for weights in HybridRecommender.simplex(members.count, steps: 10) {
            var total = 0.0
            for (r, u) in users.enumerated() {
                var combined = [Float](repeating: 0, count: data.itemCount)
                for m in weights.indices where weights[m] > 0 { for j in 0..<data.itemCount { combined[j] += weights[m] * normalised[m][r][j] } }
                total += RankingMetrics.ndcg(best(combined, count: 10) { !seen[r].contains($0) }.map(\.index), relevant[u]!, k: 10)
            }
            if total > bestScore + 1e-12 { bestScore = total; bestWeights = weights }
        }
        for m in members.indices { members[m].weight = bestWeights[m] }
    }

    /// Every weight vector of `n` non-negative multiples of 1/steps summing to 1.
    static func simplex(_ n: Int, steps: Int) -> [[Float]] {
        func compositions(_ parts: Int, _ total: Int) -> [[Int]] {
            if parts == 1 { return [[total]] }
            var out: [[Int]] = []
            for first in 0...total { for rest in compositions(parts - 1, total - first) { out.append([first] + rest) } }
            return out
        }
        return compositions(n, steps).map { $0.map { Float($0) / Float(steps) } }
    }

    /// A member's scores min–max normalised over the unseen items; seen items get 0.
    static func normalised(_ s: [Float], seen: Set<Int>) -> [Float] {
        var mask = [Bool](repeating: false, count: s.count)
        for i in seen where i >= 0 && i < s.count { mask[i] = true }
        return normalised(s, seen: mask)
    }

    /// The same with the seen items as a mask (one pass for the range, one for the result).
    static func normalised(_ s: [Float], seen: [Bool]) -> [Float] {
        var lo = Float.infinity, hi = -Float.infinity
        for j in s.indices where !seen[j] { lo = min(lo, s[j]); hi = max(hi, s[j]) }
        guard hi > lo else { return [Float](repeating: 0, count: s.count) }
        let scale = 1 / (hi - lo)
        return s.indices.map { seen[$0] ? 0 : (s[$0] - lo) * scale }
    }

    public func scores(user: Int) throws -> [Float] {
        try checkUser(user)
        guard let history else { throw RecommenderError("hybrid: fit before scoring") }
        var seen = [Bool](repeating: false, count: history.columns)
        for i in history.row(user).columns { seen[Int(i)] = true }
        var total = [Float](repeating: 0, count: history.columns)
        for (model, weight) in members where weight > 0 {
            let s = HybridRecommender.normalised(try model.scores(user: user), seen: seen)
            for j in 0..<total.count { total[j] += weight * s[j] }
        }
        return total
    }

    /// Similar titles from the first member (in order) that has an item similarity.
    public func similarItems(to item: Int, count: Int) throws -> [(index: Int, score: Float)]? {
        for (model, _) in members { if let similar = try model.similarItems(to: item, count: count) { return similar } }
        return nil
    }

    /// The history items that contributed most, from the item-kNN member when there is one.
    public func explain(user: Int, item: Int, count: Int = 3) -> [(index: Int, contribution: Float)] {
        for (model, _) in members { if let knn = model as? ItemKNNRecommender { return knn.explain(user: user, item: item, count: count) } }
        return []
    }
}
