import DenseLinalg
import Factorization

/// A model's scores for any history of titles, not only the training rows: for a user whose
/// history has grown since training (feedback a server received) or for a visitor.
///
/// Each model scores a history the way it scores a training user, so a training user's full
/// history gives (up to the fold-in's convergence) the answer the model gives for them:
/// - als: the fold-in of the history against the fixed item factors (Hu, Koren & Volinsky 2008,
///   eq. 4), then the item factors times that user factor;
/// - svd: the projection Vᵀx of the history onto the item factors (PureSVD's scores are
///   x·V·Vᵀ; Cremonesi et al. 2010), then V times it;
/// - ease: x·B, the history's rows of the item–item weights summed (Steck 2019);
/// - itemknn: the neighbour similarities of the history's titles summed;
/// - content: the cosine to the history's TF-IDF profile (``ContentRecommender/scores(history:)``);
/// - popularity: the counts, whatever the history;
/// - hybrid: its members' history scores, min–max normalised over the unseen titles and weighted.
///
/// nmf, userknn and the session model have no such scoring: a server keeps their answers for
/// training users and excludes the new titles only. Factor models compute their user factor
/// once per history change (``profile(history:)``), not per request.
public struct HistoryScorer: Sendable {
    indirect enum Method: Sendable {
        case foldIn(ImplicitALSModel, gram: Matrix<Float>)
        case projection(itemFactors: Matrix<Float>)
        case itemWeights(Matrix<Float>)
        case sparseItemWeights(SparseMatrix)
        case neighbours(NeighborList)
        case content(ContentRecommender)
        case popularity([Float])
        case weighted([(scorer: HistoryScorer, weight: Float)])
    }

    let method: Method
    /// Titles in the catalogue.
    public let items: Int

    /// What a history's scoring needs computed once: the user factor of factor models (one per
    /// hybrid member), nothing for the others.
    public struct Profile: Sendable {
        var factors: [[Float]?]
    }

    /// The history scoring of `model`; nil for models without one (nmf, userknn, session) or
    /// not fitted.
    /// - Throws: what computing the fold-in's Gram matrix throws (never for a fitted model).
    public init?(model: any Recommender) throws {
        switch model {
        case let als as ALSRecommender:
            guard let m = als.model else { return nil }
            method = .foldIn(m, gram: try m.regularizedGram()); items = m.itemFactors.rows
        case let svd as PureSVDRecommender:
            guard let v = svd.itemFactors else { return nil }
            method = .projection(itemFactors: v); items = v.rows
        case let ease as EASERecommender:
            guard let b = ease.weights else { return nil }
            method = .itemWeights(b); items = b.rows
        case let edlae as EDLAERecommender:
            guard let b = edlae.weights else { return nil }
            method = .itemWeights(b); items = b.rows
        case let sansa as SparseEASERecommender:
            guard let b = sansa.weights else { return nil }
            method = .sparseItemWeights(b); items = b.rows
        case let knn as ItemKNNRecommender:
            guard knn.trainedUsers > 0 else { return nil }
            method = .neighbours(knn.similar); items = knn.similar.count
        case let rp3 as RP3BetaRecommender:
            guard rp3.trainedUsers > 0 else { return nil }
            method = .neighbours(rp3.similar); items = rp3.similar.count
        case let content as ContentRecommender:
            guard let vectors = content.itemVectors else { return nil }
            method = .content(content); items = vectors.rows
        case let popular as PopularityRecommender:
            guard !popular.popularity.isEmpty else { return nil }
            method = .popularity(popular.popularity); items = popular.popularity.count
        case let hybrid as HybridRecommender:
            var members: [(scorer: HistoryScorer, weight: Float)] = []
            for (member, weight) in hybrid.members where weight > 0 {
                guard let scorer = try HistoryScorer(model: member) else { return nil }
                members.append((scorer, weight))
            }
            guard let first = members.first, members.allSatisfy({ $0.scorer.items == first.scorer.items }) else { return nil }
            method = .weighted(members); items = first.scorer.items
        default:
            return nil
        }
    }

    /// What scoring `history` (inner title indices; indices outside the catalogue are ignored)
    /// computes once: the fold-in of factor models.
    public func profile(history: [Int]) throws -> Profile {
        let known = history.filter { $0 >= 0 && $0 < items }
        switch method {
        case let .foldIn(model, gram):
            return Profile(factors: [try model.foldIn(items: known, strengths: [Float](repeating: 1, count: known.count), gram: gram)])
        case let .projection(v):
            var x = [Float](repeating: 0, count: v.columns)
            let k = v.columns
            v.withUnsafeBufferPointer { factors in
                for i in Self.distinctInOrder(known) { for j in 0..<k { x[j] += factors[i * k + j] } }
            }
            return Profile(factors: [x])
        case let .weighted(members):
            return Profile(factors: try members.map { try $0.scorer.profile(history: known).factors.first ?? nil })
        case .itemWeights, .sparseItemWeights, .neighbours, .content, .popularity:
            return Profile(factors: [nil])
        }
    }

    /// Scores of every title (length ``items``) for `history`, with `profile` from
    /// ``profile(history:)`` of the same history (computed here when nil). Higher is better;
    /// the caller excludes the history itself.
    public func scores(history: [Int], profile: Profile? = nil) throws -> [Float] {
        let known = history.filter { $0 >= 0 && $0 < items }
        let profile = try profile ?? self.profile(history: known)
        switch method {
        case let .foldIn(model, _):
            return try model.itemFactors.multiply(profile.factors[0] ?? [])
        case let .projection(v):
            return try v.multiply(profile.factors[0] ?? [])
        case let .itemWeights(b):
            // x·B: the history's rows of B summed, straight from B's storage.
            var s = [Float](repeating: 0, count: items)
            b.withUnsafeBufferPointer { weights in
                s.withUnsafeMutableBufferPointer { out in
                    for i in Self.distinctInOrder(known) {
                        let row = weights.baseAddress! + i * items
                        for j in 0..<items { out[j] += row[j] }
                    }
                }
            }
            return s
        case let .sparseItemWeights(b):
            return SparseEASERecommender.scores(history: known, weights: b)
        case let .neighbours(similar):
            var s = [Float](repeating: 0, count: items)
            for i in Self.distinctInOrder(known) { for (j, sim) in similar.neighbors(of: i) { s[j] += sim } }
            return s
        case let .content(content):
            return try content.scores(history: Self.distinctInOrder(known))
        case let .popularity(counts):
            return counts
        case let .weighted(members):
            var seen = [Bool](repeating: false, count: items)
            for i in known { seen[i] = true }
            var total = [Float](repeating: 0, count: items)
            for (m, member) in members.enumerated() {
                let s = ScoreNormalization.minMax(try member.scorer.scores(history: known, profile: Profile(factors: [profile.factors[m]])), excluding: seen)
                for j in 0..<items { total[j] += member.weight * s[j] }
            }
            return total
        }
    }

    /// The distinct indices of a history in increasing order: rows summed in this order round
    /// the same way for the same history, whatever order it came in.
    static func distinctInOrder(_ history: [Int]) -> [Int] { Array(Set(history)).sorted() }
}
