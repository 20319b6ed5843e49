import DenseLinalg
import Factorization

/// The mean of explicit ALS's and KNNBaseline's predictions: a factor model and a
/// neighbourhood model err in different places, so their average errs less than either
/// (the lesson of the Netflix Prize blends; Koren 2008 builds one model of the two).
public struct RatingBlendRecommender: RatingPredictor, RegisteredModel {
    public static let registration = ModelRegistration("blend", .rating, "the mean of explicit ALS's and KNNBaseline's predictions",
                                                  hyperparameters: [.factors: "100", .iterations: "15", .regularization: "0.1", .neighbors: "40", .shrinkage: "100"])
    public static func make(_ o: ModelOptions) throws -> Self {
        var m = Self()
        m.als = try ExplicitALSRecommender.make(o)
        m.knn = try KNNBaselineRecommender.make(o)
        return m
    }

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
