import DenseLinalg
import Factorization

/// Implicit ALS (Hu, Koren & Volinsky, ICDM 2008) for ranking: confidence 1 + α·r on the
/// binary matrix, user factors X (users × k) and item factors Y (items × k), scores X·Yᵀ.
public struct ALSRecommender: FactorRecommender, RegisteredModel {
    public static let registration = ModelRegistration("als", .ranking, "implicit ALS: weighted matrix factorization (Hu, Koren & Volinsky, ICDM 2008)",
                                                  hyperparameters: [.factors: "50", .iterations: "15", .regularization: "0.1", .alpha: "2"])
    public static func make(_ o: ModelOptions) throws -> Self {
        var c = defaults
        if let v = o.factors { c.factors = v }
        if let v = o.iterations { c.iterations = v }
        if let v = o.regularization { c.regularization = v }
        if let v = o.alpha { c.alpha = v }
        return Self(configuration: c)
    }

    public var configuration: ImplicitALSConfiguration
    public internal(set) var model: ImplicitALSModel?
    var userFactors: Matrix<Float>? { model?.userFactors }
    var itemFactors: Matrix<Float>? { model?.itemFactors }

    public init(configuration: ImplicitALSConfiguration = ALSRecommender.defaults) { self.configuration = configuration }

    /// A fitted recommender from its model (trained elsewhere, e.g. by distributed ALS).
    public init(model: ImplicitALSModel) { configuration = model.configuration; self.model = model }

    /// 50 factors (the original system's default), λ = 0.1, α = 2, 15 iterations.
    public static var defaults: ImplicitALSConfiguration {
        ImplicitALSConfiguration(factors: 50, regularization: 0.1, alpha: 2, iterations: 15, threads: 1)
    }

    public mutating func fit(_ data: TrainingData) throws {
        let config = trainingConfiguration(users: data.users, items: data.itemCount, compute: data.compute, seed: data.seed)
        model = try ImplicitALS.fit(data.binary, configuration: config)
    }

    /// The configuration ``fit(_:)`` trains with on `users` × `items` data: this one with the
    /// run's threads, SIMD policy, precision and seed, and at most min(users, items) factors.
    /// Distributed training uses it too, so both train the same model.
    public func trainingConfiguration(users: Int, items: Int, compute: ComputeSettings, seed: UInt64) -> ImplicitALSConfiguration {
        var config = configuration
        config.threads = compute.threads
        config.simd = compute.simd
        config.halfPrecisionGathers = config.halfPrecisionGathers && compute.halfPrecision
        config.seed = seed
        // X·Yᵀ has rank at most min(users, items): more factors add cost, not rank (as for svd, nmf).
        config.factors = min(config.factors, max(1, min(users, items)))
        return config
    }
}

extension ALSRecommender: PersistentModel {
    func encode(into w: inout ArchiveWriter) throws {
        guard let model else { throw RecommenderError.notFitted(model: name) }
        let c = model.configuration
        var t = ["factors": "\(c.factors)", "regularization": "\(c.regularization)", "alpha": "\(c.alpha)", "iterations": "\(c.iterations)"]
        switch c.confidence {
        case .linear: t["confidence"] = "linear"
        case let .logarithmic(epsilon): t["confidence"] = "log:\(epsilon)"
        }
        switch c.solver {
        case .cholesky: t["solver"] = "cholesky"
        case let .conjugateGradient(steps): t["solver"] = "cg:\(steps)"
        }
        w.table(t)
        w.matrix(model.userFactors); w.matrix(model.itemFactors)
    }

    static func decode(_ r: inout ArchiveReader, _ p: ModelArchive.Hyperparameters, _ c: ModelArchive.Context) throws -> Self {
        var config = defaults
        config.factors = try p.int("factors"); config.regularization = try p.float("regularization")
        config.alpha = try p.float("alpha"); config.iterations = try p.int("iterations")
        let confidence = try p.string("confidence"), solver = try p.string("solver")
        if confidence.hasPrefix("log:"), let e = Float(confidence.dropFirst(4)) { config.confidence = .logarithmic(epsilon: e) }
        if solver == "cholesky" { config.solver = .cholesky } else if solver.hasPrefix("cg:"), let s = Int(solver.dropFirst(3)) { config.solver = .conjugateGradient(steps: s) }
        let (u, v) = try decodeFactors(&r, c)
        // The fold-in of cold-start users runs with these settings: they must match the factors.
        try c.check(config.factors == u.columns && config.alpha.isFinite && config.regularization >= 0, "hyperparameters")
        var m = Self(configuration: config)
        m.model = ImplicitALSModel(userFactors: u, itemFactors: v, configuration: config, lossHistory: [])
        return m
    }
}
