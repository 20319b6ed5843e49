import DenseLinalg
import Factorization
import Foundation

/// A weighted ensemble: each member's scores are min–max normalised per user over the items
/// not yet seen, then combined with the weights.
///
/// The default members are the strongest of the other families: EDLAE (the EASE family), PureSVD
/// of rank 20 and implicit ALS (factor models) and RP3β (a neighbourhood model). Their weights are
/// learned on validation splits cut from the training data (``learnWeights``); the grid holds
/// every member alone, so on the validation splits the blend is never below its best member.
public struct HybridRecommender: ExplainingRecommender, RegisteredModel {
    public static let registration = ModelRegistration("hybrid", .ranking,
                                                       "EDLAE, PureSVD (rank 20), ALS and RP3beta on min-max normalised scores, weights learned on validation splits",
                                                  hyperparameters: [.factors: "50", .iterations: "15", .regularization: "20", .regularizationExponent: "1", .alpha: "2",
                                                                    .beta: "\(RP3BetaRecommender.defaults.beta)", .neighbors: "\(RP3BetaRecommender.defaults.neighbors)",
                                                                    .dropout: "\(EDLAERecommender.defaultDropout)",
                                                                    .userWeightExponent: "\(EDLAERecommender.defaultUserWeightExponent)", .learnWeights: "on"],
                                                  readsRows: true)
    /// The weights with learning off (`--no-learn-weights`): EDLAE 0.7, PureSVD, ALS and RP3β 0.1 each.
    public static let fixedWeights: [Float] = [0.7, 0.1, 0.1, 0.1]
    public static let fixedWeightsText = "edlae 0.7, svd 0.1, als 0.1, rp3beta 0.1"
    /// PureSVD's rank inside the hybrid: a coarse view of taste that the item-item members lack.
    public static let svdRank = 20

    /// Each member reads its own options: ALS `factors`, `iterations`, `regularization`,
    /// `regularizationExponent` and `alpha`; RP3β `neighbors` and `beta`; EDLAE `dropout` and `userWeightExponent`. The rest keep their defaults.
    public static func make(_ o: ModelOptions) throws -> Self {
        var als = ModelOptions(), rp3 = ModelOptions(), edlae = ModelOptions()
        als.factors = o.factors; als.iterations = o.iterations; als.regularization = o.regularization; als.alpha = o.alpha
        als.regularizationExponent = o.regularizationExponent
        rp3.neighbors = o.neighbors; rp3.beta = o.beta
        edlae.dropout = o.dropout; edlae.userWeightExponent = o.userWeightExponent
        let members: [any Recommender] = [try EDLAERecommender.make(edlae), PureSVDRecommender(factors: svdRank),
                                          try ALSRecommender.make(als), try RP3BetaRecommender.make(rp3)]
        return Self(members: Array(zip(members, fixedWeights)), learnWeights: o.learnWeights ?? true)
    }

    public var members: [(model: any Recommender, weight: Float)]
    /// Learn the weights on validation splits cut from the training data (a grid over the
    /// simplex in steps of 0.1, maximising nDCG@10) instead of using the given ones.
    public var learnWeights = false
    /// Whether the last ``fit(_:)`` learned the weights: false when learning was off, and when
    /// the data had no validation user (``minimumValidationHistory``), so the given weights stayed.
    public internal(set) var weightsWereLearned = false
    var history: SparseMatrix?

    public init(members: [(model: any Recommender, weight: Float)], learnWeights: Bool = false) {
        self.members = members
        self.learnWeights = learnWeights
    }

    public var trainedUsers: Int { history?.rows ?? 0 }

    /// "edlae 0.1, svd 0.2, als 0.1, rp3beta 0.6": the members and their weights, in order.
    public var weightsDescription: String {
        members.map { "\($0.model.name) \(($0.weight * 100).rounded() / 100)" }.joined(separator: ", ")
    }

    public mutating func fit(_ data: TrainingData) throws {
        guard !members.isEmpty, members.allSatisfy({ $0.weight >= 0 && $0.weight.isFinite }),
              members.contains(where: { $0.weight > 0 }) else {
            throw RecommenderError.invalidInput(model: name, reason: "needs members with finite weights ≥ 0, at least one positive")
        }
        // Content members need item metadata; without it they drop out and the weights of the
        // rest keep their proportions.
        if !data.items.contains(where: { $0 != nil }) { members.removeAll { $0.model is ContentRecommender } }
        weightsWereLearned = false
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

    /// The history items that contributed most, from the explaining member with the largest
    /// weight (the first of equals).
    public func explain(user: Int, item: Int, count: Int = 3) -> [(index: Int, contribution: Float)] {
        explainer?.explain(user: user, item: item, count: count) ?? []
    }

    public func explain(history: [Int], item: Int, count: Int = 3) -> [(index: Int, contribution: Float)] {
        explainer?.explain(history: history, item: item, count: count) ?? []
    }

    var explainer: (any ExplainingRecommender)? {
        var best: (model: any ExplainingRecommender, weight: Float)?
        for (model, weight) in members where weight > (best?.weight ?? 0) {
            if let explaining = model as? any ExplainingRecommender { best = (explaining, weight) }
        }
        return best?.model
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
