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
