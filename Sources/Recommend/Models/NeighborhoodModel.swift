import DenseLinalg
import Factorization

/// The k-NN models (item-kNN, user-kNN), saved alike: their two hyperparameters, then the
/// neighbour list of every row (``neighborRows`` of the training history: items or users).
protocol NeighborhoodModel: PersistentModel {
    var neighbors: Int { get }
    var shrinkage: Float { get }
    var similar: NeighborList { get set }
    var history: SparseMatrix? { get set }
    init(neighbors: Int, shrinkage: Float)
    /// How many rows the neighbour list has, from the history's shape.
    static func neighborRows(_ c: ModelArchive.Context) -> Int
}

extension NeighborhoodModel {
    /// 20 neighbours and no shrinkage unless given.
    public static func make(_ o: ModelOptions) throws -> Self { Self(neighbors: o.neighbors ?? 20, shrinkage: o.shrinkage ?? 0) }

    /// Throws unless `neighbors` is positive (a model built directly, not through the registry).
    func checkNeighbors() throws {
        guard neighbors > 0 else {
            throw RecommenderError.invalidParameter(model: name, name: "neighbors", value: "\(neighbors)", expected: "a positive integer")
        }
    }

    func encode(into w: inout ArchiveWriter) throws {
        w.table(["neighbors": "\(neighbors)", "shrinkage": "\(shrinkage)"])
        w.neighbors(similar)
    }

    static func decode(_ r: inout ArchiveReader, _ p: ModelArchive.Hyperparameters, _ c: ModelArchive.Context) throws -> Self {
        var m = Self(neighbors: try p.int("neighbors"), shrinkage: try p.float("shrinkage"))
        m.similar = try r.neighbors()
        let rows = neighborRows(c)
        try c.check(m.similar.count == rows && m.similar.indices.allSatisfy { $0 < rows }, "neighbour list")
        m.history = c.history
        return m
    }
}
