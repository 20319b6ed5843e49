import DenseLinalg
import Factorization
import Foundation

/// User-based collaborative filtering: the score of item j for user u is Σ sim(u, v) over the
/// `neighbors` most similar users v (cosine with shrinkage) who interacted with j.
public struct UserKNNRecommender: Recommender, RegisteredModel {
    public static let registration = ModelRegistration("userknn", .ranking, "user-based k-NN: titles of the most similar users (Herlocker et al., SIGIR 1999)",
                                                  hyperparameters: [.neighbors: "20", .shrinkage: "0"],
                                                  search: [.neighbors: .integers(5, 500), .shrinkage: .uniform(0, 200)])

    public var neighbors = 20
    public var shrinkage: Float = 0
    var similar = NeighborList(k: 0, indices: [], scores: [])
    var history: SparseMatrix?

    public init(neighbors: Int = 20, shrinkage: Float = 0) { self.neighbors = neighbors; self.shrinkage = shrinkage }

    public var trainedUsers: Int { history?.rows ?? 0 }

    public mutating func fit(_ data: TrainingData) throws {
        try checkNeighbors()
        similar = try CosineNeighbors.rows(data.binary, k: neighbors, shrinkage: shrinkage, threads: data.threads)
        history = data.binary
    }

    public func scores(user: Int) throws -> [Float] {
        try checkUser(user)
        guard let history else { throw RecommenderError.notFitted(model: "userknn") }
        var s = [Float](repeating: 0, count: history.columns)
        for (v, sim) in similar.neighbors(of: user) { for j in history.row(v).columns { s[Int(j)] += sim } }
        return s
    }
}

/// Saved as the neighbour list of each user (``NeighborhoodModel``).
extension UserKNNRecommender: NeighborhoodModel {
    static func neighborRows(_ c: ModelArchive.Context) -> Int { c.users }
}
