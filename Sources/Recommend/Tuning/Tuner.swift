import DenseLinalg
import Foundation

/// What a tuning run maximises: a ranking metric at K on the validation users.
public enum TuningMetric: String, Sendable, CaseIterable {
    case ndcg, recall, precision, map

    /// The metric of a report.
    public func value(in report: RankingReport) -> Double {
        switch self {
        case .ndcg: return report.ndcg
        case .recall: return report.recall
        case .precision: return report.precision
        case .map: return report.map
        }
    }

    /// "nDCG@10".
    public func name(k: Int) -> String {
        switch self {
        case .ndcg: return "nDCG@\(k)"
        case .recall: return "recall@\(k)"
        case .precision: return "precision@\(k)"
        case .map: return "MAP@\(k)"
        }
    }
}

/// One configuration a tuning run tried.
public struct TuningTrial: Sendable {
    /// 1-based; trial 1 is the model's defaults.
    public var number: Int
    /// The options trained with: the held values and this trial's values.
    public var options: ModelOptions
    /// The metric averaged over the validation splits; nil when training failed.
    public var score: Double?
    /// Why training failed (a diverging configuration, a matrix that was not positive definite).
    public var failure: String?
    /// Seconds for every split's fit and evaluation.
    public var seconds: Double
    /// How the values were chosen: "defaults", "random" or "refine" (near the best so far).
    public var phase: String
}

/// Hyperparameter search that never sees the test: every trial trains on validation splits cut
/// from the training data alone and is scored on their held-out interactions.
///
/// Search: trial 1 is the model's defaults; the first half of the budget samples uniformly over
/// each searched hyperparameter's ``SearchRange`` (log scale where the range is); the second
/// half perturbs the best configuration so far, each value by a Gaussian step in the range's
/// coordinates whose width shrinks from 15% to 5% of the range (a (1+1) evolution strategy;
/// random search alone rarely lands in a narrow optimum of four parameters at once, Bergstra &
/// Bengio, JMLR 2012, explain why it still beats grids). Everything is seeded: the same data,
/// seed and budget give the same trials.
public struct Tuner: Sendable {
    /// The model tuned (a ranking model with a ``ModelKind/searchSpace``).
    public var kind: ModelKind
    /// Trials, the defaults included. Default 30.
    public var budget = 30
    public var metric: TuningMetric = .ndcg
    /// K of the metric. Default 10.
    public var k = 10
    /// Validation splits each trial is scored on (its metric is their mean). Default 2.
    public var splits = 2
    /// Share of each user's interactions held out for validation. Default 0.2.
    public var validationFraction = 0.2
    /// Hyperparameters held at these values (not searched).
    public var held = ModelOptions()

    public init(kind: ModelKind) { self.kind = kind }

    /// The hyperparameters searched: the model's search space without the held ones.
    public var searched: [(parameter: Hyperparameter, range: SearchRange)] {
        let held = Set(self.held.given)
        return kind.searchSpace.filter { !held.contains($0.parameter) }
    }

    /// The ranking models with a search space.
    public static var tunable: [ModelKind] { ModelKind.ranking.filter { !$0.searchSpace.isEmpty } }

    /// Checks that there is something to search with these settings, before any data is read.
    /// - Throws: ``RecommenderError/invalidInput(model:reason:)`` naming what is wrong.
    public func check() throws {
        func fail(_ reason: String) -> RecommenderError { .invalidInput(model: kind.rawValue, reason: reason) }
        guard Self.tunable.contains(kind) else {
            throw fail("tune does not search this model; it searches \(Self.tunable.map(\.rawValue).joined(separator: ", "))")
        }
        guard !searched.isEmpty else {
            throw fail("every hyperparameter tune searches (\(kind.searchSpace.map(\.parameter.rawValue).joined(separator: ", "))) is held: nothing left to search")
        }
        guard budget >= 1, splits >= 1, k >= 1, validationFraction > 0, validationFraction < 1 else {
            throw fail("tune needs a budget, splits and K ≥ 1 and a validation fraction in (0, 1)")
        }
        try kind.validate(held)
        _ = try kind.make(held)
    }

    /// One validation split: the training part as a model trains on it, the held-out pairs, and
    /// how many users have held-out pairs.
    public struct ValidationSplit: Sendable {
        public var train: TrainingData
        public var test: Interactions
        public var users: Int
        /// The item vectors the reports' diversity is measured with (genres, else SVD factors of
        /// the training part): the same for every trial, so computed once per split.
        var itemVectors: [[Float]]
    }

    /// The seeded validation splits of `data` a run scores on: each user's distinct pairs
    /// shuffled, ``validationFraction`` of them held out (every row of a pair on one side).
    /// - Throws: ``RecommenderError/invalidInput(model:reason:)`` when nothing can be held out.
    public func validationSplits(_ data: TrainingData, seed: UInt64) throws -> [ValidationSplit] {
        try (0..<splits).map { s in
            let split = try Splitter.randomPerUserPairs(data.interactions, testFraction: validationFraction, seed: seed &+ 7_919 &* UInt64(s + 1))
            let test = data.interactions.subset(split.test)
            guard test.count > 0 else {
                throw RecommenderError.invalidInput(model: kind.rawValue, reason: "no pair can be held out for validation: every user has fewer than \(Int((1 / validationFraction).rounded(.up))) distinct titles (raise the validation fraction)")
            }
            let train = try TrainingData(data.interactions.subset(split.train), items: data.items, compute: data.compute, seed: data.seed)
            let vectors = try Evaluator.genreVectors(train) ?? Evaluator.factorVectors(train)
            return ValidationSplit(train: train, test: test, users: Set(test.users).count, itemVectors: vectors)
        }
    }

    /// Runs the search on `data` (the training data only), calling `progress` after each trial.
    /// A search whose space holds no configuration not yet tried (20 draws near the best and 20
    /// anywhere) ends before the budget.
    /// - Returns: every trial, in order.
    /// - Throws: as ``check()`` and ``validationSplits(_:seed:)``; a failing trial is recorded,
    ///   not thrown.
    public func run(_ data: TrainingData, seed: UInt64, splits prepared: [ValidationSplit]? = nil,
                    progress: (TuningTrial) -> Void = { _ in }) throws -> [TuningTrial] {
        try check()
        let folds = try prepared ?? validationSplits(data, seed: seed)
        var generator = SeededGenerator(seed: seed, stream: 0x7475_6E65)  // "tune"
        let space = searched
        var trials: [TuningTrial] = []
        var tried = Set<[String]>()
        let randomTrials = max(1, budget / 2)
        for number in 1...budget {
            var options = held, phase = "defaults"
            if number > 1 {
                let best = Self.best(trials)
                let refine = number > randomTrials && best != nil
                phase = refine ? "refine" : "random"
                // A configuration already tried is drawn again: 20 times near the best, then 20
                // times anywhere; when every draw was tried before, the space is exhausted.
                var fresh = false
                for attempt in 0..<40 {
                    options = held
                    let near = refine && attempt < 20
                    let width = near ? 0.15 - 0.10 * Double(number - randomTrials - 1) / Double(max(1, budget - randomTrials - 1)) : 0
                    for (parameter, range) in space {
                        var u = generator.nextUnit()
                        if near, let text = best!.options.text(of: parameter) ?? kind.defaultValue(of: parameter), let x = Double(text) {
                            u = range.position(of: x) + width * Self.gaussian(&generator)
                        }
                        try options.set(parameter, text: SearchRange.text(range.value(at: u)))
                    }
                    if !tried.contains(key(options)) { fresh = true; break }
                }
                if !fresh { break }
            }
            tried.insert(key(options))
            let start = Date()
            var trial = TuningTrial(number: number, options: options, score: nil, failure: nil, seconds: 0, phase: phase)
            do {
                var total = 0.0
                for fold in folds {
                    var model = try kind.makeRecommender(options)
                    let report = try Evaluator.ranking(&model, train: fold.train, test: fold.test, k: k, itemVectors: fold.itemVectors)
                    total += metric.value(in: report)
                }
                let score = total / Double(folds.count)
                if score.isFinite { trial.score = score } else { trial.failure = "the metric is not finite" }
            } catch {
                trial.failure = "\(error)"
            }
            trial.seconds = Date().timeIntervalSince(start)
            trials.append(trial)
            progress(trial)
        }
        return trials
    }

    /// The best trial: the highest score, the earliest among equals (the defaults win a tie).
    public static func best(_ trials: [TuningTrial]) -> TuningTrial? {
        trials.filter { $0.score != nil }.max { a, b in a.score! < b.score! || (a.score! == b.score! && a.number > b.number) }
    }

    /// A configuration's searched values as text, a default written as its value (so a draw
    /// equal to the defaults is a repeat of trial 1).
    func key(_ options: ModelOptions) -> [String] {
        searched.map { p in
            let text = options.text(of: p.parameter) ?? kind.defaultValue(of: p.parameter) ?? "-"
            return Double(text).map { SearchRange.text($0) } ?? text
        }
    }

    /// A standard normal draw (Box–Muller).
    static func gaussian(_ g: inout SeededGenerator) -> Double {
        let u1 = max(g.nextUnit(), 1e-300), u2 = g.nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

/// A tuned configuration as `rectrain tune --output` saves it and `train`/`evaluate --config`
/// read it: the model, its hyperparameters, and how they were chosen.
public struct TunedConfiguration: Codable, Equatable, Sendable {
    /// The model kind.
    public var model: String
    /// Hyperparameters by ``Hyperparameter/jsonKey``, as text ("128", "0.05", "log:1"); the
    /// file writes numbers as JSON numbers.
    public var hyperparameters: [String: String]
    /// The column the pairs' values came from (implicit ALS's confidence from values), when
    /// not the default.
    public var valueColumn: String?
    /// The metric maximised ("nDCG@10") and its K, its mean over the validation splits for
    /// these values and for the model's defaults.
    public var metric: String
    public var k: Int?
    public var validationScore: Double
    public var defaultScore: Double?
    /// How the values were found: trials run, validation splits, held-out share, seed, data.
    public var trials: Int
    public var splits: Int
    public var validationFraction: Double
    public var seed: UInt64
    public var train: String

    enum CodingKeys: String, CodingKey {
        case model, hyperparameters, metric, k, trials, splits, seed, train
        case validationScore = "validation_score", defaultScore = "default_score", validationFraction = "validation_fraction"
        case valueColumn = "value_column"
    }

    public init(model: String, options: ModelOptions, valueColumn: String? = nil, metric: String, k: Int? = nil,
                validationScore: Double, defaultScore: Double?,
                trials: Int, splits: Int, validationFraction: Double, seed: UInt64, train: String) {
        self.valueColumn = valueColumn; self.k = k
        self.model = model
        var values: [String: String] = [:]
        for parameter in options.given { values[parameter.jsonKey] = options.text(of: parameter) }
        hyperparameters = values
        self.metric = metric; self.validationScore = validationScore; self.defaultScore = defaultScore
        self.trials = trials; self.splits = splits; self.validationFraction = validationFraction; self.seed = seed; self.train = train
    }

    /// Decodes hyperparameter values written as JSON strings, numbers or booleans (a file
    /// edited by hand may hold `"factors": 128`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        let raw = try c.decode([String: FlexibleValue].self, forKey: .hyperparameters)
        hyperparameters = raw.mapValues(\.text)
        valueColumn = try c.decodeIfPresent(String.self, forKey: .valueColumn)
        k = try c.decodeIfPresent(Int.self, forKey: .k)
        metric = try c.decodeIfPresent(String.self, forKey: .metric) ?? ""
        validationScore = try c.decodeIfPresent(Double.self, forKey: .validationScore) ?? .nan
        defaultScore = try c.decodeIfPresent(Double.self, forKey: .defaultScore)
        trials = try c.decodeIfPresent(Int.self, forKey: .trials) ?? 0
        splits = try c.decodeIfPresent(Int.self, forKey: .splits) ?? 0
        validationFraction = try c.decodeIfPresent(Double.self, forKey: .validationFraction) ?? 0
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0
        train = try c.decodeIfPresent(String.self, forKey: .train) ?? ""
    }

    /// Writes numbers as JSON numbers ("factors": 17), other values as strings ("log:1").
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(hyperparameters.mapValues(FlexibleValue.init(text:)), forKey: .hyperparameters)
        try c.encodeIfPresent(valueColumn, forKey: .valueColumn)
        try c.encode(metric, forKey: .metric)
        try c.encodeIfPresent(k, forKey: .k)
        try c.encode(validationScore, forKey: .validationScore)
        try c.encodeIfPresent(defaultScore, forKey: .defaultScore)
        try c.encode(trials, forKey: .trials)
        try c.encode(splits, forKey: .splits)
        try c.encode(validationFraction, forKey: .validationFraction)
        try c.encode(seed, forKey: .seed)
        try c.encode(train, forKey: .train)
    }

    /// The hyperparameters as options for ``ModelKind/make(_:)``.
    /// - Throws: ``RecommenderError/invalidParameter(model:name:value:expected:)`` for an
    ///   unknown key or a value of the wrong type.
    public func options() throws -> ModelOptions {
        var o = ModelOptions()
        for (key, text) in hyperparameters.sorted(by: { $0.key < $1.key }) {
            guard let parameter = Hyperparameter(jsonKey: key.replacingOccurrences(of: "-", with: "_"))
                    ?? Hyperparameter(rawValue: key) else {
                throw RecommenderError.invalidParameter(model: model, name: key, value: text,
                                                        expected: "a hyperparameter: \(Hyperparameter.allCases.map(\.jsonKey).joined(separator: ", "))")
            }
            try o.set(parameter, text: text)
        }
        return o
    }

    /// A JSON string, number or boolean, kept as text.
    struct FlexibleValue: Codable {
        var text: String
        init(text: String) { self.text = text }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            if let i = Int(text) { try c.encode(i) }
            else if let x = Double(text), x.isFinite, !text.contains(":") { try c.encode(x) }
            else if text == "true" || text == "false" { try c.encode(text == "true") }
            else { try c.encode(text) }
        }
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { text = s } else if let b = try? c.decode(Bool.self) { text = b ? "true" : "false" }
            else if let i = try? c.decode(Int.self) { text = String(i) } else { text = "\(try c.decode(Double.self))" }
        }
    }
}
