import ArgumentParser
import DenseLinalg
import Foundation
import Recommend

struct Evaluate: ParsableCommand, UsesGlobalOptions {
    static let configuration = CommandConfiguration(
        abstract: "Train one model on a CSV and evaluate its top-K recommendations on another.",
        discussion: """
        Both files have a header with user and item columns (user,item,rating,timestamp). Each \
        test user gets K recommendations excluding their training items; relevance is being in \
        the user's test set. Metrics: precision, recall, F1, nDCG (binary gain, log2 discount, \
        ideal over min(K, |test|)), MAP (over min(K, |test|)), hit rate, MRR, coverage, diversity \
        (1 − mean pairwise cosine of genre vectors, or of SVD item factors without --items), \
        novelty (mean self-information). Models: \(ModelKind.ranking.map(\.rawValue).joined(separator: ", ")); with --task rating \(ModelKind.rating.map(\.rawValue).joined(separator: ", ")).
        """
    )

    @Option(help: "Training CSV (or its binary form from `rectrain convert`).") var train: String
    @Option(help: "Test CSV (or its binary form).") var test: String
    @Option(name: .customLong("model"), help: ArgumentHelp("Model: \(ModelKind.ranking.map(\.rawValue).joined(separator: ", ")), or with --task rating \(ModelKind.rating.map(\.rawValue).joined(separator: ", ")). Optional with --config (the configuration's model).", valueName: "model"))
    var modelOption: String?
    /// K saved by `tune` in --config.
    var configuredK: Int? { (try? hyper.tunedConfiguration())??.k }
    /// --model, or the model of --config.
    var model: String { modelOption ?? hyper.configuredModel ?? "" }
    @OptionGroup(title: "Model hyperparameters") var hyper: ModelSettings
    @Option(help: "Item metadata CSV with an id column and a |-separated genres column (for diversity).") var items: String?
    @Option(parsing: .unconditional, help: "Recommendations per user (ranking task; default 10).") var k: Int?
    @Option(help: "ranking, or rating (RMSE and MAE of rating predictions; \(ModelKind.rating.map(\.rawValue).joined(separator: ", "))).") var task = "ranking"
    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Write every test user's top-K as CSV user,rank,item,score.") var dumpRecs: String?
    @Option(help: "Also train this ranking model (with its defaults) on the same files and report the difference in nDCG@K with a paired bootstrap 95% interval over the test users (10,000 resamples, --seed): whether the difference is more than chance.")
    var baseline: String?
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if modelOption == nil {
            guard hyper.config != nil else { throw ValidationError("Missing expected argument '--model <model>'") }
            _ = try hyper.tunedConfiguration()
        }
        if let k, k <= 0 { throw ValidationError("--k must be positive, got \(k)") }
        guard task == "ranking" || task == "rating" else { throw ValidationError("--task must be ranking or rating, got \(task)") }
        if task == "rating" {
            guard ModelKind(model).task == .rating else {
                throw ValidationError("--task rating needs a rating predictor: --model \(ModelKind.rating.map(\.rawValue).joined(separator: ", "))")
            }
            for (flag, given) in [("--k", k != nil), ("--dump-recs", dumpRecs != nil), ("--items", items != nil), ("--baseline", baseline != nil)] where given {
                throw ValidationError("\(flag) has no effect with --task rating (it measures RMSE and MAE of rating predictions)")
            }
        } else if ModelKind(model).task != .ranking {
            throw ValidationError("unknown ranking model \"\(model)\": expected one of \(ModelKind.ranking.map(\.rawValue).joined(separator: ", ")) (or --task rating)")
        }
        try hyper.checkUsed(by: model)
        if let baseline, task == "ranking", ModelKind(baseline).task != .ranking {
            throw ValidationError("--baseline: unknown ranking model \"\(baseline)\": expected one of \(ModelKind.ranking.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        if task == "rating" { return try runRating() }
        let seed = global.seed
        var recommender = try ModelKind(model).makeRecommender(hyper.effectiveOptions)
        if let config = hyper.config { global.log("\(model) with --config \(config): \(hyper.effectiveDescription(for: model))") }
        // The training file as `train` reads it (values kept and checked for confidence from values).
        let trainData = try DataSource.load(path: train, format: .csv, valueColumn: hyper.keptValueColumn, threads: global.threads).dataset.interactions
        var options = RatingsCSVOptions(implicit: true)  // the test needs pairs only
        options.threads = global.threads
        let testData = try RatingsCSV.load(path: test, options: options,
                                           into: Interactions(userIDs: trainData.userIDs, itemIDs: trainData.itemIDs)).interactions
        var metadata: [ItemMetadata?] = []
        if let items { metadata = try ItemCatalogCSV.load(path: items, ids: trainData.itemIDs) }
        let training = try TrainingData(trainData, items: metadata, compute: global.compute, seed: seed)
        try hyper.checkValues(training, global)
        let report = try Evaluator.ranking(&recommender, train: training, test: testData, k: k ?? configuredK ?? 10)
        var comparison: (report: RankingReport, interval: PairedBootstrap.Interval)?
        if let baseline, !report.userNDCG.isEmpty {
            var other = try ModelKind(baseline).makeRecommender()
            let base = try Evaluator.ranking(&other, train: training, test: testData, k: k ?? configuredK ?? 10)
            comparison = (base, PairedBootstrap.interval(report.userNDCG, base.userNDCG, level: 0.95, resamples: 10_000, seed: seed))
        }
        if let dumpRecs {
            try AtomicFile.write(to: dumpRecs) { handle in
                var out = BufferedWriter(handle)
                try out.write("user,rank,item,score\n")
                for list in report.lists {
                    for (rank, entry) in list.items.enumerated() { try out.write("\(list.user),\(rank + 1),\(entry.item),\(entry.score)\n") }
                }
                try out.flush()
            }
        }
        if json {
            var form = report.jsonForm
            if let (base, interval) = comparison {
                form.baseline = .init(model: base.model, ndcg: base.ndcg, interval: interval, level: 0.95, resamples: 10_000)
            }
            print(JSONOutput.string(form))
        } else {
            if report.skippedUsers > 0 {
                print("\(report.skippedUsers) test users skipped: unknown to the training data")
            }
            print(String(format: "%@ on %ld users, K=%ld: nDCG %.4f, precision %.4f, recall %.4f, MAP %.4f, hit rate %.4f, MRR %.4f",
                         report.model, report.users, report.k, report.ndcg, report.precision, report.recall, report.map, report.hitRate, report.mrr))
            print(String(format: "coverage %.3f, diversity %.3f, novelty %.2f bits; fit %.2f s, recommend %.2f s",
                         report.coverage, report.diversity, report.novelty, report.fitSeconds, report.recommendSeconds))
            print("nDCG by training history: " + report.segments.map { String(format: "%@ titles %.3f (%ld users)", $0.name, $0.ndcg, $0.users) }.joined(separator: ", "))
            if let (base, i) = comparison {
                print(String(format: "against %@ (nDCG %.4f): difference %+.4f, paired bootstrap 95%% interval [%+.4f, %+.4f] over %ld users: %@",
                             base.model, base.ndcg, i.difference, i.low, i.high, report.users,
                             i.isSignificant ? "a real difference" : "within chance"))
            }
        }
    }
}

extension Evaluate {
    /// Explicit ALS on the training ratings, RMSE and MAE on the test ratings of known users
    /// and items (predictions clipped to the training rating scale).
    func runRating() throws {
        var options = RatingsCSVOptions()
        options.requireRating = true
        options.threads = global.threads
        let trainData = try RatingsCSV.load(path: train, options: options).interactions
        let testData = try RatingsCSV.load(path: test, options: options,
                                           into: Interactions(userIDs: trainData.userIDs, itemIDs: trainData.itemIDs)).interactions
        let seed = global.seed
        var predictor = try ModelKind(model).makePredictor(hyper.effectiveOptions)
        let training = try TrainingData(trainData, compute: global.compute, seed: seed)
        let report = try Evaluator.rating(&predictor, train: training, test: testData)
        if json {
            print(report.json)
        } else {
            print(String(format: "%@ on %ld ratings: RMSE %.4f, MAE %.4f; fit %.2f s, predict %.3f s",
                         report.model, report.count, report.rmse, report.mae, report.fitSeconds, report.predictSeconds))
        }
    }
}
