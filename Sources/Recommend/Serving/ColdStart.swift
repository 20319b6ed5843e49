import DenseLinalg
import Factorization

/// Recommendations for users and titles that training has not seen, each labelled with the
/// strategy that served it. The one cold-start path: `rectrain recommend` (through
/// ``SavedModel``) and library callers use it alike.
///
/// - A user with no known history: global popularity (user counts); with demographics whose
///   segment (age band and gender) training has seen, global and segment popularity min–max
///   normalised and blended half and half.
/// - A user with a history unknown to training: the ALS fold-in of that history (Hu, Koren &
///   Volinsky 2008, eq. 4 with the item factors fixed) where there is an ALS model, content
///   similarity to it where there is a content model, both (70% fold-in, 30% content, min–max
///   normalised) where there are both; otherwise the model's own scoring of that history
///   (``HistoryScorer``: EASE, item-kNN, PureSVD) where it has one, popularity otherwise.
/// - A title with no interactions: content similarity of its metadata.
public struct ColdStart: Sendable {
    public enum Strategy: String, Sendable {
        case popularity = "popularity"
        case segmentPopularity = "segment-popularity"
        case foldIn = "als-fold-in"
        case contentSimilarity = "content-similarity"
        case foldInAndContent = "als-fold-in+content"
        case historyScoring = "history-scoring"
    }

    /// Users per item in training, length items.
    let popularity: [Float]
    /// The same per demographic segment (``segment(_:)``).
    let segmentPopularity: [String: [Float]]
    let als: ImplicitALSModel?
    let content: ContentRecommender?
    /// The model's own scoring of a history, used when there is neither ALS nor content.
    let scorer: HistoryScorer?

    /// - Parameters: `history` the users × items training history; `users` the metadata of
    ///   training users (inner order, may be empty); `als` a trained ALS model and `content` a
    ///   trained content model, when there are.
    public init(history: SparseMatrix, users: [UserMetadata?] = [], als: ImplicitALSModel?, content: ContentRecommender?) {
        self.init(history: history, users: users, als: als, content: content, scorer: nil)
    }

    init(history: SparseMatrix, users: [UserMetadata?], als: ImplicitALSModel?, content: ContentRecommender?, scorer: HistoryScorer?) {
        popularity = history.columnSums
        var segments: [String: [Float]] = [:]
        for u in 0..<min(users.count, history.rows) {
            guard let user = users[u] else { continue }
            let key = ColdStart.segment(user)
            var counts = segments[key] ?? [Float](repeating: 0, count: history.columns)
            for i in history.row(u).columns { counts[Int(i)] += 1 }
            segments[key] = counts
        }
        segmentPopularity = segments
        self.als = als
        self.content = content
        self.scorer = scorer
    }

    /// The cold-start path of a trained model: its ALS factors and content vectors, or those of
    /// its hybrid members; without either, the model's own ``HistoryScorer`` when it has one.
    public init(history: SparseMatrix, users: [UserMetadata?] = [], model: any Recommender) {
        let members = (model as? HybridRecommender)?.members.map(\.model) ?? [model]
        let als = members.lazy.compactMap { ($0 as? ALSRecommender)?.model }.first
        let content = members.lazy.compactMap { $0 as? ContentRecommender }.first
        let scorer = als == nil && content == nil ? (try? HistoryScorer(model: model)) ?? nil : nil
        self.init(history: history, users: users, als: als, content: content, scorer: scorer)
    }

    /// "age 25–34 / F": ten-year age bands from 15, and gender.
    public static func segment(_ user: UserMetadata) -> String {
        let band = user.age.map { a -> String in
            let lo = max(15, (a + 5) / 10 * 10 - 5)
            return "\(lo)–\(lo + 9)"
        } ?? "unknown age"
        return "age \(band) / \(user.gender ?? "unknown")"
    }

    /// Recommendations for a user outside training: `history` the inner indices of titles they
    /// interacted with (possibly none; indices outside the catalogue are ignored), `profile`
    /// their demographics when known. The titles in `history` and in `excluding` are never
    /// recommended.
    public func recommend(history: [Int], profile: UserMetadata? = nil, count: Int,
                          excluding: Set<Int> = []) throws -> (items: [(index: Int, score: Float)], strategy: Strategy) {
        let n = popularity.count
        let known = history.filter { $0 >= 0 && $0 < n }
        var scores = popularity
        var strategy = Strategy.popularity
        if known.isEmpty {
            if let segment = profile.flatMap({ segmentPopularity[ColdStart.segment($0)] }) {
                strategy = .segmentPopularity
                scores = zip(ScoreNormalization.minMax(popularity), ScoreNormalization.minMax(segment)).map { 0.5 * $0 + 0.5 * $1 }
            }
        } else {
            let foldIn = try als.map { als in
                try als.itemFactors.multiply(als.foldIn(items: known, strengths: [Float](repeating: 1, count: known.count)))
            }
            let similar = try content?.scores(history: known)
            switch (foldIn, similar) {
            case let (foldIn?, similar?):
                strategy = .foldInAndContent
                scores = zip(ScoreNormalization.minMax(foldIn), ScoreNormalization.minMax(similar)).map { 0.7 * $0 + 0.3 * $1 }
            case let (foldIn?, nil): strategy = .foldIn; scores = foldIn
            case let (nil, similar?): strategy = .contentSimilarity; scores = similar
            case (nil, nil):
                if let scorer, scorer.items == n {
                    strategy = .historyScoring
                    scores = try scorer.scores(history: known)
                }
            }
        }
        let seen = excluding.union(known)
        return (TopN.best(scores, count: count) { !seen.contains($0) }, strategy)
    }

    /// Titles similar to a new title known only by its metadata.
    /// - Throws: ``RecommenderError/missingMetadata(model:)`` without a content model.
    public func similar(toNew metadata: ItemMetadata, count: Int) throws -> (items: [(index: Int, score: Float)], strategy: Strategy) {
        guard let content else { throw RecommenderError.missingMetadata(model: "cold start") }
        return (try content.similarItems(to: metadata, count: count), .contentSimilarity)
    }
}
