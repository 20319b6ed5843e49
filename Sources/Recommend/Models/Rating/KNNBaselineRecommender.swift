import DenseLinalg
import Factorization

/// KNNBaseline for rating prediction: baselines plus the similarity-weighted deviations of the
/// user's ratings of the most similar items (Koren 2010).
public struct KNNBaselineRecommender: RatingPredictor, RegisteredModel {
    public static let registration = ModelRegistration("knn-baseline", .rating, "KNNBaseline: baselines plus similar items' deviations (Koren, TKDD 2010)",
                                                  hyperparameters: [.neighbors: "40", .shrinkage: "100"])
    public static func make(_ o: ModelOptions) throws -> Self {
        var m = Self()
        if let v = o.neighbors { m.configuration.neighbors = v }
        if let v = o.shrinkage { m.configuration.shrinkage = v }
        return m
    }

    public var configuration = BaselineKNNConfiguration()
    public internal(set) var model: BaselineKNNModel?

    public init(configuration: BaselineKNNConfiguration = .init()) { self.configuration = configuration }

    public mutating func fit(_ data: TrainingData) throws {
        var c = configuration
        c.threads = data.threads
        c.simd = data.compute.simd
        model = try BaselineKNN.fit(data.ratings, configuration: c)
    }

    public func predict(user: Int, item: Int) throws -> Float {
        guard let model else { throw RecommenderError.notFitted(model: name) }
        return model.predict(user: user, item: item)
    }
}
