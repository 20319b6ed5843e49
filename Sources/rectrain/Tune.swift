import ArgumentParser
import Foundation
import Recommend

struct Tune: ParsableCommand, UsesGlobalOptions {
    static let configuration = CommandConfiguration(
        abstract: "Search a model's hyperparameters on validation splits of the training data alone, and save the best.",
        discussion: """
        Every trial trains on a seeded validation split cut from --train (each user's \
        interactions, --validation-fraction held out) and is scored by --metric at --k on the \
        held-out part, averaged over --splits splits: the test file is never read. Trial 1 is the \
        model's defaults; the first half of the budget samples each searched hyperparameter \
        uniformly over its range (log scale for penalties, slopes and counts), the second half \
        perturbs the best so far with shrinking steps. Hyperparameters given on the command line \
        are held, not searched. The best configuration is written to --output, which `train` and \
        `evaluate` take with --config. Searched ranges: \(Tune.ranges).
        """
    )

    @Option(help: "Model: \(Tune.models.joined(separator: ", ")).") var model: String
    @Option(help: "Training data: a ratings CSV (or its binary form), a MovieLens or generated-world folder. Only this is read.") var train: String
    @Option(help: "Data format: \(DataFormat.allCases.map(\.rawValue).joined(separator: ", ")) (auto: a file is csv, a folder is recognised by its files).")
    var format: DataFormat = .auto
    @Option(help: "Item metadata CSV (id column, title, |-separated genres) for a ratings CSV.") var items: String?
    @OptionGroup(title: "Hyperparameters held at a value (not searched)") var hyper: HyperparameterOptions
    @Option(help: "Trials, the defaults included.") var budget = 30
    @Option(help: "The metric maximised: \(TuningMetric.allCases.map(\.rawValue).joined(separator: ", ")).") var metric: TuningMetric = .ndcg
    @Option(help: "K of the metric.") var k = 10
    @Option(help: "Validation splits each trial is scored on (the metric is their mean).") var splits = 2
    @Option(help: "Share of each user's interactions held out for validation, in (0, 1).") var validationFraction = 0.2
    @Option(help: "Write the best configuration (JSON) here, for `train --config` and `evaluate --config`.") var output: String?
    @Flag(help: "Print the trials and the best configuration as one JSON object instead of the table.") var json = false
    @OptionGroup var global: GlobalOptions

    /// The ranking models with hyperparameters to search.
    static var models: [String] { ModelKind.ranking.filter { !$0.searchSpace.isEmpty }.map(\.rawValue) }
    static var ranges: String {
        ModelKind.ranking.filter { !$0.searchSpace.isEmpty }.map { kind in
            "\(kind) " + kind.searchSpace.map { "\(HyperparameterOptions.flag($0.parameter.rawValue)) \($0.range)" }.joined(separator: ", ")
        }.joined(separator: "; ")
    }

    func validate() throws {
        guard Tune.models.contains(model) else {
            let why = ModelKind(model).task == nil ? "unknown model \"\(model)\"" : "the \(model) model has no hyperparameters to search"
            throw ValidationError("\(why): tune takes \(Tune.models.joined(separator: ", "))")
        }
        if hyper.config != nil { throw ValidationError("--config has no effect on tune: give held hyperparameters as options") }
        try hyper.checkUsed(by: model)
        guard budget >= 1 else { throw ValidationError("--budget must be at least 1, got \(budget)") }
        guard splits >= 1, splits <= 20 else { throw ValidationError("--splits must be in 1...20, got \(splits)") }
        guard k >= 1 else { throw ValidationError("--k must be positive, got \(k)") }
        guard validationFraction > 0, validationFraction < 1 else {
            throw ValidationError("--validation-fraction must be in (0, 1), got \(validationFraction)")
        }
    }

    func run() throws {
        if let output { try checkOutput(output, notOver: train) }
        let kind = ModelKind(model)
        let (dataset, _) = try DataSource.load(path: train, format: format, items: items, valueColumn: hyper.keptValueColumn, threads: global.threads)
        let data = try TrainingData(dataset.interactions, items: dataset.items, compute: global.compute, seed: global.seed)
        try hyper.checkValues(data, global)
        var tuner = Tuner(kind: kind)
        tuner.budget = budget; tuner.metric = metric; tuner.k = k; tuner.splits = splits
        tuner.validationFraction = validationFraction; tuner.held = hyper.modelOptions
        let searched = tuner.searched.map(\.parameter)
        let metricName = metric.name(k: k)
        global.log("tune \(model): \(budget) trials over \(searched.map { HyperparameterOptions.flag($0.rawValue) }.joined(separator: ", ")), "
                   + "\(metricName) on \(splits) validation split\(splits == 1 ? "" : "s") of \(train) (\(Int((validationFraction * 100).rounded()))% of each user's interactions held out)")
        let columns = searched.map { HyperparameterOptions.flag($0.rawValue).dropFirst(2) }
        let widths = columns.map { max($0.count, 8) }
        func row(_ cells: [String]) -> String {
            zip(cells, [5, 8] + widths + [9, 8]).map { $0.padding(toLength: max($1, $0.count), withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        // Unbuffered, so each trial's row shows as it ends (print buffers when piped).
        func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
        if !json { emit(row(["trial", "phase"] + columns.map(String.init) + [metricName, "seconds"])) }
        let trials = try tuner.run(data, seed: global.seed) { trial in
            guard !json else { return }
            let values = searched.map { trial.options.text(of: $0) ?? kind.defaultValue(of: $0) ?? "-" }
            let score = trial.score.map { String(format: "%.4f", $0) } ?? "failed"
            emit(row(["\(trial.number)", trial.phase] + values + [score, String(format: "%.1f", trial.seconds)]))
            if let failure = trial.failure { emit("       \(failure)") }
        }
        guard let best = Tuner.best(trials), let score = best.score else {
            throw ValidationError("every trial failed: \(trials.first?.failure ?? "no trial ran")")
        }
        // The saved values: every searched one (the defaults' too, written out) and the held ones.
        var options = best.options
        for parameter in searched where options.text(of: parameter) == nil {
            if let text = kind.defaultValue(of: parameter) { try? options.set(parameter, text: text) }
        }
        let defaults = trials.first?.score
        let saved = TunedConfiguration(model: model, options: options, metric: metricName, validationScore: score, defaultScore: defaults,
                                       trials: trials.count, splits: splits, validationFraction: validationFraction, seed: global.seed, train: train)
        if let output {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try AtomicFile.write(try encoder.encode(saved) + Data("\n".utf8), to: output)
        }
        if json {
            struct Trial: Encodable {
                var trial: Int, phase: String, hyperparameters: [String: String], score: JSONOutput.Number?, failure: String?, seconds: Double
            }
            struct Report: Encodable { var best: TunedConfiguration, bestTrial: Int, trials: [Trial]
                enum CodingKeys: String, CodingKey { case best, trials, bestTrial = "best_trial" } }
            let list = trials.map { t in
                Trial(trial: t.number, phase: t.phase, hyperparameters: Dictionary(uniqueKeysWithValues: searched.compactMap { p in
                    (t.options.text(of: p) ?? kind.defaultValue(of: p)).map { (p.jsonKey, $0) } }),
                      score: t.score.map(JSONOutput.Number.init), failure: t.failure, seconds: t.seconds)
            }
            print(JSONOutput.string(Report(best: saved, bestTrial: best.number, trials: list)))
            return
        }
        let values = searched.map { "\(HyperparameterOptions.flag($0.rawValue)) \(options.text(of: $0) ?? "-")" }.joined(separator: " ")
        var line = String(format: "best: trial %ld, %@ %.4f", best.number, metricName, score)
        if let defaults, defaults > 0 { line += String(format: " (defaults %.4f, %+.1f%%)", defaults, 100 * (score / defaults - 1)) }
        emit(line + ": " + values)
        if let output { emit("saved \(output): rectrain train --config \(output) --data \(train) --output MODEL") }
    }
}

extension TuningMetric: ExpressibleByArgument {}
