import DenseLinalg
import Factorization

/// Implicit ALS (Hu, Koren & Volinsky, ICDM 2008) for ranking: confidence 1 + α·r on the
/// binary matrix (or on the pairs' values, ``ConfidenceSource``), user factors X (users × k)
/// and item factors Y (items × k), scores X·Yᵀ. Explains a recommendation by each history
/// item's share of the score (``ImplicitALSModel/explain(items:strengths:item:gram:)``).
public struct ALSRecommender: FactorRecommender, ExplainingRecommender, RegisteredModel {
    public static let registration = ModelRegistration("als", .ranking, "implicit ALS: weighted matrix factorization (Hu, Koren & Volinsky, ICDM 2008)",
                                                  hyperparameters: [.factors: "50", .iterations: "15", .regularization: "20", .regularizationExponent: "1",
                                                                    .alpha: "2", .confidence: "binary"],
                                                  search: [.factors: .integers(16, 256), .regularization: .logUniform(0.01, 100),
                                                           .regularizationExponent: .uniform(0, 1.5), .alpha: .logUniform(0.5, 50)])
    public static func make(_ o: ModelOptions) throws -> Self {
        var c = defaults
        if let v = o.factors { c.factors = v }
        if let v = o.iterations { c.iterations = v }
        if let v = o.regularization { c.regularization = v }
        if let v = o.regularizationExponent { c.regularizationExponent = v }
        if let v = o.alpha { c.alpha = v }
        if case let .values(scale)? = o.confidence { c.confidence = scale }
        var m = Self(configuration: c)
        m.confidenceSource = o.confidence ?? .binary
        m.scalesRegularizationToData = o.regularization == nil
        return m
    }

    /// Data of fewer than this many users or items get a proportionally smaller default λ
    /// (``scalesRegularizationToData``).
    public static let fullRegularizationSize = 200

    public var configuration: ImplicitALSConfiguration
    /// Whether confidence comes from the binary matrix (default) or the pairs' values.
    public var confidenceSource: ConfidenceSource = .binary
    /// Whether λ is the default and scales with the data (set by ``make(_:)`` when no λ is
    /// given): on users × items data it is λ·min(1, min(users, items)/``fullRegularizationSize``).
    /// The other side's count sets the scale of a row's data term, and the default λ = 20 that
    /// suits hundreds to thousands of users thresholds away every direction of a small matrix.
    /// On subsets of ML-100K the best λ was 5 at 50 users, 10 at 100 and 20 from 200 to 943
    /// (docs/benchmarks.md, "Past 0.49"); the 20 × 10 checkerboard gets λ = 1.
    public var scalesRegularizationToData = false
    public internal(set) var model: ImplicitALSModel? { didSet { gram = try? model?.regularizedGram() } }
    /// YᵀY + λI of the model's item factors (k × k), computed once per fitted model: every
    /// explanation solves against it.
    private var gram: Matrix<Float>?
    /// The training matrix the factors were fitted on (binary, or the strengths): explanations
    /// of training users read their rows.
    var history: SparseMatrix?
    var userFactors: Matrix<Float>? { model?.userFactors }
    var itemFactors: Matrix<Float>? { model?.itemFactors }

    public init(configuration: ImplicitALSConfiguration = ALSRecommender.defaults) { self.configuration = configuration }

    /// A fitted recommender from its model (trained elsewhere, e.g. by distributed ALS).
    public init(model: ImplicitALSModel) {
        configuration = model.configuration; self.model = model; gram = try? model.regularizedGram()
    }

    /// The history items that add most to the user's score for `item`, by their share
    /// cᵢ·yⱼᵀWᵤyᵢ of it (positive shares only, largest first).
    public func explain(user: Int, item: Int, count: Int = 3) -> [(index: Int, contribution: Float)] {
        guard let history, user >= 0, user < history.rows else { return [] }
        let row = history.row(user)  // the training strengths, not 1s: as the fit weighed them
        return explain(items: row.columns.map(Int.init), strengths: Array(row.values), item: item, count: count)
    }

    /// The same for any history (inner title indices), each of strength 1.
    public func explain(history: [Int], item: Int, count: Int = 3) -> [(index: Int, contribution: Float)] {
        let items = Array(Set(history.filter { $0 >= 0 && $0 < (itemFactors?.rows ?? 0) })).sorted()
        return explain(items: items, strengths: [Float](repeating: 1, count: items.count), item: item, count: count)
    }

    func explain(items: [Int], strengths: [Float], item: Int, count: Int) -> [(index: Int, contribution: Float)] {
        guard let model, !items.isEmpty, let gram,
              let shares = try? model.explain(items: items, strengths: strengths, item: item, gram: gram) else { return [] }
        return strongestShares(zip(items, shares).map { (index: $0, contribution: $1) }, count: count)
    }

    /// 50 factors, 15 iterations, α = 2, and frequency-scaled regularisation with λ = 20, ν = 1
    /// (Rendle et al. 2022: each user's and item's λ grows with its interactions). Chosen on
    /// validation splits of ML-100K's training file and checked on generated worlds: nDCG@10 on
    /// ML-100K's test 0.406 → 0.487 against the earlier λ = 0.1, ν = 0 (implicit's style of
    /// default), with the same sharp optimum near λ = 20 on every dataset tried
    /// (docs/benchmarks.md, "Past 0.49").
    public static var defaults: ImplicitALSConfiguration {
        var c = ImplicitALSConfiguration(factors: 50, regularization: 20, alpha: 2, iterations: 15, threads: 1)
        c.regularizationExponent = 1
        return c
    }

    public mutating func fit(_ data: TrainingData) throws {
        let config = trainingConfiguration(users: data.users, items: data.itemCount, compute: data.compute, seed: data.seed)
        let matrix = confidenceSource == .binary ? data.binary : data.strengths
        model = try ImplicitALS.fit(matrix, configuration: config)
        history = matrix
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
        if scalesRegularizationToData {
            config.regularization *= min(1, Float(max(1, min(users, items))) / Float(Self.fullRegularizationSize))
        }
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
        // Files from before frequency-scaled regularisation have no exponent: 0.
        if c.regularizationExponent != 0 { t["regularization_exponent"] = "\(c.regularizationExponent)" }
        // Files from before confidence from values have no "confidence_source": binary.
        if confidenceSource != .binary { t["confidence_source"] = "values" }
        w.table(t)
        w.matrix(model.userFactors); w.matrix(model.itemFactors)
        // A model trained on values keeps them (the history's pattern, one value per entry) so
        // that explanations of training users weigh their items as training did.
        if confidenceSource != .binary, let history { w.floats(history.values) }
    }

    static func decode(_ r: inout ArchiveReader, _ p: ModelArchive.Hyperparameters, _ c: ModelArchive.Context) throws -> Self {
        var config = defaults
        config.factors = try p.int("factors"); config.regularization = try p.float("regularization")
        config.alpha = try p.float("alpha"); config.iterations = try p.int("iterations")
        // Written only when not 0 (files from before it have none): absent means 0, not the default.
        config.regularizationExponent = p.table["regularization_exponent"] != nil ? try p.float("regularization_exponent") : 0
        let confidence = try p.string("confidence"), solver = try p.string("solver")
        if confidence.hasPrefix("log:"), let e = Float(confidence.dropFirst(4)) { config.confidence = .logarithmic(epsilon: e) }
        if solver == "cholesky" { config.solver = .cholesky } else if solver.hasPrefix("cg:"), let s = Int(solver.dropFirst(3)) { config.solver = .conjugateGradient(steps: s) }
        let (u, v) = try decodeFactors(&r, c)
        // The fold-in of cold-start users runs with these settings: they must match the factors.
        try c.check(config.factors == u.columns && config.alpha.isFinite && config.regularization >= 0
                    && config.regularizationExponent >= 0 && config.regularizationExponent <= 4, "hyperparameters")
        var m = Self(configuration: config)
        m.model = ImplicitALSModel(userFactors: u, itemFactors: v, configuration: config, lossHistory: [])
        m.history = c.history
        if let source = p.table["confidence_source"] {
            try c.check(source == "values", "confidence source \(source)")
            m.confidenceSource = .values(config.confidence)
            let values = try r.floats()
            try c.check(values.count == c.history.nnz && values.allSatisfy { $0.isFinite && $0 >= 0 }, "strengths")
            m.history = try SparseMatrix(rows: c.history.rows, columns: c.history.columns, rowPointers: c.history.rowPointers,
                                     columnIndices: c.history.columnIndices, values: values)
        }
        return m
    }
}
