import DenseLinalg
import Factorization

/// NMF (HALS; Cichocki & Phan 2009) of the binary matrix for ranking: user factors W
/// (users × k), item factors Hᵀ (items × k), both non-negative.
public struct NMFRecommender: FactorRecommender, RegisteredModel {
    public static let registration = ModelRegistration("nmf", .ranking, "non-negative matrix factorization by HALS (Cichocki & Phan, 2009)",
                                                  hyperparameters: [.factors: "50", .iterations: "100"], search: [.factors: .integers(4, 128)])
    public static func make(_ o: ModelOptions) throws -> Self { Self(factors: o.factors ?? 50, iterations: o.iterations ?? 100) }

    public var factors = 50
    public var iterations = 100
    var userFactors: Matrix<Float>?
    var itemFactors: Matrix<Float>?

    public init(factors: Int = 50, iterations: Int = 100) { self.factors = factors; self.iterations = iterations }

    public mutating func fit(_ data: TrainingData) throws {
        let k = min(factors, min(data.users, data.itemCount))
        let model = try NMF.fit(data.binary, configuration: {
            var c = NMFConfiguration(rank: k, maxIterations: iterations, seed: data.seed, threads: data.threads)
            c.simd = data.compute.simd
            c.halfPrecisionProducts = data.compute.halfPrecision
            return c
        }())
        userFactors = model.w
        itemFactors = model.h.transposed
    }
}

extension NMFRecommender: PersistentModel {
    func encode(into w: inout ArchiveWriter) throws {
        guard let u = userFactors, let v = itemFactors else { throw RecommenderError.notFitted(model: name) }
        w.table(["factors": "\(factors)", "iterations": "\(iterations)"])
        w.matrix(u); w.matrix(v)
    }

    static func decode(_ r: inout ArchiveReader, _ p: ModelArchive.Hyperparameters, _ c: ModelArchive.Context) throws -> Self {
        var m = Self(factors: try p.int("factors"), iterations: try p.int("iterations"))
        (m.userFactors, m.itemFactors) = try decodeFactors(&r, c)
        return m
    }
}
