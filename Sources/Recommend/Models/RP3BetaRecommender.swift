import DenseLinalg
import Factorization
import Foundation

/// RP3β (Paudel et al., ACM TiiS 2016): item-item weights of a popularity-penalised three-step
/// random walk (``RP3Beta``), each item keeping its `neighbors` largest; a user's score for a
/// title is the sum of the weights from their titles, as item-kNN sums similarities.
public struct RP3BetaRecommender: ExplainingRecommender, RegisteredModel {
    public static let registration = ModelRegistration("rp3beta", .ranking,
                                                       "RP3beta: popularity-penalised random walk item to user to item (Paudel et al., TiiS 2016)",
                                                       hyperparameters: [.alpha: "\(defaults.alpha)", .beta: "\(defaults.beta)", .neighbors: "\(defaults.neighbors)"],
                                                       search: [.alpha: .uniform(0.2, 1.5), .beta: .uniform(0, 1), .neighbors: .integers(20, 1000)])
    /// Defaults chosen on validation splits of ML-100K's training file (docs/benchmarks.md, "Beyond EASE").
    public static let defaults = (alpha: Float(0.7), beta: Float(0.6), neighbors: 400)

    public static func make(_ o: ModelOptions) throws -> Self {
        Self(alpha: o.alpha ?? defaults.alpha, beta: o.beta ?? defaults.beta, neighbors: o.neighbors ?? defaults.neighbors)
    }

    public let alpha: Float
    public let beta: Float
    public let neighbors: Int
    /// Item-kNN's scoring and explanations over the RP3β weights.
    var scorer: ItemKNNRecommender
    public var similar: NeighborList { scorer.similar }

    public init(alpha: Float, beta: Float, neighbors: Int) {
        self.alpha = alpha; self.beta = beta; self.neighbors = neighbors
        scorer = ItemKNNRecommender(neighbors: neighbors)
    }

    public mutating func fit(_ data: TrainingData) throws {
        scorer.similar = try RP3Beta.neighbors(data.binary, alpha: alpha, beta: beta, k: neighbors, threads: data.threads)
        scorer.history = data.binary
    }

    public var trainedUsers: Int { scorer.trainedUsers }
    public func scores(user: Int) throws -> [Float] { try scorer.scores(user: user) }
    public func explain(user: Int, item: Int, count: Int) -> [(index: Int, contribution: Float)] {
        scorer.explain(user: user, item: item, count: count)
    }
    public func explain(history: [Int], item: Int, count: Int) -> [(index: Int, contribution: Float)] {
        scorer.explain(history: history, item: item, count: count)
    }
    public func similarItems(to item: Int, count: Int) throws -> [(index: Int, score: Float)]? {
        try scorer.similarItems(to: item, count: count)
    }
}

extension RP3BetaRecommender: PersistentModel {
    func encode(into w: inout ArchiveWriter) throws {
        guard trainedUsers > 0 else { throw RecommenderError.notFitted(model: name) }
        w.table(["alpha": "\(alpha)", "beta": "\(beta)", "neighbors": "\(neighbors)"])
        w.neighbors(similar)
    }

    static func decode(_ r: inout ArchiveReader, _ p: ModelArchive.Hyperparameters, _ c: ModelArchive.Context) throws -> Self {
        var m = Self(alpha: try p.float("alpha"), beta: try p.float("beta"), neighbors: try p.int("neighbors"))
        m.scorer.similar = try r.neighbors()
        try c.check(m.similar.count == c.items && m.similar.indices.allSatisfy { $0 < c.items }, "neighbour list")
        m.scorer.history = c.history
        return m
    }
}
