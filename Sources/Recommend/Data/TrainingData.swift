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
    /// The summed value of each pair: a count column, or the number of rows a repeated pair has
    /// (plays, views, purchases). Implicit ALS's confidence from values reads it. Shares
    /// ``ratings``' storage when no pair repeats.
    public var strengths: SparseMatrix
    public var items: [ItemMetadata?]
    /// Browsing sessions (inner item indices, oldest first) when the data has them; the
    /// session model cuts sessions out of the views otherwise.
    public var sessions: [[Int32]]? = nil
    /// How training may use the machine (threads, vector kernels, half precision): every model
    /// passes it on to its kernels.
    public var compute: ComputeSettings
    /// Seed of every random choice in training (initial factors, sketches, validation splits).
    public var seed: UInt64

    /// - Parameters: `compute` the caller's settings (one thread unless given).
    public init(_ interactions: Interactions, items: [ItemMetadata?] = [], compute: ComputeSettings = .singleThreaded, seed: UInt64 = 42) throws {
        self.interactions = interactions
        binary = try interactions.matrix(.binary, threads: compute.threads)
        // Views (every value 1) have the binary matrix as their latest values: shared, not rebuilt.
        ratings = interactions.values.allSatisfy({ $0 == 1 }) ? binary : try interactions.matrix(.lastValue, threads: compute.threads)
        strengths = binary.nnz == interactions.count ? ratings : try interactions.matrix(.value, threads: compute.threads)
        self.items = items
        self.compute = compute
        self.seed = seed
    }

    /// ``init(_:items:compute:seed:)`` on `threads` threads with the other settings' defaults.
    public init(_ interactions: Interactions, items: [ItemMetadata?] = [], threads: Int, seed: UInt64 = 42) throws {
        try self.init(interactions, items: items, compute: ComputeSettings(threads: threads), seed: seed)
    }

    /// Releases the interaction table's rows (keeping its id maps): for a model that trains on
    /// the matrices alone (``ModelKind/readsRows`` false), whose largest input at scale is the
    /// table itself (20 bytes a row against the binary matrix's 8).
    public mutating func releaseRows() {
        interactions = Interactions(userIDs: interactions.userIDs, itemIDs: interactions.itemIDs)
    }

    /// Threads for training (``compute``).
    public var threads: Int { compute.threads }

    public var users: Int { binary.rows }
    public var itemCount: Int { binary.columns }
}
