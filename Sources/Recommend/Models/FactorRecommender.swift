import DenseLinalg
import Factorization

/// Shared by models that score by user × item factor products (svd, nmf, als): batched top-N
/// through GEMM and item similarity as the cosine of item-factor rows.
protocol FactorRecommender: Recommender {
    /// users × k.
    var userFactors: Matrix<Float>? { get }
    /// items × k.
    var itemFactors: Matrix<Float>? { get }
}

extension FactorRecommender {
    public var trainedUsers: Int { userFactors?.rows ?? 0 }

    public func scores(user: Int) throws -> [Float] {
        try checkUser(user)
        guard let u = userFactors, let v = itemFactors else { throw RecommenderError.notFitted(model: name) }
        return try v.multiply(u.row(user))
    }

    public func recommend(users: [Int], count: Int, excluding seen: SparseMatrix?, threads: Int) throws -> NeighborList {
        for user in users { try checkUser(user) }
        guard let u = userFactors, let v = itemFactors else { throw RecommenderError.notFitted(model: name) }
        return try TopN.recommend(userFactors: u, itemFactors: v, count: count, excluding: seen, users: users, threads: threads)
    }

    /// Cosine neighbours among the item factors (``CosineNeighbors/dense(_:k:rows:threads:)``)
    /// that pass the ``SimilarityRule``.
    public func similarItems(to item: Int, count: Int) throws -> [(index: Int, score: Float)]? {
        guard let v = itemFactors else { return nil }
        try checkItem(item, v.rows)
        guard v.rows > 1 else { return [] }
        let list = try CosineNeighbors.dense(v, k: count, rows: [item], threads: 1)
        return list.neighbors(of: 0).filter { SimilarityRule.admits($0.score) }
    }
}

extension FactorRecommender {
    /// The factor pair of a model file, checked against the training history's shape.
    static func decodeFactors(_ r: inout ArchiveReader, _ c: ModelArchive.Context) throws -> (Matrix<Float>, Matrix<Float>) {
        let u = try r.matrix(), v = try r.matrix()
        try c.check(u.rows == c.users && v.rows == c.items && u.columns == v.columns, "factor shape \(u.rows)×\(u.columns), \(v.rows)×\(v.columns)")
        return (u, v)
    }
}
