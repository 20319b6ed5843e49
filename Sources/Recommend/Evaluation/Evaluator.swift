import DenseLinalg
import Factorization
import Foundation

/// The ranking evaluation of one model on a train/test pair.
public struct RankingReport: Sendable {
    public var model: String
    public var k: Int
    public var users = 0
    /// Distinct test users left out because the training data does not know them (a ranking
    /// model cannot score a user it has never seen); they are not counted in `users`.
    public var skippedUsers = 0
    public var precision = 0.0, recall = 0.0, f1 = 0.0, ndcg = 0.0, map = 0.0, hitRate = 0.0, mrr = 0.0
    public var coverage = 0.0, diversity = 0.0, novelty = 0.0
    public var fitSeconds = 0.0, recommendSeconds = 0.0
    /// nDCG@K and user count per training-history band, for the cold-start analysis.
    public var segments: [(name: String, users: Int, ndcg: Double)] = []
    /// Each evaluated user's list: (raw user id, [(raw item id, score)]).
    public var lists: [(user: String, items: [(item: String, score: Float)])] = []
    /// nDCG@K of each evaluated user, in the order of ``lists`` (for paired comparisons).
    public var userNDCG: [Double] = []

    /// The report as `rectrain evaluate --json` prints it: metrics at K, seconds, and the
    /// per-history nDCG; NaN as null.
    public struct JSONForm: Codable, Equatable, Sendable {
        public struct Segment: Codable, Equatable, Sendable {
            public var history: String
            public var users: Int
            public var ndcg: JSONOutput.Number
        }
        /// `evaluate --baseline`: the baseline's nDCG@K and the paired bootstrap interval of
        /// this model's difference to it.
        public struct Baseline: Codable, Equatable, Sendable {
            public var model: String
            public var ndcg, ndcg_difference, interval_low, interval_high: JSONOutput.Number
            public var level: Double
            public var resamples: Int
            public var significant: Bool

            public init(model: String, ndcg: Double, interval: PairedBootstrap.Interval, level: Double, resamples: Int) {
                self.model = model; self.ndcg = .init(ndcg); ndcg_difference = .init(interval.difference)
                interval_low = .init(interval.low); interval_high = .init(interval.high)
                self.level = level; self.resamples = resamples; significant = interval.isSignificant
            }
        }
        public var model: String
        public var k, users, skipped_users: Int
        public var skipped_reason = "unknown to the training data"
        public var precision, recall, f1, ndcg, map, hit_rate, mrr, coverage, diversity, novelty: JSONOutput.Number
        public var fit_seconds, recommend_seconds: JSONOutput.Number
        public var baseline: Baseline? = nil
        public var segments: [Segment]
    }

    public var jsonForm: JSONForm {
        typealias N = JSONOutput.Number
        return JSONForm(model: model, k: k, users: users, skipped_users: skippedUsers, precision: N(precision), recall: N(recall),
                        f1: N(f1), ndcg: N(ndcg), map: N(map), hit_rate: N(hitRate), mrr: N(mrr), coverage: N(coverage),
                        diversity: N(diversity), novelty: N(novelty), fit_seconds: N(fitSeconds), recommend_seconds: N(recommendSeconds),
                        segments: segments.map { .init(history: $0.name, users: $0.users, ndcg: N($0.ndcg)) })
    }

    /// ``jsonForm`` as one line of JSON.
    public var json: String { JSONOutput.string(jsonForm) }
}

public enum Evaluator {
    /// Training-history bands of the per-segment results.
    public static let historyBands: [(name: String, range: ClosedRange<Int>)] = [
        ("0", 0...0), ("1-5", 1...5), ("6-20", 6...20), ("21-50", 21...50), ("51-150", 51...150), ("151+", 151...Int.max),
    ]

    /// Trains `model` on `train`, recommends `k` items to every user with test items (excluding
    /// their training items) and scores the lists against the test items. Test users or items
    /// unknown to training count as unrecommendable: users are skipped, items stay relevant.
    public static func ranking(_ model: inout some Recommender, train: TrainingData, test: Interactions, k: Int = 10,
                               itemVectors: [[Float]]? = nil) throws -> RankingReport {
        guard k > 0 else { throw RecommenderError.evaluation("K must be positive, got \(k)") }
        var report = RankingReport(model: model.name, k: k)
        // Test users the training data does not know cannot be scored: counted, and when they
        // are all there is, nothing can be evaluated (metrics over no user would read as 0).
        var unknownUsers = Set<Int32>()
        for t in 0..<test.count where Int(test.users[t]) >= train.users { unknownUsers.insert(test.users[t]) }
        report.skippedUsers = unknownUsers.count
        guard test.count > 0 else { throw RecommenderError.evaluation("the test data has no interactions") }
        guard unknownUsers.count < Set(test.users).count else {
            throw RecommenderError.evaluation("none of the \(unknownUsers.count) test users appears in the training data, so no user can be evaluated (check that both files use the same user ids)")
        }
        let fitStart = Date()
        try model.fit(train)
        report.fitSeconds = Date().timeIntervalSince(fitStart)
        var relevant = [Set<Int>](repeating: [], count: train.users)
        for t in 0..<test.count where Int(test.users[t]) < train.users {
            relevant[Int(test.users[t])].insert(Int(test.items[t]))
        }
        let users = (0..<train.users).filter { !relevant[$0].isEmpty }
        let recommendStart = Date()
        // No list is longer than the catalogue; the metrics still divide by the K asked for.
        let lists = try model.recommend(users: users, count: min(k, max(1, train.itemCount)), excluding: train.binary, threads: train.threads)
        report.recommendSeconds = Date().timeIntervalSince(recommendStart)
        var itemLists: [[Int]] = []
        let historyLengths = train.binary.rowCounts
        var bandTotals = [Double](repeating: 0, count: Evaluator.historyBands.count), bandUsers = [Int](repeating: 0, count: Evaluator.historyBands.count)
        for (r, u) in users.enumerated() {
            let list = lists.neighbors(of: r)
            let items = list.map(\.index)
            itemLists.append(items)
            let p = RankingMetrics.precision(items, relevant[u], k: k), rc = RankingMetrics.recall(items, relevant[u], k: k)
            report.precision += p; report.recall += rc; report.f1 += RankingMetrics.f1(precision: p, recall: rc)
            let ndcg = RankingMetrics.ndcg(items, relevant[u], k: k)
            report.ndcg += ndcg
            report.userNDCG.append(ndcg)
            if let band = Evaluator.historyBands.firstIndex(where: { $0.range.contains(historyLengths[u]) }) {
                bandTotals[band] += ndcg; bandUsers[band] += 1
            }
            report.map += RankingMetrics.averagePrecision(items, relevant[u], k: k)
            report.hitRate += RankingMetrics.hit(items, relevant[u], k: k)
            report.mrr += RankingMetrics.reciprocalRank(items, relevant[u], k: k)
            report.lists.append((train.interactions.userIDs.id(at: u),
                                 list.map { (train.interactions.itemIDs.id(at: $0.index), $0.score) }))
        }
        let n = Double(users.count)
        report.users = users.count
        report.precision /= n; report.recall /= n; report.f1 /= n; report.ndcg /= n
        report.map /= n; report.hitRate /= n; report.mrr /= n
        report.segments = Evaluator.historyBands.indices.compactMap { b in
            bandUsers[b] > 0 ? (Evaluator.historyBands[b].name, bandUsers[b], bandTotals[b] / Double(bandUsers[b])) : nil
        }
        report.coverage = ListMetrics.coverage(itemLists, catalogue: train.itemCount)
        report.novelty = ListMetrics.novelty(itemLists, itemUsers: train.binary.columnSums, users: train.users)
        let vectors = try itemVectors ?? genreVectors(train) ?? factorVectors(train)
        report.diversity = ListMetrics.diversity(itemLists, vectors: vectors)
        return report
    }

    /// Genre indicator vectors of the items, nil when no item has genres.
    static func genreVectors(_ train: TrainingData) -> [[Float]]? {
        let genres = Array(Set(train.items.compactMap { $0 }.flatMap(\.genres))).sorted()
        guard !genres.isEmpty else { return nil }
        let position = Dictionary(uniqueKeysWithValues: genres.enumerated().map { ($1, $0) })
        return (0..<train.itemCount).map { i in
            var v = [Float](repeating: 0, count: genres.count)
            for g in (i < train.items.count ? train.items[i]?.genres : nil) ?? [] { v[position[g]!] = 1 }
            return v
        }
    }

    /// Item factors of a 32-factor truncated SVD, where there is no metadata.
    static func factorVectors(_ train: TrainingData) throws -> [[Float]] {
        let k = min(32, min(train.users, train.itemCount))
        let svd = try TruncatedSVD.randomized(train.binary, configuration: .init(rank: k, seed: train.seed, threads: train.threads))
        return (0..<train.itemCount).map { svd.vt.column($0) }
    }
}

/// The rating-prediction evaluation of one model.
public struct RatingReport: Sendable {
    public var model: String
    public var count = 0
    public var rmse = 0.0, mae = 0.0
    public var fitSeconds = 0.0, predictSeconds = 0.0

    /// The report as `rectrain evaluate --task rating --json` prints it; NaN as null.
    public struct JSONForm: Codable, Equatable, Sendable {
        public var model: String
        public var ratings: Int
        public var rmse, mae, fit_seconds, predict_seconds: JSONOutput.Number
    }

    public var jsonForm: JSONForm {
        JSONForm(model: model, ratings: count, rmse: .init(rmse), mae: .init(mae), fit_seconds: .init(fitSeconds),
                 predict_seconds: .init(predictSeconds))
    }

    /// ``jsonForm`` as one line of JSON.
    public var json: String { JSONOutput.string(jsonForm) }
}

extension Evaluator {
    /// RMSE and MAE of `model`'s predictions on every test rating (users or items unknown to
    /// training fall back to the model's bias estimate).
    public static func rating(_ model: inout some RatingPredictor, train: TrainingData, test: Interactions) throws -> RatingReport {
        guard test.count > 0 else { throw RecommenderError.evaluation("the test data has no ratings") }
        var report = RatingReport(model: model.name)
        let fitStart = Date()
        try model.fit(train)
        report.fitSeconds = Date().timeIntervalSince(fitStart)
        let start = Date()
        let predicted = try (0..<test.count).map { try model.predict(user: Int(test.users[$0]), item: Int(test.items[$0])) }
        report.predictSeconds = Date().timeIntervalSince(start)
        report.count = test.count
        report.rmse = RatingMetrics.rmse(predicted, test.values)
        report.mae = RatingMetrics.mae(predicted, test.values)
        return report
    }
}
