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

/// One protocol for every model: train, score, recommend, find similar items.
///
/// Top-N selection, exclusion of seen items and id handling are written once, in the
/// extension; a model supplies scores (and may batch them, as factor models do with GEMM).
public protocol Recommender: Sendable {
    /// The model's name as the command line knows it (`als`, `ease`, …).
    var name: String { get }
    /// Users known from training (inner indices 0..<trainedUsers); 0 before `fit`.
    var trainedUsers: Int { get }
    /// Trains on `data`.
    mutating func fit(_ data: TrainingData) throws
    /// Scores of every item for a known user (inner index); higher is better.
    func scores(user: Int) throws -> [Float]
    /// The items most similar to `item`, best first; nil where the model has no item similarity.
    func similarItems(to item: Int, count: Int) throws -> [(index: Int, score: Float)]?
    /// Top-`count` items for each of `users`, excluding each user's items in `seen` when given.
    func recommend(users: [Int], count: Int, excluding seen: SparseMatrix?) throws -> NeighborList
}

extension Recommender {
    public func similarItems(to item: Int, count: Int) throws -> [(index: Int, score: Float)]? { nil }

    /// Throws unless `user` is a trained user's inner index.
    public func checkUser(_ user: Int) throws {
        guard trainedUsers > 0 else { throw RecommenderError("\(name): fit before recommending") }
        guard user >= 0 && user < trainedUsers else {
            throw RecommenderError("\(name): unknown user index \(user) (trained on \(trainedUsers) users)")
        }
    }

    /// Throws unless `item` is an inner index below `count`.
    public func checkItem(_ item: Int, _ count: Int) throws {
        guard item >= 0 && item < count else { throw RecommenderError("\(name): unknown item index \(item) (trained on \(count) items)") }
    }

    /// Scores, exclusion and bounded selection, user by user; blocks of users run on the
    /// available cores (each user's list depends on that user alone, so the result does not
    /// depend on the thread count).
    public func recommend(users: [Int], count: Int, excluding seen: SparseMatrix?) throws -> NeighborList {
        for u in users { try checkUser(u) }
        let blocks = Parallel.mapBlocks(count: users.count, threads: Parallel.availableCores, minimumBlock: 32) { range in
            Result { () throws -> (indices: [Int32], scores: [Float]) in
                var indices = [Int32](repeating: -1, count: range.count * count)
                var scores = [Float](repeating: 0, count: range.count * count)
                var selector = TopKSelector(capacity: count)
                for (r, u) in users[range].enumerated() {
                    var s = try self.scores(user: u)
                    if let seen, u < seen.rows { for i in seen.row(u).columns where Int(i) < s.count { s[Int(i)] = -.infinity } }
                    selector.reset()
                    for (i, v) in s.enumerated() where v > selector.threshold && v > -.infinity { selector.insert(v, Int32(i)) }
                    for (rank, entry) in selector.sorted().enumerated() {
                        indices[r * count + rank] = Int32(entry.index)
                        scores[r * count + rank] = entry.score
                    }
                }
                return (indices, scores)
            }
        }
        var indices: [Int32] = [], scores: [Float] = []
        indices.reserveCapacity(users.count * count); scores.reserveCapacity(users.count * count)
        for block in blocks {
            let (i, s) = try block.get()
            indices += i; scores += s
        }
        return NeighborList(k: count, indices: indices, scores: scores)
    }

    /// Top-`count` for one user.
    public func recommend(user: Int, count: Int, excluding seen: SparseMatrix?) throws -> [(index: Int, score: Float)] {
        try recommend(users: [user], count: count, excluding: seen).neighbors(of: 0)
    }
}

/// A model that can say why it recommended an item: the titles in the user's history that
/// contributed most ("because you watched …").
public protocol ExplainingRecommender: Recommender {
    func explain(user: Int, item: Int, count: Int) -> [(index: Int, contribution: Float)]
}

/// Errors of the recommenders.
public struct RecommenderError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The `count` best entries of `scores` (score descending, ties to the smaller index) among
/// those `keep` accepts, by bounded selection.
func best(_ scores: [Float], count: Int, where keep: (Int) -> Bool = { _ in true }) -> [(index: Int, score: Float)] {
    var selector = TopKSelector(capacity: count)
    for (i, v) in scores.enumerated() where v > selector.threshold && keep(i) { selector.insert(v, Int32(i)) }
    return selector.sorted()
}
