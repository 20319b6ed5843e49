import DenseLinalg
import Factorization
import Foundation

/// The whole job of the original system: generate a world, engineer features, train and
/// evaluate every model on a held-out split, segment the users, and write the dashboard and
/// reports.
public struct PipelineConfiguration: Sendable {
    public var world = SyntheticWorldConfiguration()
    /// Output folder (created when missing).
    public var output = "outputs"
    /// How training may use the machine.
    public var compute = ComputeSettings(threads: 2)
    /// Recommendations per user in the evaluation.
    public var k = 10
    /// Share of each user's views held out for the evaluation.
    public var testFraction = 0.25
    /// Share of the sessions (the latest ones) held out for the session model.
    public var sessionTestFraction = 0.2
    /// Models trained and compared, in this order.
    public var models = ModelKind.ranking.map(\.rawValue)
    /// Held-out sessions the session model is scored on, at most (every n-th of them).
    public var sessionSample = 3_000
    /// Users in `sample_recommendations.csv`.
    public var sampleUsers = 5
    public var assumptions = EngagementEstimate.Assumptions()

    public init() {}
}

/// What the pipeline measured; the reports are drawn from it.
public struct PipelineResult: Sendable {
    public var configuration: PipelineConfiguration
    public var summary: SyntheticWorldSummary
    public var dataset: Dataset
    public var sessions: Sessions
    public var trainCount = 0, testCount = 0
    public var reports: [RankingReport] = []
    public var sessionHitRate = 0.0, sessionPopularityHitRate = 0.0
    public var segmentation: Segmentation?
    public var samples: [SampleRecommendation] = []
    public var estimate: EngagementEstimate?
    public var files: [String] = []
    /// Why the PNG was not written, when it was not.
    public var pngNote: String?
    public var seconds = 0.0

    /// The best model by nDCG@K, and popularity's report.
    public var best: RankingReport? { reports.max { $0.ndcg < $1.ndcg } }
    public var popularity: RankingReport? { reports.first { $0.model == "popular" } }
}

/// One row of `sample_recommendations.csv`.
public struct SampleRecommendation: Sendable {
    public var user: String, model: String, rank: Int, item: String, title: String, score: Float, explanation: String
}

/// A step of the pipeline, for progress displays.
public struct PipelineStep: Sendable {
    public var number: Int
    public var total: Int
    public var name: String
    /// A finished step's summary line (`✓ …`), or nil when the step starts.
    public var done: String?
}

public enum Pipeline {
    static let stepNames = ["generate the world", "load and engineer features", "split", "train and evaluate models",
                            "session model", "segment users", "write reports"]

    /// Runs every step; `progress` hears each step's start and end.
    public static func run(_ c: PipelineConfiguration, progress: (PipelineStep) -> Void = { _ in }) throws -> PipelineResult {
        // Every BLAS call of every stage on the configured threads.
        try Parallel.withBLASThreads(c.compute.threads) { try stages(c, progress: progress) }
    }

    static func stages(_ c: PipelineConfiguration, progress: (PipelineStep) -> Void) throws -> PipelineResult {
        let start = Date()
        let total = stepNames.count + c.models.count - 1
        var number = 0
        func begin(_ name: String) { number += 1; progress(PipelineStep(number: number, total: total, name: name, done: nil)) }
        func done(_ line: String) { progress(PipelineStep(number: number, total: total, name: "", done: line)) }
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: c.output, withIntermediateDirectories: true) } catch {
            throw DataError(file: c.output, reason: "cannot create the output folder")
        }
        guard fm.isWritableFile(atPath: c.output) else { throw DataError(file: c.output, reason: "the output folder is not writable") }

        begin(stepNames[0])
        let worldFolder = c.output + "/world"
        let summary = try SyntheticWorld.generate(c.world, to: worldFolder)
        done("✓ Generated \(summary.titles.formatted()) movies/shows")
        done("✓ Generated \(summary.users.formatted()) user profiles")
        done("✓ Generated \(summary.interactions.formatted()) viewing interactions (\(summary.sessions.formatted()) browsing sessions)")

        begin(stepNames[1])
        let (dataset, sessions) = try SyntheticWorld.load(directory: worldFolder)
        var result = PipelineResult(configuration: c, summary: summary, dataset: dataset, sessions: sessions)
        let userFeatures = try FeatureEngineer.userFeatures(dataset, sessions: sessions)
        let titleFeatures = try FeatureEngineer.titleFeatures(dataset, sessions: sessions)
        try userFeatures.writeCSV(to: c.output + "/user_features.csv", idColumn: "user_id")
        try titleFeatures.writeCSV(to: c.output + "/title_features.csv", idColumn: "title_id")
        result.files += ["user_features.csv", "title_features.csv"]
        done("✓ Engineered \(userFeatures.names.count) user and \(titleFeatures.names.count) title features")

        begin(stepNames[2])
        // Repeated views of a title (episodes of a binge) count once, as the ranking protocol counts them.
        let pairs = dataset.interactions.distinctPairs()
        let split = try Splitter.randomPerUser(pairs, testFraction: c.testFraction, seed: c.world.seed)
        let cut = Int((Double(sessions.count) * (1 - c.sessionTestFraction)).rounded())
        let sessionOrder = sessions.items.indices.sorted { (sessions.starts[$0], $0) < (sessions.starts[$1], $1) }
        let trainSessions = sessionOrder[..<cut].map { sessions.items[$0] }, testSessions = sessionOrder[cut...].map { sessions.items[$0] }
        var train = try TrainingData(pairs.subset(split.train), items: dataset.items, compute: c.compute, seed: c.world.seed)
        train.sessions = trainSessions
        let test = pairs.subset(split.test)
        result.trainCount = split.train.count; result.testCount = split.test.count
        done("✓ Split \(pairs.count.formatted()) distinct user–title pairs: \(split.train.count.formatted()) training, \(split.test.count.formatted()) test (\(Int(c.testFraction * 100))% of each user's held out)")

        var fitted: [String: any Recommender] = [:]
        for name in c.models {
            begin("train and evaluate \(name)")
            var model = try ModelKind(name).makeRecommender()
            let report = try Evaluator.ranking(&model, train: train, test: test, k: c.k)
            result.reports.append(report)
            fitted[name] = model
            done(String(format: "  %@: nDCG@%d %.4f, precision %.4f (fit %.2f s)", name, c.k, report.ndcg, report.precision, report.fitSeconds))
        }
        done("✓ Trained \(result.reports.count) recommendation models")

        begin(stepNames[4])
        // The ranking step already fitted it on the same training sessions.
        var session = fitted["session"] as? SessionRecommender ?? SessionRecommender()
        if session.trainedUsers == 0 { try session.fit(train) }
        // At most `sessionSample` held-out sessions, evenly spread in time, keep the step short.
        let stride = max(1, testSessions.count / c.sessionSample)
        let evaluated = Swift.stride(from: 0, to: testSessions.count, by: stride).map { testSessions[$0] }
        result.sessionHitRate = try session.hitRate(on: evaluated, k: 20)
        result.sessionPopularityHitRate = session.popularityHitRate(on: evaluated, k: 20)
        done(String(format: "✓ Session model: next-title hit rate@20 %.3f on %d held-out sessions (popularity %.3f)",
                    result.sessionHitRate, evaluated.count, result.sessionPopularityHitRate))

        begin(stepNames[5])
        let segmentation = try Segmentation.run(userFeatures, seed: c.world.seed)
        try segmentation.writeCSV(to: c.output + "/user_segments.csv")
        result.segmentation = segmentation
        result.files.append("user_segments.csv")
        done("✓ Segmented users into \(segmentation.k) groups (silhouette \(String(format: "%.3f", segmentation.silhouette)))")

        begin(stepNames[6])
        result.samples = try samples(fitted: fitted, result: result, train: train, count: c.sampleUsers)
        if let best = result.best, let popular = result.popularity {
            result.estimate = EngagementEstimate(model: best.hitRate, baseline: popular.hitRate, assumptions: c.assumptions)
        }
        done("✓ Generated personalized recommendations (\(result.samples.count) sample rows for \(c.sampleUsers) users)")
        result.seconds = Date().timeIntervalSince(start)
        try Reports.write(&result)
        result.seconds = Date().timeIntervalSince(start)
        return result
    }

    /// Top-5 of the best model and of the hybrid for sample users spread over history lengths,
    /// explained by the item-kNN neighbours of each title in the user's history.
    static func samples(fitted: [String: any Recommender], result: PipelineResult, train: TrainingData, count: Int) throws -> [SampleRecommendation] {
        let lengths = train.binary.rowCounts
        let byLength = (0..<train.users).filter { lengths[$0] > 0 }.sorted { (lengths[$0], $0) < (lengths[$1], $1) }
        guard !byLength.isEmpty, count > 0 else { return [] }
        let picks = (0..<count).map { byLength[min(byLength.count - 1, ($0 * 2 + 1) * byLength.count / (2 * count))] }
        let explainer = fitted["itemknn"] as? ItemKNNRecommender
        var names = [result.best?.model].compactMap { $0 }
        if fitted["hybrid"] != nil && !names.contains("hybrid") { names.append("hybrid") }
        var rows: [SampleRecommendation] = []
        for u in picks {
            for name in names {
                guard let model = fitted[name] else { continue }
                for (rank, entry) in try model.recommend(user: u, count: 5, excluding: train.binary).enumerated() {
                    let because = explainer?.explain(user: u, item: entry.index, count: 2) ?? []
                    let titles = because.map { train.items[$0.index]?.title ?? train.interactions.itemIDs.id(at: $0.index) }
                    rows.append(SampleRecommendation(
                        user: train.interactions.userIDs.id(at: u), model: name, rank: rank + 1,
                        item: train.interactions.itemIDs.id(at: entry.index), title: train.items[entry.index]?.title ?? "",
                        score: entry.score,
                        explanation: titles.isEmpty ? "no watched title is a close neighbour" : "because you watched " + titles.joined(separator: " and ")))
                }
            }
        }
        return rows
    }
}
