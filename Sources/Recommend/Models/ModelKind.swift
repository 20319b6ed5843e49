import DenseLinalg
import Factorization

/// What a model is trained for and measured by.
public enum ModelTask: String, Sendable {
    /// Ranks titles for a user (measured by nDCG@K and friends on held-out interactions).
    case ranking
    /// Predicts ratings (measured by RMSE and MAE on held-out ratings).
    case rating
}

/// A hyperparameter of ``ModelOptions`` that a model may read.
public enum Hyperparameter: String, Sendable, CaseIterable {
    case factors, iterations, regularization, regularizationExponent, alpha, beta, neighbors, shrinkage, dropout, userWeightExponent, confidence, learnWeights
}

/// Hyperparameters as a caller gives them; nil means the model's default.
public struct ModelOptions: Sendable {
    /// Latent factors (rank of the factor matrices).
    public var factors: Int?
    /// Iterations (alternating sweeps or multiplicative updates), 1…``ModelKind/maximumIterations``.
    public var iterations: Int?
    /// L2 regularization λ, ≥ 0.
    public var regularization: Float?
    /// Implicit ALS's frequency-scaled regularisation exponent ν in [0, 4] (Rendle et al. 2022).
    public var regularizationExponent: Float?
    /// Implicit ALS confidence slope α (confidence 1 + α·r), ≥ 0.
    public var alpha: Float?
    /// RP3β's popularity exponent β, ≥ 0.
    public var beta: Float?
    /// Neighbours kept per item, user or session.
    public var neighbors: Int?
    /// Similarity shrinkage (cosine · n / (n + shrinkage) for n common raters), ≥ 0.
    public var shrinkage: Float?
    /// EDLAE's emphasised-denoising dropout probability, in [0, 1).
    public var dropout: Float?
    /// EASE and EDLAE: the user weighting exponent e in [0, 4] (a user with n interactions
    /// enters the Gram matrix with weight ∝ n^(−e); ``EASEConfiguration/userWeightExponent``).
    public var userWeightExponent: Float?
    /// Implicit ALS: what its confidence is computed from (nil: the binary matrix).
    public var confidence: ConfidenceSource?
    /// hybrid: learn the weights on a validation split (nil: the model's default, on).
    public var learnWeights: Bool?
    public init() {}

    /// The hyperparameters set to a value other than the default.
    public var given: [Hyperparameter] {
        var out: [Hyperparameter] = []
        if factors != nil { out.append(.factors) }
        if iterations != nil { out.append(.iterations) }
        if regularization != nil { out.append(.regularization) }
        if regularizationExponent != nil { out.append(.regularizationExponent) }
        if alpha != nil { out.append(.alpha) }
        if beta != nil { out.append(.beta) }
        if neighbors != nil { out.append(.neighbors) }
        if shrinkage != nil { out.append(.shrinkage) }
        if dropout != nil { out.append(.dropout) }
        if userWeightExponent != nil { out.append(.userWeightExponent) }
        if confidence != nil { out.append(.confidence) }
        if learnWeights != nil { out.append(.learnWeights) }
        return out
    }
}

/// What the registry knows of a model: its kind, its task, a one-line summary and the
/// hyperparameters it reads with their defaults (as text, in the order to show them).
public struct ModelRegistration: Sendable {
    public let kind: ModelKind
    public let task: ModelTask
    public let summary: String
    public let hyperparameters: KeyValuePairs<Hyperparameter, String>
    /// Whether training reads the interaction table's rows (timestamps, repeated views), not
    /// only the matrices built from them: a model that does not lets a large training run
    /// release the table (and never load its timestamps) before it trains.
    public let readsRows: Bool
    /// The ranges `rectrain tune` searches (``Tuner``): the hyperparameters worth tuning and
    /// their sensible values. Empty: nothing to tune.
    public let search: KeyValuePairs<Hyperparameter, SearchRange>

    public init(_ kind: String, _ task: ModelTask, _ summary: String, hyperparameters: KeyValuePairs<Hyperparameter, String> = [:],
                readsRows: Bool = false, search: KeyValuePairs<Hyperparameter, SearchRange> = [:]) {
        self.kind = ModelKind(kind); self.task = task; self.summary = summary; self.hyperparameters = hyperparameters
        self.readsRows = readsRows; self.search = search
    }
}

/// A model the registry knows (``ModelRegistration``) and how to make it from ``ModelOptions``.
/// A model that can be saved also conforms to ``PersistentModel``.
public protocol RegisteredModel: Sendable {
    /// Its kind (the name in model files and on command lines), task, summary and hyperparameters.
    static var registration: ModelRegistration { get }
    /// An untrained model; nil options keep the defaults. Options were checked by
    /// ``ModelKind/validate(_:)``.
    /// - Throws: ``RecommenderError/invalidParameter(model:name:value:expected:)`` for a value
    ///   this model cannot take.
    static func make(_ options: ModelOptions) throws -> Self
}

extension RegisteredModel {
    static var kind: ModelKind { registration.kind }
}

/// The registry of models: every ranking and rating model, by name.
///
/// Adding a model is one new file under `Models/` (its type conforming to ``RegisteredModel``,
/// and to ``PersistentModel`` to be saved) plus one line in ``registry``.
public struct ModelKind: RawRepresentable, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    public let rawValue: String
    /// A kind of this name, registered or not (see ``isRegistered``).
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// Every model this build provides, in the order they are listed and compared.
    static let registry: [any RegisteredModel.Type] = [
        PopularityRecommender.self,
        ItemKNNRecommender.self,
        RP3BetaRecommender.self,
        UserKNNRecommender.self,
        ContentRecommender.self,
        PureSVDRecommender.self,
        NMFRecommender.self,
        ALSRecommender.self,
        EASERecommender.self,
        EDLAERecommender.self,
        SparseEASERecommender.self,
        SessionRecommender.self,
        HybridRecommender.self,
        ExplicitALSRecommender.self,
        KNNBaselineRecommender.self,
        RatingBlendRecommender.self,
    ]

    public static var allCases: [ModelKind] { registry.map { $0.kind } }
    /// The ranking models, in registry order.
    public static var ranking: [ModelKind] { registry.filter { $0.registration.task == .ranking }.map { $0.kind } }
    /// The rating predictors, in registry order.
    public static var rating: [ModelKind] { registry.filter { $0.registration.task == .rating }.map { $0.kind } }

    /// The models that can explain a recommendation (``ExplainingRecommender``).
    public static var explaining: [ModelKind] { registry.filter { $0 is any ExplainingRecommender.Type }.map { $0.kind } }

    /// The most iterations any model takes: ALS and NMF converge in tens to hundreds, so a
    /// larger count is a mistake that would keep a process busy for hours.
    public static let maximumIterations = 10_000

    /// The registered type of this kind.
    /// - Throws: ``RecommenderError/unknownModel(_:known:)``.
    public func type() throws -> any RegisteredModel.Type {
        guard let type = ModelKind.registry.first(where: { $0.kind == self }) else {
            throw RecommenderError.unknownModel(rawValue, known: ModelKind.allCases.map(\.rawValue))
        }
        return type
    }

    public var task: ModelTask? { try? type().registration.task }
    /// The hyperparameters the model reads (none for an unregistered kind).
    public var hyperparameters: [Hyperparameter] { ((try? type().registration.hyperparameters) ?? [:]).map(\.key) }
    /// The model's default for `parameter`, as text, when it reads it.
    public func defaultValue(of parameter: Hyperparameter) -> String? {
        ((try? type().registration.hyperparameters) ?? [:]).first { $0.key == parameter }?.value
    }
    /// Whether training reads the interaction rows (``ModelRegistration/readsRows``); true for an
    /// unregistered kind.
    public var readsRows: Bool { (try? type().registration.readsRows) ?? true }
    /// The ranges `rectrain tune` searches (``ModelRegistration/search``), empty for an
    /// unregistered kind.
    public var searchSpace: [(parameter: Hyperparameter, range: SearchRange)] {
        ((try? type().registration.search) ?? [:]).map { (parameter: $0.key, range: $0.value) }
    }
    /// Whether the model can be saved to a model file.
    public var isPersistent: Bool { (try? type()) is any PersistentModel.Type }

    /// Refuses a hyperparameter set in `options` that this model does not read (it would be
    /// silently ignored).
    /// - Throws: ``RecommenderError/unusedParameter(model:name:reads:)``.
    public func checkUsed(_ o: ModelOptions) throws {
        let reads = hyperparameters
        for parameter in o.given where !reads.contains(parameter) {
            throw RecommenderError.unusedParameter(model: rawValue, name: parameter.rawValue, reads: reads.map(\.rawValue))
        }
    }

    /// Checks `options` against the bounds every model shares (``ModelOptions/validate(model:)``).
    /// - Throws: ``RecommenderError/invalidParameter(model:name:value:expected:)``.
    public func validate(_ o: ModelOptions) throws { try o.validate(model: rawValue) }
}

extension ModelOptions {
    /// Checks the bounds every model shares: counts positive, iterations at most
    /// ``ModelKind/maximumIterations``, penalties finite and ≥ 0. `model` names the model in the
    /// error, when there is one.
    /// - Throws: ``RecommenderError/invalidParameter(model:name:value:expected:)``.
    public func validate(model: String? = nil) throws {
        let o = self
        func fail(_ name: Hyperparameter, _ value: CustomStringConvertible, _ expected: String) -> RecommenderError {
            .invalidParameter(model: model, name: name.rawValue, value: "\(value)", expected: expected)
        }
        for (name, value) in [(Hyperparameter.factors, o.factors), (.iterations, o.iterations), (.neighbors, o.neighbors)] {
            if let value, value <= 0 { throw fail(name, value, "a positive integer") }
        }
        if let n = o.iterations, n > ModelKind.maximumIterations {
            throw fail(.iterations, n, "at most \(ModelKind.maximumIterations) (ALS and NMF converge in tens to hundreds)")
        }
        for (name, value) in [(Hyperparameter.regularization, o.regularization), (.alpha, o.alpha), (.beta, o.beta), (.shrinkage, o.shrinkage)] {
            if let value, !(value >= 0 && value.isFinite) { throw fail(name, value, "a finite value ≥ 0") }
        }
        if let p = o.dropout, !(p >= 0 && p < 1) { throw fail(.dropout, p, "a probability in [0, 1)") }
        if let v = o.regularizationExponent, !(v >= 0 && v <= 4) { throw fail(.regularizationExponent, v, "a value in [0, 4]") }
        if let v = o.userWeightExponent, !(v >= 0 && v <= 4) { throw fail(.userWeightExponent, v, "a value in [0, 4]") }
        if case let .values(.logarithmic(epsilon))? = o.confidence, !(epsilon >= 1e-6 && epsilon.isFinite) {
            throw fail(.confidence, "log:\(epsilon)", "log:ε with a finite ε ≥ 10⁻⁶ (x/ε must stay within single precision)")
        }
    }
}

extension ModelKind {
    /// An untrained model of this kind with `options` (nil fields keep its defaults).
    /// - Throws: ``RecommenderError`` for an unknown kind or an invalid option.
    public func make(_ options: ModelOptions = ModelOptions()) throws -> any RegisteredModel {
        let type = try type()
        try validate(options)
        return try type.make(options)
    }

    /// An untrained ranking model (or explicit ALS, which also ranks by predicted rating).
    public func makeRecommender(_ options: ModelOptions = ModelOptions()) throws -> any Recommender {
        guard let model = try make(options) as? any Recommender else { throw RecommenderError.wrongTask(model: rawValue, needed: .ranking) }
        return model
    }

    /// An untrained rating predictor.
    public func makePredictor(_ options: ModelOptions = ModelOptions()) throws -> any RatingPredictor {
        guard let model = try make(options) as? any RatingPredictor else { throw RecommenderError.wrongTask(model: rawValue, needed: .rating) }
        return model
    }
}

extension RegisteredModel {
    /// The name the registry knows this model by.
    public var name: String { Self.registration.kind.rawValue }
}
