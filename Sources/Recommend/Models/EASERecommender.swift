import DenseLinalg
import Factorization
import Foundation

/// EASE (Steck 2019): scores xᵤ·B with the closed-form item weights. A score is a sum over
/// the history, Σᵢ Bᵢⱼ, so each history item's weight Bᵢⱼ is its share (explanations).
public struct EASERecommender: ExplainingRecommender, RegisteredModel {
    public static let registration = ModelRegistration("ease", .ranking, "EASE: closed-form item-item weights (Steck, WWW 2019)",
                                                  hyperparameters: [.regularization: "500", .userWeightExponent: "0"],
                                                  search: [.regularization: .logUniform(10, 5000), .userWeightExponent: .uniform(0, 1)])
    public static func make(_ o: ModelOptions) throws -> Self { 
        if let r = o.regularization, r <= 0 { throw RecommenderError.invalidParameter(model: "ease", name: "regularization", value: "\(r)", expected: "a value > 0 (EASE's closed form needs λ > 0)") }
        var m = Self(regularization: o.regularization ?? 500)
        m.userWeightExponent = o.userWeightExponent ?? 0
        return m
     }

    public var regularization: Float = 500
    /// EDLAE's dropout p (``EDLAERecommender``); 0 for EASE.
    var dropout: Float = 0
    /// The user weighting exponent (``EASEConfiguration/userWeightExponent``); 0 is Steck's EASE.
    public var userWeightExponent: Float = 0
    public internal(set) var weights: Matrix<Float>?
    var history: SparseMatrix?

    public init(regularization: Float = 500) { self.regularization = regularization }

    public mutating func fit(_ data: TrainingData) throws {
        weights = try EASE.fit(data.binary, configuration: .init(regularization: regularization, threads: data.threads, dropout: dropout,
                                                                       userWeightExponent: userWeightExponent))
        history = data.binary
    }

    public var trainedUsers: Int { history?.rows ?? 0 }

    public func scores(user: Int) throws -> [Float] {
        try checkUser(user)
        guard let weights, let history else { throw RecommenderError.notFitted(model: name) }
        return try history.rowSlice(user..<(user + 1)).multiply(weights).elements
    }

    public func recommend(users: [Int], count: Int, excluding seen: SparseMatrix?, threads: Int) throws -> NeighborList {
        for u in users { try checkUser(u) }
        guard let weights, let history else { throw RecommenderError.notFitted(model: name) }
        // All users' scores at once: X·B (sparse × dense), then the shared selection.
        let scores = try history.selectingRows(users).multiply(weights, threads: threads)
        return try TopN.select(scores: scores, excluding: seen?.selectingRows(users), count: count)
    }

    /// The history items with the largest positive weights Bᵢⱼ towards `item`.
    public func explain(user: Int, item: Int, count: Int = 3) -> [(index: Int, contribution: Float)] {
        explain(trainingRowOf: user, in: history, item: item, count: count)
    }

    public func explain(history: [Int], item: Int, count: Int = 3) -> [(index: Int, contribution: Float)] {
        guard let weights, item >= 0, item < weights.columns else { return [] }
        let items = Set(history.filter { $0 >= 0 && $0 < weights.rows && $0 != item })
        return strongestShares(items.map { (index: $0, contribution: weights[$0, item]) }, count: count)
    }

    public func similarItems(to item: Int, count: Int) throws -> [(index: Int, score: Float)]? {
        guard let weights else { return nil }
        try checkItem(item, weights.rows)
        let row = weights.row(item)
        // EASE weights have no fixed scale: rounding is judged against the row's largest weight.
        let scale = row.indices.reduce(Float(0)) { $1 == item ? $0 : max($0, abs(row[$1])) }
        return SimilarityRule.neighbors(row, of: item, count: count, scale: scale)
    }
}

extension EASERecommender: PersistentModel {
    func encode(into w: inout ArchiveWriter) throws {
        guard let weights else { throw RecommenderError.notFitted(model: name) }
        var table = ["regularization": "\(regularization)"]
        if userWeightExponent != 0 { table["user_weight_exponent"] = "\(userWeightExponent)" }
        w.table(table)
        w.matrix(weights)
    }

    static func decode(_ r: inout ArchiveReader, _ p: ModelArchive.Hyperparameters, _ c: ModelArchive.Context) throws -> Self {
        var m = Self(regularization: try p.float("regularization"))
        if p.table["user_weight_exponent"] != nil { m.userWeightExponent = try p.float("user_weight_exponent") }
        let weights = try r.matrix()
        try c.check(weights.rows == c.items && weights.columns == c.items, "weights \(weights.rows)×\(weights.columns)")
        m.weights = weights
        m.history = c.history
        return m
    }
}
