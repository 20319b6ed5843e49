import DenseLinalg
import Factorization

/// One protocol for every ranking model: train, score, recommend, find similar items.
///
/// Top-N selection, exclusion of seen items and id handling are written once, in the
/// extension; a model supplies scores (and may batch them, as factor models do with GEMM).
public protocol Recommender: Sendable {
    /// The model's name as the registry knows it (`als`, `ease`, …).
    var name: String { get }
    /// Users known from training (inner indices 0..<trainedUsers); 0 before `fit`.
    var trainedUsers: Int { get }
    /// Trains on `data`.
    mutating func fit(_ data: TrainingData) throws
    /// Scores of every item for a known user (inner index); higher is better.
    func scores(user: Int) throws -> [Float]
    /// The items most similar to `item`, best first; nil where the model has no item similarity.
    func similarItems(to item: Int, count: Int) throws -> [(index: Int, score: Float)]?
    /// Top-`count` items for each of `users`, excluding each user's items in `seen` when given,
    /// on `threads` threads (the lists do not depend on it).
    func recommend(users: [Int], count: Int, excluding seen: SparseMatrix?, threads: Int) throws -> NeighborList
}

extension Recommender {
    public func similarItems(to item: Int, count: Int) throws -> [(index: Int, score: Float)]? { nil }

    /// Throws unless `user` is a trained user's inner index.
    public func checkUser(_ user: Int) throws {
        guard trainedUsers > 0 else { throw RecommenderError.notFitted(model: name) }
        guard user >= 0 && user < trainedUsers else { throw RecommenderError.unknownUser(model: name, index: user, users: trainedUsers) }
    }

    /// Throws unless `item` is an inner index below `count`.
    public func checkItem(_ item: Int, _ count: Int) throws {
        guard item >= 0 && item < count else { throw RecommenderError.unknownItem(model: name, index: item, items: count) }
    }

    /// Scores, exclusion and the shared selection (``TopN/best(_:count:where:)``), user by user;
    /// blocks of users run on `threads` threads (each user's list depends on that user alone).
    public func recommend(users: [Int], count: Int, excluding seen: SparseMatrix?, threads: Int) throws -> NeighborList {
        guard count > 0 else { throw RecommenderError.invalidInput(model: name, reason: "count must be positive, got \(count)") }
        for u in users { try checkUser(u) }
        let blocks = Parallel.mapBlocks(count: users.count, threads: threads, minimumBlock: 32) { range in
            Result { () throws -> [[(index: Int, score: Float)]] in
                try users[range].map { u in
                    var s = try self.scores(user: u)
                    if let seen, u < seen.rows { for i in seen.row(u).columns where Int(i) < s.count { s[Int(i)] = -.infinity } }
                    return TopN.best(s, count: count)
                }
            }
        }
        // Each list is at most as long as the catalogue, whatever `count` asks for.
        return NeighborList(lists: try blocks.flatMap { try $0.get() })
    }

    /// Top-`count` for every user in `users`, on one thread.
    public func recommend(users: [Int], count: Int, excluding seen: SparseMatrix?) throws -> NeighborList {
        try recommend(users: users, count: count, excluding: seen, threads: 1)
    }

    /// Top-`count` for one user.
    public func recommend(user: Int, count: Int, excluding seen: SparseMatrix?) throws -> [(index: Int, score: Float)] {
        try recommend(users: [user], count: count, excluding: seen, threads: 1).neighbors(of: 0)
    }
}

/// A model that can say why it recommended an item: the titles in the user's history that
/// contributed most ("because you watched …").
public protocol ExplainingRecommender: Recommender {
    func explain(user: Int, item: Int, count: Int) -> [(index: Int, contribution: Float)]
    /// The same for any history (inner title indices): a user whose history grew since training.
    func explain(history: [Int], item: Int, count: Int) -> [(index: Int, contribution: Float)]
}

extension ExplainingRecommender {
    /// ``explain(history:item:count:)`` of a training user's row of `history` (no user outside it).
    func explain(trainingRowOf user: Int, in history: SparseMatrix?, item: Int, count: Int) -> [(index: Int, contribution: Float)] {
        guard let history, user >= 0, user < history.rows else { return [] }
        return explain(history: history.row(user).columns.map(Int.init), item: item, count: count)
    }
}

/// The shares that explain a score: the `count` largest positive ones, largest first (ties by
/// index), as (history item, share).
func strongestShares(_ shares: [(index: Int, contribution: Float)], count: Int) -> [(index: Int, contribution: Float)] {
    let positive = shares.filter { $0.contribution > 0 }
    let sorted = positive.sorted { a, b in a.contribution > b.contribution || (a.contribution == b.contribution && a.index < b.index) }
    return Array(sorted.prefix(count))
}
