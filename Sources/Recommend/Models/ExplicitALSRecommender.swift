import DenseLinalg
import Factorization

/// Biased ALS with weighted-λ for rating prediction (and ranking by predicted rating).
public struct ExplicitALSRecommender: Recommender {
    public var name: String { "als-explicit" }
    public var configuration: ExplicitALSConfiguration
    public internal(set) var model: ExplicitALSModel?

    /// 50 factors, λ = 0.1 (times each row's rating count; biases 0.01), 15 iterations.
    public static var defaults: ExplicitALSConfiguration { ExplicitALSConfiguration(factors: 50, regularization: 0.1, iterations: 15) }

    public init(configuration: ExplicitALSConfiguration = ExplicitALSRecommender.defaults) { self.configuration = configuration }

    public var trainedUsers: Int { model?.userFactors.rows ?? 0 }

    public mutating func fit(_ data: TrainingData) throws {
        var config = configuration
        config.threads = data.threads
        config.seed = data.seed
        model = try ExplicitALS.fit(data.ratings, configuration: config)
    }

    /// The predicted rating of a known user and item; for an unknown one (index beyond
    /// training), the global mean plus whichever bias is known.
    public func predict(user: Int, item: Int) throws -> Float {
        guard let model else { throw RecommenderError("als-explicit: fit before predicting") }
        let knownUser = user >= 0 && user < model.userBias.count, knownItem = item >= 0 && item < model.itemBias.count
        if knownUser && knownItem { return model.predict(user: user, item: item) }
        let estimate = model.globalMean + (knownUser ? model.userBias[user] : 0) + (knownItem ? model.itemBias[item] : 0)
        return min(model.ratingScale.upperBound, max(model.ratingScale.lowerBound, estimate))
    }

    public func scores(user: Int) throws -> [Float] {
        try checkUser(user)
        return try (0..<(model?.itemBias.count ?? 0)).map { try predict(user: user, item: $0) }
    }
}
