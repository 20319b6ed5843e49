import DenseLinalg
import Factorization
import Foundation

/// Most popular items: score = number of users who interacted (optionally time-decayed).
public struct PopularityRecommender: Recommender {
    public var name: String { "popular" }
    /// Half-life in days of a time-decayed count; nil counts every interaction equally.
    public var halfLifeDays: Double? = nil
    public internal(set) var popularity: [Float] = []
    public internal(set) var trainedUsers = 0

    public init(halfLifeDays: Double? = nil) { self.halfLifeDays = halfLifeDays }

    public mutating func fit(_ data: TrainingData) throws {
        if let halfLifeDays {
            popularity = try data.interactions.matrix(.timeDecayed(halfLifeDays: halfLifeDays)).columnSums
        } else {
            popularity = data.binary.columnSums
        }
        trainedUsers = data.users
    }

    public func scores(user: Int) throws -> [Float] {
        try checkUser(user)
        return popularity
    }
}

/// Item-based collaborative filtering (cosine k-NN with shrinkage): the score of item j for a
/// user is the sum of sim(i, j) over the user's items i that have j among their `neighbors`.
public struct ItemKNNRecommender: ExplainingRecommender {
    public var name: String { "itemknn" }
    public var neighbors = 20
    public var shrinkage: Float = 0
    public internal(set) var similar = NeighborList(k: 0, indices: [], scores: [])
    var history: SparseMatrix?

    public init(neighbors: Int = 20, shrinkage: Float = 0) { self.neighbors = neighbors; self.shrinkage = shrinkage }

    public mutating func fit(_ data: TrainingData) throws {
        guard neighbors > 0 else { throw RecommenderError("invalid neighbors \(neighbors): expected a positive integer") }
        similar = try CosineNeighbors.items(data.binary, k: neighbors, shrinkage: shrinkage, threads: data.threads)
        history = data.binary
    }

    public var trainedUsers: Int { history?.rows ?? 0 }

    public func scores(user: Int) throws -> [Float] {
        try checkUser(user)
        guard let history else { throw RecommenderError("itemknn: fit before scoring") }
        var s = [Float](repeating: 0, count: history.columns)
        for i in history.row(user).columns {
            for (j, sim) in similar.neighbors(of: Int(i)) { s[j] += sim }
        }
        return s
    }

    /// The history items that contributed most to `item`'s score for `user`: "because you watched …".
    public func explain(user: Int, item: Int, count: Int = 3) -> [(index: Int, contribution: Float)] {
        guard let history else { return [] }
        var parts: [(Int, Float)] = []
        for i in history.row(user).columns {
            if let hit = similar.neighbors(of: Int(i)).first(where: { $0.index == item }) { parts.append((Int(i), hit.score)) }
        }
        return parts.sorted { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }.prefix(count).map { ($0.0, $0.1) }
    }

    public func similarItems(to item: Int, count: Int) throws -> [(index: Int, score: Float)]? {
        try checkItem(item, similar.count)
        return Array(similar.neighbors(of: item).lazy.filter { SimilarityRule.admits($0.score) }.prefix(count))
    }
}

/// EASE (Steck 2019): scores xᵤ·B with the closed-form item weights.
public struct EASERecommender: Recommender {
    public var name: String { "ease" }
    public var regularization: Float = 500
    public internal(set) var weights: Matrix<Float>?
    var history: SparseMatrix?

    public init(regularization: Float = 500) { self.regularization = regularization }

    public mutating func fit(_ data: TrainingData) throws {
        weights = try EASE.fit(data.binary, configuration: .init(regularization: regularization, threads: data.threads))
        history = data.binary
    }

    public var trainedUsers: Int { history?.rows ?? 0 }

    public func scores(user: Int) throws -> [Float] {
        try checkUser(user)
        guard let weights, let history else { throw RecommenderError("ease: fit before scoring") }
        return try history.rowSlice(user..<(user + 1)).multiply(weights).elements
    }

    public func recommend(users: [Int], count: Int, excluding seen: SparseMatrix?) throws -> NeighborList {
        for u in users { try checkUser(u) }
        guard let weights, let history else { throw RecommenderError("ease: fit before scoring") }
        // All users' scores at once: X·B (sparse × dense), then the shared selection.
        let scores = try history.selectingRows(users).multiply(weights, threads: Parallel.availableCores)
        return try TopN.select(scores: scores, excluding: seen?.selectingRows(users), count: count)
    }

    public func similarItems(to item: Int, count: Int) throws -> [(index: Int, score: Float)]? {
        guard let weights else { return nil }
        try checkItem(item, weights.rows)
        let row = weights.row(item)
        // EASE weights have no fixed scale: rounding is judged against the row's largest weight.
        let scale = row.indices.reduce(Float(0)) { $1 == item ? $0 : max($0, abs(row[$1])) }
        return SimilarityRule.neighbors(row, of: item, count: count, scale: scale)
    }
}
