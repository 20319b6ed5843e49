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
        guard count > 0 else { throw RecommenderError("\(name): count must be positive, got \(count)") }
        for u in users { try checkUser(u) }
        // Each user's list is at most as long as the catalogue, whatever `count` asks for: the
        // lists are kept as they come and laid out once their longest length is known.
        let blocks = Parallel.mapBlocks(count: users.count, threads: Parallel.availableCores, minimumBlock: 32) { range in
            Result { () throws -> [[(index: Int, score: Float)]] in
                var selector = TopKSelector(capacity: count)
                return try users[range].map { u in
                    var s = try self.scores(user: u)
                    if let seen, u < seen.rows { for i in seen.row(u).columns where Int(i) < s.count { s[Int(i)] = -.infinity } }
                    selector.reset()
                    for (i, v) in s.enumerated() where v > selector.threshold && v > -.infinity { selector.insert(v, Int32(i)) }
                    return selector.sorted()
                }
            }
        }
        let lists = try blocks.flatMap { try $0.get() }
        let k = max(1, lists.lazy.map(\.count).max() ?? 1)
        var indices = [Int32](repeating: -1, count: lists.count * k), scores = [Float](repeating: 0, count: lists.count * k)
        for (r, list) in lists.enumerated() {
            for (rank, entry) in list.enumerated() { indices[r * k + rank] = Int32(entry.index); scores[r * k + rank] = entry.score }
        }
        return NeighborList(k: k, indices: indices, scores: scores)
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

/// The one rule for "similar titles", whatever the model: a title is a neighbour of another only
/// with a positive similarity beyond single-precision rounding. Cosine similarities (item-kNN,
/// content TF-IDF, factor rows) have scale 1; EASE weights are measured against the largest
/// weight of the title's row. A title that shares nothing with any other (no co-viewer, no
/// token, an orthogonal factor row) therefore has no neighbours, never a list of zeros.
public enum SimilarityRule {
    /// Similarities at or below this fraction of the scale are rounding, not evidence: a dot
    /// product of k unit-length single-precision rows errs by up to about k·2⁻²⁴ (6·10⁻⁶ at
    /// k = 100).
    public static let threshold: Float = 1e-5

    /// The best `count` neighbours of `item` among `similarities` (one per title, the title's
    /// own entry ignored) that pass the rule, best first.
    /// Below this no similarity counts, whatever its scale (an EASE weight of 10⁻⁶ moves no score).
    public static let absoluteFloor: Float = 1e-6

    public static func neighbors(_ similarities: [Float], of item: Int?, count: Int, scale: Float = 1) -> [(index: Int, score: Float)] {
        let floor = max(threshold * scale, absoluteFloor)
        return best(similarities, count: count) { $0 != item && similarities[$0] > floor }
    }

    /// Whether one similarity passes the rule.
    public static func admits(_ similarity: Float, scale: Float = 1) -> Bool { similarity > max(threshold * scale, absoluteFloor) }
}

/// The `count` best entries of `scores` (score descending, ties to the smaller index) among
/// those `keep` accepts, by bounded selection.
func best(_ scores: [Float], count: Int, where keep: (Int) -> Bool = { _ in true }) -> [(index: Int, score: Float)] {
    var selector = TopKSelector(capacity: count)
    for (i, v) in scores.enumerated() where v > selector.threshold && keep(i) { selector.insert(v, Int32(i)) }
    return selector.sorted()
}
