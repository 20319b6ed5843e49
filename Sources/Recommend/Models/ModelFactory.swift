import DenseLinalg
import Factorization

/// Hyperparameters as the command line gives them; nil means the model's default.
public struct ModelOptions: Sendable {
    public var factors: Int?
    public var iterations: Int?
    public var regularization: Float?
    public var alpha: Float?
    public var neighbors: Int?
    public var shrinkage: Float?
    /// hybrid: learn the weights on a validation split.
    public var learnWeights = false
    public init() {}
}

/// Builds models by name.
public enum ModelFactory {
    /// The ranking models this build provides.
    public static let rankingModels = ["popular", "itemknn", "userknn", "content", "svd", "nmf", "als", "ease", "session", "hybrid"]

    /// The hyperparameters (by their ``ModelOptions`` names) each model reads; an option given
    /// for a model that does not read it would be silently ignored, so callers refuse it.
    public static func hyperparameters(of model: String) -> [String] {
        let knn = ["neighbors", "shrinkage"], als = ["factors", "iterations", "regularization", "alpha"]
        switch model {
        case "itemknn", "userknn", "knn-baseline": return knn
        case "svd": return ["factors"]
        case "nmf": return ["factors", "iterations"]
        case "als": return als
        case "ease": return ["regularization"]
        case "session": return ["neighbors"]
        case "hybrid": return als + knn + ["learnWeights"]
        case "als-explicit": return ["factors", "iterations", "regularization"]
        case "blend": return ["factors", "iterations", "regularization"] + knn
        default: return []
        }
    }

    /// The most iterations any model takes: ALS and NMF converge in tens to hundreds, so a
    /// larger count is a mistake that would keep a process busy for hours.
    public static let maximumIterations = 10_000

    public static func make(_ name: String, _ o: ModelOptions = ModelOptions()) throws -> any Recommender {
        func positive(_ value: Int?, _ option: String) throws {
            if let value, value <= 0 { throw RecommenderError("invalid --\(option) \(value): expected a positive integer") }
        }
        func nonNegative(_ value: Float?, _ option: String) throws {
            if let value, !(value >= 0 && value.isFinite) { throw RecommenderError("invalid --\(option) \(value): expected a finite value ≥ 0") }
        }
        try positive(o.factors, "factors"); try positive(o.iterations, "iterations"); try positive(o.neighbors, "neighbors")
        if let n = o.iterations, n > maximumIterations {
            throw RecommenderError("invalid --iterations \(n): at most \(maximumIterations) (ALS and NMF converge in tens to hundreds)")
        }
        try nonNegative(o.regularization, "regularization"); try nonNegative(o.alpha, "alpha"); try nonNegative(o.shrinkage, "shrinkage")
        switch name {
        case "popular":
            return PopularityRecommender()
        case "userknn":
            return UserKNNRecommender(neighbors: o.neighbors ?? 20, shrinkage: o.shrinkage ?? 0)
        case "content":
            return ContentRecommender()
        case "hybrid":
            // The original system's weights: collaborative 0.4, content 0.3, factorisation 0.3
            // (content drops out, the others keeping 4:3, where there is no item metadata).
            return HybridRecommender(members: [(try make("itemknn", o), 0.4), (try make("content", o), 0.3), (try make("als", o), 0.3)],
                                     learnWeights: o.learnWeights)
        case "itemknn":
            return ItemKNNRecommender(neighbors: o.neighbors ?? 20, shrinkage: o.shrinkage ?? 0)
        case "svd":
            return PureSVDRecommender(factors: o.factors ?? 50)
        case "nmf":
            return NMFRecommender(factors: o.factors ?? 50, iterations: o.iterations ?? 100)
        case "als":
            var c = ALSRecommender.defaults
            if let v = o.factors { c.factors = v }
            if let v = o.iterations { c.iterations = v }
            if let v = o.regularization { c.regularization = v }
            if let v = o.alpha { c.alpha = v }
            return ALSRecommender(configuration: c)
        case "session":
            var model = SessionRecommender()
            if let v = o.neighbors { model.neighbors = v }
            return model
        case "ease":
            if let r = o.regularization, r <= 0 { throw RecommenderError("invalid --regularization \(r): EASE needs a value > 0") }
            return EASERecommender(regularization: o.regularization ?? 500)
        default:
            throw RecommenderError("unknown model \"\(name)\": expected one of \(rankingModels.joined(separator: ", "))")
        }
    }
}
