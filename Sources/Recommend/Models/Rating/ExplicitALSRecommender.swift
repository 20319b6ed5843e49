import DenseLinalg
import Factorization

/// Biased ALS with weighted-λ and SVD++'s implicit feedback, for rating prediction (and
/// ranking by predicted rating).
public struct ExplicitALSRecommender: Recommender, RatingPredictor, RegisteredModel {
    public static let registration = ModelRegistration("als-explicit", .rating, "biased ALS with weighted-λ and implicit feedback, for ratings (Zhou et al. 2008; Koren 2008)",
                                                  hyperparameters: [.factors: "100", .iterations: "15", .regularization: "0.1"])
    public static func make(_ o: ModelOptions) throws -> Self {
        var m = Self()
        if let v = o.factors { m.configuration.factors = v }
        if let v = o.iterations { m.configuration.iterations = v }
        if let v = o.regularization { m.configuration.regularization = v }
        return m
    }

    public var configuration: ExplicitALSConfiguration
    public internal(set) var model: ExplicitALSModel?

    /// 100 factors, λ = 0.1 (times each row's rating count; biases 0.01), 15 iterations, implicit
    /// feedback with λ_y = 2. 100 rather than the ranking models' 50: with weighted-λ more factors
    /// do not overfit, and 100 beat 50 on every MovieLens 100K fold (measurements:
    /// docs/benchmarks.md, "Design measurements").
    public static var defaults: ExplicitALSConfiguration { ExplicitALSConfiguration(factors: 100, regularization: 0.1, iterations: 15) }

    public init(configuration: ExplicitALSConfiguration = ExplicitALSRecommender.defaults) { self.configuration = configuration }

    public var trainedUsers: Int { model?.userFactors.rows ?? 0 }

    /// A fitted recommender from its model (trained elsewhere, e.g. by distributed ALS) and the
    /// configuration it was trained with.
    public init(model: ExplicitALSModel, configuration: ExplicitALSConfiguration) { self.configuration = configuration; self.model = model }

    public mutating func fit(_ data: TrainingData) throws {
        let config = trainingConfiguration(users: data.ratings.rows, items: data.ratings.columns, compute: data.compute, seed: data.seed)
        model = try ExplicitALS.fit(data.ratings, configuration: config)
    }

    /// The configuration ``fit(_:)`` trains with on `users` × `items` ratings: this one with the
    /// run's threads, SIMD policy and seed, and at most min(users, items) factors. Distributed
    /// training uses it too, so both train the same model.
    public func trainingConfiguration(users: Int, items: Int, compute: ComputeSettings, seed: UInt64) -> ExplicitALSConfiguration {
        var config = configuration
        config.threads = compute.threads
        config.simd = compute.simd
        config.seed = seed
        // The factor product has rank at most min(users, items): more factors add cost, not rank.
        config.factors = min(config.factors, max(1, min(users, items)))
        return config
    }

    /// The predicted rating of a known user and item; for an unknown one (index beyond
    /// training), the global mean plus whichever bias is known.
    public func predict(user: Int, item: Int) throws -> Float {
        guard let model else { throw RecommenderError.notFitted(model: name) }
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

extension ExplicitALSRecommender: PersistentModel {
    func encode(into w: inout ArchiveWriter) throws {
        guard let model else { throw RecommenderError.notFitted(model: name) }
        let c = configuration
        w.table(["factors": "\(c.factors)", "regularization": "\(c.regularization)", "iterations": "\(c.iterations)",
                 "bias_regularization": "\(c.biasRegularization)", "initial_scale": "\(c.initialScale)"])
        w.float(model.globalMean); w.float(model.ratingScale.lowerBound); w.float(model.ratingScale.upperBound)
        w.floats(model.userBias); w.floats(model.itemBias)
        w.matrix(model.userFactors); w.matrix(model.itemFactors)
    }

    static func decode(_ r: inout ArchiveReader, _ p: ModelArchive.Hyperparameters, _ c: ModelArchive.Context) throws -> Self {
        var config = defaults
        config.factors = try p.int("factors"); config.regularization = try p.float("regularization"); config.iterations = try p.int("iterations")
        config.biasRegularization = try p.float("bias_regularization"); config.initialScale = try p.float("initial_scale")
        let mean = try r.float(), lo = try r.float(), hi = try r.float()
        let userBias = try r.floats(), itemBias = try r.floats()
        let u = try r.matrix(), v = try r.matrix()
        try c.check(u.rows == c.users && v.rows == c.items && u.columns == v.columns, "factor shape \(u.rows)×\(u.columns), \(v.rows)×\(v.columns)")
        try c.check(userBias.count == c.users && itemBias.count == c.items && lo <= hi, "biases or rating scale")
        var m = Self(configuration: config)
        m.model = ExplicitALSModel(globalMean: mean, userBias: userBias, itemBias: itemBias, userFactors: u, itemFactors: v,
                                   ratingScale: lo...hi)
        return m
    }
}
