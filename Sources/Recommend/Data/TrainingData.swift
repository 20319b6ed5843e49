import DenseLinalg
import Factorization

/// What a recommender trains on: the interaction table with its users × items matrices, and
/// the item metadata when the data has it.
public struct TrainingData: Sendable {
    public var interactions: Interactions
    /// 1 for every interacted (user, item) pair.
    public var binary: SparseMatrix
    /// The latest value of each pair (ratings for rating data).
    public var ratings: SparseMatrix
    public var items: [ItemMetadata?]
    /// Browsing sessions (inner item indices, oldest first) when the data has them; the
    /// session model cuts sessions out of the views otherwise.
    public var sessions: [[Int32]]? = nil
    public var threads: Int
    public var seed: UInt64

    public init(_ interactions: Interactions, items: [ItemMetadata?] = [], threads: Int = Parallel.availableCores, seed: UInt64 = 42) throws {
        self.interactions = interactions
        binary = try interactions.matrix(.binary)
        ratings = try interactions.matrix(.lastValue)
        self.items = items
        self.threads = threads
        self.seed = seed
    }

    public var users: Int { binary.rows }
    public var itemCount: Int { binary.columns }
}
