import DenseLinalg
import Factorization

/// PureSVD (Cremonesi, Koren & Turrin, RecSys 2010): the rank-k truncated SVD of the binary
/// matrix; a user's scores are xᵤ·V·Vᵀ, i.e. user factors U·Σ (users × k) and item factors V
/// (items × k).
public struct PureSVDRecommender: FactorRecommender, RegisteredModel {
    public static let registration = ModelRegistration("svd", .ranking, "PureSVD: truncated SVD of the interaction matrix (Cremonesi et al., RecSys 2010)",
                                                  hyperparameters: [.factors: "50"], search: [.factors: .integers(4, 256)])
    public static func make(_ o: ModelOptions) throws -> Self { Self(factors: o.factors ?? 50) }

    public var factors = 50
    var userFactors: Matrix<Float>?
    var itemFactors: Matrix<Float>?

    public init(factors: Int = 50) { self.factors = factors }

    public mutating func fit(_ data: TrainingData) throws {
        let k = min(factors, min(data.users, data.itemCount))
        let svd = try TruncatedSVD.randomized(data.binary, configuration: {
            var c = TruncatedSVDConfiguration(rank: k, seed: data.seed, threads: data.threads)
            c.simd = data.compute.simd
            c.halfPrecisionIterates = data.compute.halfPrecision
            return c
        }())
        var u = svd.u
        for i in 0..<u.rows { for j in 0..<k { u[i, j] *= svd.singularValues[j] } }
        userFactors = u
        itemFactors = svd.vt.transposed
    }
}

extension PureSVDRecommender: PersistentModel {
    func encode(into w: inout ArchiveWriter) throws {
        guard let u = userFactors, let v = itemFactors else { throw RecommenderError.notFitted(model: name) }
        w.table(["factors": "\(factors)"])
        w.matrix(u); w.matrix(v)
    }

    static func decode(_ r: inout ArchiveReader, _ p: ModelArchive.Hyperparameters, _ c: ModelArchive.Context) throws -> Self {
        var m = Self(factors: try p.int("factors"))
        (m.userFactors, m.itemFactors) = try decodeFactors(&r, c)
        return m
    }
}
