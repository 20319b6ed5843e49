import DenseLinalg
import Factorization

/// Shared by models that score by user × item factor products: batched top-N through GEMM.
protocol FactorRecommender: Recommender {
    var userFactors: Matrix<Float>? { get }
    var itemFactors: Matrix<Float>? { get }
}

extension FactorRecommender {
    public var trainedUsers: Int { userFactors?.rows ?? 0 }

    public func scores(user: Int) throws -> [Float] {
        try checkUser(user)
        guard let u = userFactors, let v = itemFactors else { throw RecommenderError("\(name): fit before scoring") }
        return try v.multiply(u.row(user))
    }

    public func recommend(users: [Int], count: Int, excluding seen: SparseMatrix?) throws -> NeighborList {
        for user in users { try checkUser(user) }
        guard let u = userFactors, let v = itemFactors else { throw RecommenderError("\(name): fit before scoring") }
        return try TopN.recommend(userFactors: u, itemFactors: v, count: count, excluding: seen, users: users)
    }

    /// Cosine neighbours among the item factors.
    public func similarItems(to item: Int, count: Int) throws -> [(index: Int, score: Float)]? {
        guard let v = itemFactors else { return nil }
        try checkItem(item, v.rows)
        let target = v.row(item)
        let norm = target.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let sims = try v.multiply(target).enumerated().map { j, dot -> Float in
            let nj = v.row(j).reduce(0) { $0 + $1 * $1 }.squareRoot()
            return norm > 0 && nj > 0 ? dot / (norm * nj) : 0
        }
        return SimilarityRule.neighbors(sims, of: item, count: count)
    }
}

/// Implicit ALS (Hu, Koren & Volinsky 2008) for ranking.
public struct ALSRecommender: FactorRecommender {
    public var name: String { "als" }
    public var configuration: ImplicitALSConfiguration
    public internal(set) var model: ImplicitALSModel?
    var userFactors: Matrix<Float>? { model?.userFactors }
    var itemFactors: Matrix<Float>? { model?.itemFactors }

    public init(configuration: ImplicitALSConfiguration = ALSRecommender.defaults) { self.configuration = configuration }

    /// 50 factors (the original system's default), λ = 0.1, α = 2, 15 iterations.
    public static var defaults: ImplicitALSConfiguration {
        ImplicitALSConfiguration(factors: 50, regularization: 0.1, alpha: 2, iterations: 15)
    }

    public mutating func fit(_ data: TrainingData) throws {
        var config = configuration
        config.threads = data.threads
        config.seed = data.seed
        // X·Yᵀ has rank at most min(users, items): more factors add cost, not rank (as for svd, nmf).
        config.factors = min(config.factors, max(1, min(data.users, data.itemCount)))
        model = try ImplicitALS.fit(data.binary, configuration: config)
    }
}

/// PureSVD (Cremonesi, Koren & Turrin, RecSys 2010): the rank-k truncated SVD of the binary
/// matrix; a user's scores are xᵤ·V·Vᵀ, i.e. user factors U·Σ and item factors V.
public struct PureSVDRecommender: FactorRecommender {
    public var name: String { "svd" }
    public var factors = 50
    var userFactors: Matrix<Float>?
    var itemFactors: Matrix<Float>?

    public init(factors: Int = 50) { self.factors = factors }

    public mutating func fit(_ data: TrainingData) throws {
        let k = min(factors, min(data.users, data.itemCount))
        let svd = try TruncatedSVD.randomized(data.binary, configuration: .init(rank: k, seed: data.seed, threads: data.threads))
        var u = svd.u
        for i in 0..<u.rows { for j in 0..<k { u[i, j] *= svd.singularValues[j] } }
        userFactors = u
        itemFactors = svd.vt.transposed
    }
}

/// NMF (HALS) of the binary matrix for ranking: user factors W, item factors Hᵀ.
public struct NMFRecommender: FactorRecommender {
    public var name: String { "nmf" }
    public var factors = 50
    public var iterations = 100
    var userFactors: Matrix<Float>?
    var itemFactors: Matrix<Float>?

    public init(factors: Int = 50, iterations: Int = 100) { self.factors = factors; self.iterations = iterations }

    public mutating func fit(_ data: TrainingData) throws {
        let k = min(factors, min(data.users, data.itemCount))
        let model = try NMF.fit(data.binary, configuration: .init(rank: k, maxIterations: iterations, seed: data.seed, threads: data.threads))
        userFactors = model.w
        itemFactors = model.h.transposed
    }
}
