import DenseLinalg
import Factorization
import Foundation

/// A weighted ensemble: each member's scores are min–max normalised per user over the items
/// not yet seen, then combined with the weights.
public struct HybridRecommender: ExplainingRecommender, RegisteredModel {
    public static let registration = ModelRegistration("hybrid", .ranking, "item-kNN 0.4, content 0.3 and ALS 0.3 on min-max normalised scores",
                                                  hyperparameters: [.factors: "50", .iterations: "15", .regularization: "0.1", .alpha: "2", .neighbors: "20", .shrinkage: "0", .learnWeights: "off"],
                                                  readsRows: true)
    public static func make(_ o: ModelOptions) throws -> Self { 
        // The original system's weights: collaborative 0.4, content 0.3, factorisation 0.3
        // (content drops out, the others keeping 4:3, where there is no item metadata).
        Self(members: [(try ItemKNNRecommender.make(o), 0.4), (try ContentRecommender.make(o), 0.3), (try ALSRecommender.make(o), 0.3)],
             learnWeights: o.learnWeights)
     }

    public var members: [(model: any Recommender, weight: Float)]
    /// Learn the weights on a validation split cut from the training data (a grid over the
    /// simplex in steps of 0.1, maximising nDCG@10) instead of using the given ones.
    public var learnWeights = false
    var history: SparseMatrix?

    public init(members: [(model: any Recommender, weight: Float)], learnWeights: Bool = false) {
        self.members = members
        self.learnWeights = learnWeights
    }

    public var trainedUsers: Int { history?.rows ?? 0 }

    public mutating func fit(_ data: TrainingData) throws {
        guard !members.isEmpty, members.allSatisfy({ $0.weight >= 0 && $0.weight.isFinite }),
              members.contains(where: { $0.weight > 0 }) else {
            throw RecommenderError.invalidInput(model: name, reason: "needs members with finite weights ≥ 0, at least one positive")
        }
        // Content members need item metadata; without it they drop out and the weights of the
        // rest keep their proportions.
        if !data.items.contains(where: { $0 != nil }) { members.removeAll { $0.model is ContentRecommender } }
        if learnWeights && members.count > 1 { try learn(data) }
        for m in members.indices { try members[m].model.fit(data) }
        history = data.binary
    }

    public func scores(user: Int) throws -> [Float] {
        try checkUser(user)
        guard let history else { throw RecommenderError.notFitted(model: "hybrid") }
        var seen = [Bool](repeating: false, count: history.columns)
        for i in history.row(user).columns { seen[Int(i)] = true }
        var total = [Float](repeating: 0, count: history.columns)
        for (model, weight) in members where weight > 0 {
            let s = ScoreNormalization.minMax(try model.scores(user: user), excluding: seen)
            for j in 0..<total.count { total[j] += weight * s[j] }
        }
        return total
    }

    /// Similar titles from the first member (in order) that has an item similarity.
    public func similarItems(to item: Int, count: Int) throws -> [(index: Int, score: Float)]? {
        for (model, _) in members { if let similar = try model.similarItems(to: item, count: count) { return similar } }
        return nil
    }

    /// The history items that contributed most, from the item-kNN member when there is one.
    public func explain(user: Int, item: Int, count: Int = 3) -> [(index: Int, contribution: Float)] {
        for (model, _) in members { if let knn = model as? ItemKNNRecommender { return knn.explain(user: user, item: item, count: count) } }
        return []
    }

    public func explain(history: [Int], item: Int, count: Int = 3) -> [(index: Int, contribution: Float)] {
        for (model, _) in members { if let knn = model as? ItemKNNRecommender { return knn.explain(history: history, item: item, count: count) } }
        return []
    }
}

extension HybridRecommender: PersistentModel {
    func encode(into w: inout ArchiveWriter) throws {
        w.table(["learn_weights": "\(learnWeights)"])
        w.int(members.count)
        for (member, weight) in members {
            guard let member = member as? any PersistentModel, !(member is HybridRecommender) else {
                throw RecommenderError.notSaveable(model: name, reason: "its members must be single models that can be saved")
            }
            w.float(weight)
            try ModelArchive.encode(member, into: &w)
        }
    }

    static func decode(_ r: inout ArchiveReader, _ p: ModelArchive.Hyperparameters, _ c: ModelArchive.Context) throws -> Self {
        // A member is never a hybrid itself, so a crafted file cannot nest hybrids and recurse without bound.
        guard !c.member else { throw r.fail("hybrid: corrupted member (a hybrid inside a hybrid)") }
        let learn = try p.string("learn_weights") == "true"
        let count = try r.int()
        guard count > 0 && count < 64 else { throw r.fail("hybrid: corrupted member count \(count)") }
        var members: [(model: any Recommender, weight: Float)] = []
        for _ in 0..<count {
            let weight = try r.float()
            guard weight.isFinite, weight >= 0 else { throw r.fail("hybrid: corrupted member weight \(weight)") }
            guard let member = try ModelArchive.decode(&r, history: c.history, member: true) as? any Recommender else { throw r.fail("hybrid: a member is not a ranking model") }
            members.append((member, weight))
        }
        var m = Self(members: members, learnWeights: learn)
        m.history = c.history
        return m
    }
}
