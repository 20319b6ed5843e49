import DenseLinalg
import Factorization
import Foundation

/// Item-based collaborative filtering (cosine k-NN with shrinkage): the score of item j for a
/// user is the sum of sim(i, j) over the user's items i that have j among their `neighbors`.
public struct ItemKNNRecommender: ExplainingRecommender, RegisteredModel {
    public static let registration = ModelRegistration("itemknn", .ranking, "item-based k-NN: cosine neighbours of the user's titles (Sarwar et al., WWW 2001)",
                                                  hyperparameters: [.neighbors: "20", .shrinkage: "0"],
                                                  search: [.neighbors: .integers(5, 500), .shrinkage: .uniform(0, 200)])

    public var neighbors = 20
    public var shrinkage: Float = 0
    public internal(set) var similar = NeighborList(k: 0, indices: [], scores: [])
    var history: SparseMatrix?

    public init(neighbors: Int = 20, shrinkage: Float = 0) { self.neighbors = neighbors; self.shrinkage = shrinkage }

    public mutating func fit(_ data: TrainingData) throws {
        try checkNeighbors()
        similar = try CosineNeighbors.items(data.binary, k: neighbors, shrinkage: shrinkage, threads: data.threads)
        history = data.binary
    }

    public var trainedUsers: Int { history?.rows ?? 0 }

    public func scores(user: Int) throws -> [Float] {
        try checkUser(user)
        guard let history else { throw RecommenderError.notFitted(model: "itemknn") }
        var s = [Float](repeating: 0, count: history.columns)
        for i in history.row(user).columns {
            for (j, sim) in similar.neighbors(of: Int(i)) { s[j] += sim }
        }
        return s
    }

    /// The history items that contributed most to `item`'s score for `user`: "because you watched …".
    public func explain(user: Int, item: Int, count: Int = 3) -> [(index: Int, contribution: Float)] {
        explain(trainingRowOf: user, in: history, item: item, count: count)
    }

    /// The titles of `history` whose neighbour lists hold `item`, by similarity.
    public func explain(history: [Int], item: Int, count: Int = 3) -> [(index: Int, contribution: Float)] {
        var parts: [(index: Int, contribution: Float)] = []
        for i in Set(history) where i >= 0 && i < similar.count {
            if let hit = similar.neighbors(of: i).first(where: { $0.index == item }) { parts.append((i, hit.score)) }
        }
        return strongestShares(parts, count: count)
    }

    public func similarItems(to item: Int, count: Int) throws -> [(index: Int, score: Float)]? {
        try checkItem(item, similar.count)
        return Array(similar.neighbors(of: item).lazy.filter { SimilarityRule.admits($0.score) }.prefix(count))
    }
}

/// Saved as the neighbour list of each item (``NeighborhoodModel``).
extension ItemKNNRecommender: NeighborhoodModel {
    static func neighborRows(_ c: ModelArchive.Context) -> Int { c.items }
}
