import ArgumentParser
import Foundation
import Recommend

struct Tune: ParsableCommand, UsesGlobalOptions {
    static let configuration = CommandConfiguration(
        abstract: "Search a model's hyperparameters on validation splits of the training data alone, and save the best.",
        discussion: """
        Every trial trains on a seeded validation split cut from --train (each user's distinct \
        titles, --validation-fraction held out with all their rows) and is scored by --metric at --k on the \
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
    @OptionGroup(title: "Hyperparameters held at a value (not searched)") var hyper: HyperparameterOptions
    @Option(parsing: .unconditional, help: "Trials, the defaults included (fewer when the search space runs out of untried values).") var budget = 30
    @Option(help: "The metric maximised: \(TuningMetric.allCases.map(\.rawValue).joined(separator: ", ")).") var metric: TuningMetric = .ndcg
    @Option(parsing: .unconditional, help: "K of the metric (saved with the configuration: evaluate --config uses it unless --k is given).") var k = 10
    @Option(parsing: .unconditional, help: "Validation splits each trial is scored on, 1…20 (the metric is their mean).") var splits = 2
    @Option(parsing: .unconditional, help: "Share of each user's distinct titles held out for validation, in (0, 0.9]; users with too few titles to hold one out are not validated.")
    var validationFraction = 0.2
    @Option(help: "Write the best configuration (JSON) here, for `train --config` and `evaluate --config`.") var output: String?
    @Flag(help: "Print the trials and the best configuration as one JSON object instead of the table.") var json = false
    @OptionGroup var global: GlobalOptions

    /// The ranking models with hyperparameters to search.
    static var models: [String] { Tuner.tunable.map(\.rawValue) }
    static var ranges: String {
        Tuner.tunable.map { kind in
            "\(kind) " + kind.searchSpace.map { "\(HyperparameterOptions.flag($0.parameter.rawValue)) \($0.range)" }.joined(separator: ", ")
        }.joined(separator: "; ")
    }

    func validate() throws {
        guard Tune.models.contains(model) else {
            let why = ModelKind(model).task == nil ? "unknown model \"\(model)\"" : "tune does not search the \(model) model"
            throw ValidationError("\(why): tune takes \(Tune.models.joined(separator: ", "))")
        }
        try hyper.checkUsed(by: model)
        guard budget >= 1, budget <= 100_000 else { throw ValidationError("--budget must be in 1...100000, got \(budget)") }
        guard splits >= 1, splits <= 20 else { throw ValidationError("--splits must be in 1...20, got \(splits)") }
        guard k >= 1 else { throw ValidationError("--k must be positive, got \(k)") }
        guard validationFraction > 0, validationFraction <= 0.9 else {
            throw ValidationError("--validation-fraction must be in (0, 0.9], got \(validationFraction)")
        }
        // Something left to search, and held values the model takes: before any data is read.
        do { try tuner.check() } catch let error as RecommenderError {
            throw ValidationError(error.description.replacingOccurrences(of: "invalid input to \(model): ", with: ""))
        }
        if let output { try checkOutput(output, notOver: train, flag: "--train") }
    }

    var tuner: Tuner {
        var tuner = Tuner(kind: ModelKind(model))
        tuner.budget = budget; tuner.metric = metric; tuner.k = k; tuner.splits = splits
        tuner.validationFraction = validationFraction; tuner.held = hyper.modelOptions
        return tuner
    }

    func run() throws {
        let kind = ModelKind(model)
        let (dataset, _) = try DataSource.load(path: train, format: format, valueColumn: hyper.keptValueColumn, threads: global.threads)
        let data = try TrainingData(dataset.interactions, compute: global.compute, seed: global.seed)
        try hyper.checkValues(data, global)
        let tuner = self.tuner
        let searched = tuner.searched.map(\.parameter)
        let metricName = metric.name(k: k)
        let validation = try tuner.validationSplits(data, seed: global.seed)
        let users = validation.map { String($0.users) }.joined(separator: "/"), pairs = validation.map { String($0.test.count) }.joined(separator: "/")
        global.log("tune \(model): \(budget) trials over \(searched.map { HyperparameterOptions.flag($0.rawValue) }.joined(separator: ", ")), "
                   + "\(metricName) on \(splits) validation split\(splits == 1 ? "" : "s") of \(train): \(users) users, \(pairs) held-out rows "
                   + "(\(String(format: "%g", validationFraction * 100))% of each user's distinct titles)")
        if let fewest = validation.map(\.users).min(), fewest < 20 {
            global.warn("only \(fewest) users have held-out titles: the validation metric is noisy")
        }
        // The best so far is written after every improvement, so an interrupted search keeps it.
        var bestScore = -Double.infinity
        func configuration(_ trial: TuningTrial, defaults: Double?, trials: Int) -> TunedConfiguration {
            var options = trial.options
            for parameter in searched where options.text(of: parameter) == nil {
                if let text = kind.defaultValue(of: parameter) { try? options.set(parameter, text: text) }
            }
            return TunedConfiguration(model: model, options: options, valueColumn: hyper.keptValueColumn.flatMap { $0.isEmpty ? nil : $0 },
                                      metric: metricName, k: k, validationScore: trial.score ?? .nan, defaultScore: defaults,
                                      trials: trials, splits: splits, validationFraction: validationFraction, seed: global.seed, train: train)
        }
        func save(_ saved: TunedConfiguration) throws {
            guard let output else { return }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try AtomicFile.write(try encoder.encode(saved) + Data("\n".utf8), to: output)
        }
        var defaultsScore: Double?
        var saveError: (any Error)?
        let columns = searched.map { HyperparameterOptions.flag($0.rawValue).dropFirst(2) }
        let widths = columns.map { max($0.count, 8) }
        func row(_ cells: [String]) -> String {
            zip(cells, [5, 8] + widths + [9, 8]).map { $0.padding(toLength: max($1, $0.count), withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        // Unbuffered, so each trial's row shows as it ends (print buffers when piped).
        func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
        if !json { emit(row(["trial", "phase"] + columns.map(String.init) + [metricName, "seconds"])) }
        let trials = try tuner.run(data, seed: global.seed, splits: validation) { trial in
            if trial.number == 1 { defaultsScore = trial.score }
            if let score = trial.score, score > bestScore, saveError == nil {
                bestScore = score
                do { try save(configuration(trial, defaults: defaultsScore, trials: trial.number)) } catch { saveError = error }
            }
            guard !json else { return }
            let values = searched.map { trial.options.text(of: $0) ?? kind.defaultValue(of: $0) ?? "-" }
            let score = trial.score.map { String(format: "%.4f", $0) } ?? "failed"
            emit(row(["\(trial.number)", trial.phase] + values + [score, String(format: "%.1f", trial.seconds)]))
            if let failure = trial.failure { emit("       \(failure)") }
        }
        if let saveError { throw saveError }
        guard let best = Tuner.best(trials), let score = best.score else {
            throw ValidationError("every trial failed: \(trials.first?.failure ?? "no trial ran")")
        }
        // The saved values: every searched one (the defaults' too, written out) and the held ones.
        let defaults = trials.first?.score
        let saved = configuration(best, defaults: defaults, trials: trials.count)
        try save(saved)
        let options = try saved.options()
        if trials.count < budget {
            global.warn("the search space ran out of untried values after \(trials.count) of \(budget) trials")
        }
        // A best value at the edge of its range: the optimum may lie beyond it.
        for (parameter, range) in tuner.searched where best.number > 1 {
            guard let text = options.text(of: parameter), let x = Double(text) else { continue }
            let u = range.position(of: x)
            // (A range starting at 0 has nothing below it.)
            let floor: Bool
            if case let .uniform(lower, _) = range { floor = lower == 0 } else { floor = false }
            if (u <= 0.02 && !floor) || u >= 0.98 {
                global.warn("the best \(HyperparameterOptions.flag(parameter.rawValue)) \(text) is at the \(u <= 0.02 ? "low" : "high") end of its range \(range): hold it beyond with \(HyperparameterOptions.flag(parameter.rawValue)) to look further")
            }
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
        func quoted(_ path: String) -> String {
            path.allSatisfy { $0.isLetter || $0.isNumber || "/._-+:@".contains($0) } ? path : "'" + path.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
        if let output { emit("saved \(output): rectrain train --config \(quoted(output)) --data \(quoted(train)) --output MODEL") }
    }
}

extension TuningMetric: ExpressibleByArgument {}
