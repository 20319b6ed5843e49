import DenseLinalg
import Factorization
import Foundation

/// EDLAE, full rank (Steck, "Autoencoders that don't overfit towards the identity", NeurIPS
/// 2020): EASE's closed form with the emphasised-denoising penalty Λ = λI + p/(1−p)·diag(XᵀX),
/// which holds back the self-reconstruction of popular items in proportion to their counts.
/// Scoring, recommending and similar items are EASE's (``EASERecommender``).
public struct EDLAERecommender: ExplainingRecommender, RegisteredModel {
    public static let registration = ModelRegistration("edlae", .ranking,
                                                       "EDLAE: EASE with emphasised-denoising regularisation (Steck, NeurIPS 2020)",
                                                       hyperparameters: [.regularization: "\(defaultRegularization.formatted())", .dropout: "\(defaultDropout)",
                                                                         .userWeightExponent: "\(defaultUserWeightExponent)"],
                                                       search: [.regularization: .logUniform(10, 5000), .dropout: .uniform(0, 0.9), .userWeightExponent: .uniform(0, 1)])
    /// Defaults (measured on ML-100K: docs/benchmarks.md, "Beyond EASE").
    public static let defaultRegularization: Float = 200
    public static let defaultDropout: Float = 0.7
    /// Users weighted by nᵤ^(−0.5) in the Gram matrix (``EASEConfiguration/userWeightExponent``).
    public static let defaultUserWeightExponent: Float = 0.5

    public static func make(_ o: ModelOptions) throws -> Self {
        if let r = o.regularization, r <= 0 {
            throw RecommenderError.invalidParameter(model: "edlae", name: "regularization", value: "\(r)", expected: "a value > 0 (the closed form needs λ > 0)")
        }
        return Self(regularization: o.regularization ?? defaultRegularization, dropout: o.dropout ?? defaultDropout,
                    userWeightExponent: o.userWeightExponent ?? defaultUserWeightExponent)
    }

    /// The EASE machinery that holds the weights and the history.
    var ease: EASERecommender
    public var regularization: Float { ease.regularization }
    public let dropout: Float

    public var userWeightExponent: Float { ease.userWeightExponent }

    public init(regularization: Float = defaultRegularization, dropout: Float = defaultDropout,
                userWeightExponent: Float = defaultUserWeightExponent) {
        ease = EASERecommender(regularization: regularization)
        ease.dropout = dropout
        ease.userWeightExponent = userWeightExponent
        self.dropout = dropout
    }

    public var weights: Matrix<Float>? { ease.weights }
    public mutating func fit(_ data: TrainingData) throws { try ease.fit(data) }
    public var trainedUsers: Int { ease.trainedUsers }
    public func scores(user: Int) throws -> [Float] { try ease.scores(user: user) }
    public func recommend(users: [Int], count: Int, excluding seen: SparseMatrix?, threads: Int) throws -> NeighborList {
        try ease.recommend(users: users, count: count, excluding: seen, threads: threads)
    }
    public func similarItems(to item: Int, count: Int) throws -> [(index: Int, score: Float)]? { try ease.similarItems(to: item, count: count) }
    public func explain(user: Int, item: Int, count: Int = 3) -> [(index: Int, contribution: Float)] { ease.explain(user: user, item: item, count: count) }
    public func explain(history: [Int], item: Int, count: Int = 3) -> [(index: Int, contribution: Float)] { ease.explain(history: history, item: item, count: count) }
}

extension EDLAERecommender: PersistentModel {
    func encode(into w: inout ArchiveWriter) throws {
        guard let weights else { throw RecommenderError.notFitted(model: name) }
        w.table(["regularization": "\(regularization)", "dropout": "\(dropout)", "user_weight_exponent": "\(userWeightExponent)"])
        w.matrix(weights)
    }

    static func decode(_ r: inout ArchiveReader, _ p: ModelArchive.Hyperparameters, _ c: ModelArchive.Context) throws -> Self {
        // Files from before the user weighting have no exponent: they were fitted with 0.
        let exponent = p.table["user_weight_exponent"] != nil ? try p.float("user_weight_exponent") : 0
        var m = Self(regularization: try p.float("regularization"), dropout: try p.float("dropout"), userWeightExponent: exponent)
        let weights = try r.matrix()
        try c.check(weights.rows == c.items && weights.columns == c.items, "weights \(weights.rows)×\(weights.columns)")
        m.ease.weights = weights
        m.ease.history = c.history
        return m
    }
}
