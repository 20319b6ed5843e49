import DenseLinalg
import Factorization

/// Recommendations for users and titles that training has not seen, each labelled with the
/// strategy that served it.
///
/// - A user with no history: global popularity blended half and half with the popularity
///   among users of the same demographic segment (age band and gender).
/// - A user with a history unknown to training: ALS fold-in of that history (70%) blended with
///   content similarity to it (30%), scores min–max normalised.
/// - A title with no interactions: content similarity of its metadata.
public struct ColdStart: Sendable {
    public enum Strategy: String, Sendable {
        case segmentPopularity = "segment-popularity"
        case foldIn = "als-fold-in+content"
        case contentSimilarity = "content-similarity"
    }

    let popularity: [Float]
    let segmentPopularity: [String: [Float]]
    let als: ImplicitALSModel
    let content: ContentRecommender?

    /// - Parameters: `users` the metadata of training users (inner order); `als` a trained
    ///   model; `content` a trained content model, when the data has metadata.
    public init(train: TrainingData, users: [UserMetadata?], als: ImplicitALSModel, content: ContentRecommender?) {
        popularity = train.binary.columnSums
        var segments: [String: [Float]] = [:]
        for u in 0..<min(users.count, train.users) {
            guard let user = users[u] else { continue }
            let key = ColdStart.segment(user)
            var counts = segments[key] ?? [Float](repeating: 0, count: train.itemCount)
            for i in train.binary.row(u).columns { counts[Int(i)] += 1 }
            segments[key] = counts
        }
        segmentPopularity = segments
        self.als = als
        self.content = content
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
    /// interacted with (possibly none), `profile` their demographics when known.
    public func recommend(history: [Int], profile: UserMetadata?, count: Int) throws -> (items: [(index: Int, score: Float)], strategy: Strategy) {
        let n = popularity.count
        let known = history.filter { $0 >= 0 && $0 < n }
        var scores: [Float]
        let strategy: Strategy
        if known.isEmpty {
            strategy = .segmentPopularity
            let global = normalised(popularity)
            let segment = profile.flatMap { segmentPopularity[ColdStart.segment($0)] }.map(normalised) ?? global
            scores = zip(global, segment).map { 0.5 * $0 + 0.5 * $1 }
        } else {
            strategy = .foldIn
            let factors = try als.foldIn(items: known, strengths: [Float](repeating: 1, count: known.count))
            let collaborative = normalised(try als.itemFactors.multiply(factors))
            scores = collaborative
            if let content {
                let similar = normalised(try content.scores(history: known))
                scores = zip(collaborative, similar).map { 0.7 * $0 + 0.3 * $1 }
            }
        }
        let seen = Set(known)
        return (best(scores, count: count) { !seen.contains($0) }, strategy)
    }

    /// Titles similar to a new title known only by its metadata.
    public func similar(toNew metadata: ItemMetadata, count: Int) throws -> (items: [(index: Int, score: Float)], strategy: Strategy) {
        guard let content else { throw RecommenderError("cold start: titles without interactions need item metadata") }
        return (try content.similarItems(to: metadata, count: count), .contentSimilarity)
    }

    func normalised(_ s: [Float]) -> [Float] {
        let lo = s.min() ?? 0, hi = s.max() ?? 0
        return hi > lo ? s.map { ($0 - lo) / (hi - lo) } : s.map { _ in 0 }
    }
}
