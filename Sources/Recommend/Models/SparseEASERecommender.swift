import DenseLinalg
import Factorization
import Foundation

/// EASE at large catalogues (`sansa`): EDLAE's regression per item, restricted to the item's
/// most co-occurring items (``SparseEASE``), so the weights are sparse (at most items × 256)
/// and no items × items matrix is ever formed. A user's score for j is Σ over their items i
/// of Bᵢⱼ, as EASE's; each history item's Bᵢⱼ is its share (explanations).
public struct SparseEASERecommender: ExplainingRecommender, RegisteredModel {
    public static let registration = ModelRegistration("sansa", .ranking,
                                                       "EASE at large catalogues: per-item EDLAE regressions on the most co-occurring items, sparse weights",
                                                       hyperparameters: [.regularization: "\(defaults.regularization.formatted())",
                                                                         .dropout: "\(defaults.dropout)", .neighbors: "\(defaults.neighbors)"],
                                                       search: [.regularization: .logUniform(10, 5000), .dropout: .uniform(0, 0.9),
                                                                .neighbors: .integers(64, 512)])
    /// λ 200 and p 0.7 as EDLAE; 256 neighbours (ML-100K: docs/benchmarks.md, "EASE at large catalogues").
    public static let defaults = SparseEASEConfiguration()

    public static func make(_ o: ModelOptions) throws -> Self {
        if let r = o.regularization, r <= 0 {
            throw RecommenderError.invalidParameter(model: "sansa", name: "regularization", value: "\(r)", expected: "a value > 0")
        }
        var c = defaults
        if let v = o.regularization { c.regularization = v }
        if let v = o.dropout { c.dropout = v }
        if let v = o.neighbors { c.neighbors = v }
        return Self(configuration: c)
    }

    public var configuration: SparseEASEConfiguration
    /// Items × items CSR; row i holds the weights from item i.
    public internal(set) var weights: SparseMatrix?
    var history: SparseMatrix?

    public init(configuration: SparseEASEConfiguration = defaults) { self.configuration = configuration }

    public mutating func fit(_ data: TrainingData) throws {
        var c = configuration
        c.threads = data.threads
        weights = try SparseEASE.fit(data.binary, configuration: c)
        history = data.binary
    }

    public var trainedUsers: Int { history?.rows ?? 0 }

    public func scores(user: Int) throws -> [Float] {
        try checkUser(user)
        guard let weights, let history else { throw RecommenderError.notFitted(model: name) }
        return Self.scores(history: history.row(user).columns.map(Int.init), weights: weights)
    }

    /// x·B for a history (inner indices; those outside B ignored, repeats counted once). Rows
    /// are added in index order, so the sums' rounding does not depend on a set's order.
    static func scores(history: [Int], weights b: SparseMatrix) -> [Float] {
        var s = [Float](repeating: 0, count: b.columns)
        for i in Set(history).sorted() where i >= 0 && i < b.rows {
            let row = b.row(i)
            for (j, w) in zip(row.columns, row.values) { s[Int(j)] += w }
        }
        return s
    }

    public func explain(user: Int, item: Int, count: Int = 3) -> [(index: Int, contribution: Float)] {
        explain(trainingRowOf: user, in: history, item: item, count: count)
    }

    /// The history items with the largest positive weights Bᵢⱼ towards `item`.
    public func explain(history: [Int], item: Int, count: Int = 3) -> [(index: Int, contribution: Float)] {
        guard let weights, item >= 0, item < weights.columns else { return [] }
        let shares = Set(history.filter { $0 >= 0 && $0 < weights.rows }).compactMap { i -> (index: Int, contribution: Float)? in
            let row = weights.row(i)
            guard let q = row.columns.firstIndex(of: Int32(item)) else { return nil }
            return (i, row.values[q])
        }
        return strongestShares(shares, count: count)
    }

    public func similarItems(to item: Int, count: Int) throws -> [(index: Int, score: Float)]? {
        guard let weights else { return nil }
        try checkItem(item, weights.rows)
        var row = [Float](repeating: 0, count: weights.columns)
        let r = weights.row(item)
        for (j, w) in zip(r.columns, r.values) { row[Int(j)] = w }
        let scale = r.values.reduce(Float(0)) { max($0, abs($1)) }
        return SimilarityRule.neighbors(row, of: item, count: count, scale: scale)
    }
}

extension SparseEASERecommender: PersistentModel {
    func encode(into w: inout ArchiveWriter) throws {
        guard let weights else { throw RecommenderError.notFitted(model: name) }
        w.table(["regularization": "\(configuration.regularization)", "dropout": "\(configuration.dropout)", "neighbors": "\(configuration.neighbors)"])
        w.sparse(weights)
    }

    static func decode(_ r: inout ArchiveReader, _ p: ModelArchive.Hyperparameters, _ c: ModelArchive.Context) throws -> Self {
        let dropout = try p.float("dropout")
        try c.check(dropout >= 0 && dropout < 1, "dropout \(dropout)")
        var m = Self(configuration: .init(regularization: try p.float("regularization"), dropout: dropout, neighbors: try p.int("neighbors")))
        let weights = try r.sparse()
        try c.check(weights.rows == c.items && weights.columns == c.items && weights.isFinite, "weights \(weights.rows)×\(weights.columns)")
        m.weights = weights
        m.history = c.history
        return m
    }
}
