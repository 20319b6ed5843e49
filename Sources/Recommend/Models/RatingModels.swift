import DenseLinalg
import Factorization

/// A model that predicts ratings (evaluated by RMSE and MAE).
public protocol RatingPredictor: Sendable {
    var name: String { get }
    /// Trains on `data.ratings` (the latest rating of each pair).
    mutating func fit(_ data: TrainingData) throws
    /// The predicted rating; for a user or item unknown to training, the model's fallback.
    func predict(user: Int, item: Int) throws -> Float
}

extension ExplicitALSRecommender: RatingPredictor {}

/// KNNBaseline for rating prediction: baselines plus the similarity-weighted deviations of the
/// user's ratings of the most similar items (Koren 2010).
public struct KNNBaselineRecommender: RatingPredictor {
    public var name: String { "knn-baseline" }
    public var configuration = BaselineKNNConfiguration()
    public internal(set) var model: BaselineKNNModel?

    public init(configuration: BaselineKNNConfiguration = .init()) { self.configuration = configuration }

    public mutating func fit(_ data: TrainingData) throws {
        var c = configuration
        c.threads = data.threads
        model = try BaselineKNN.fit(data.ratings, configuration: c)
    }

    public func predict(user: Int, item: Int) throws -> Float {
        guard let model else { throw RecommenderError("knn-baseline: fit before predicting") }
        return model.predict(user: user, item: item)
    }
}

/// The mean of explicit ALS's and KNNBaseline's predictions: a factor model and a
/// neighbourhood model err in different places, so their average errs less than either
/// (the lesson of the Netflix Prize blends; Koren 2008 builds one model of the two).
public struct RatingBlendRecommender: RatingPredictor {
    public var name: String { "blend" }
    public var als = ExplicitALSRecommender()
    public var knn = KNNBaselineRecommender()
    /// Weight of ALS; KNNBaseline gets the rest. Default 0.5.
    public var alsWeight: Float = 0.5

    public init() {}

    public mutating func fit(_ data: TrainingData) throws {
        try als.fit(data)
        try knn.fit(data)
    }

    public func predict(user: Int, item: Int) throws -> Float {
        alsWeight * (try als.predict(user: user, item: item)) + (1 - alsWeight) * (try knn.predict(user: user, item: item))
    }
}
