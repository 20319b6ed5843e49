import ArgumentParser
import DenseLinalg
import Foundation
import Recommend

/// A subcommand with the options every subcommand takes.
protocol UsesGlobalOptions { var global: GlobalOptions { get } }

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Threads for BLAS and our own parallel loops (1–1024).")
    var threads = 2

    @Option(help: "Random seed: the same seed gives the same output.")
    var seed: UInt64 = 42

    @Flag(help: "Print only results and errors (no progress).")
    var quiet = false

    @Flag(help: "Print more detail (timings, sizes).")
    var verbose = false

    func validate() throws {
        guard threads > 0 && threads <= 1024 else { throw ValidationError("--threads must be between 1 and 1024, got \(threads)") }
        guard !(quiet && verbose) else { throw ValidationError("--quiet and --verbose exclude each other") }
    }

    /// The compute settings of this run: --threads, and the SIMD policy `main` read from the
    /// environment (RECOMMEND_SIMD=baseline runs the portable loops only, =avx2 no AVX-512).
    var compute: ComputeSettings { ComputeSettings(threads: threads, simd: Compute.simd) }

    /// Progress and detail go to standard error, so standard output stays parseable.
    func log(_ line: String) { if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) } }
    /// A warning: always printed (even with --quiet), on standard error, one line.
    func warn(_ line: String) { FileHandle.standardError.write(Data("rectrain: warning: \(line)\n".utf8)) }
    func detail(_ line: String) { if verbose { FileHandle.standardError.write(Data((line + "\n").utf8)) } }
}

/// Model hyperparameters shared by train and evaluate; an omitted option keeps the model's
/// default. Which model reads which option, and its default, come from the model registry.
struct HyperparameterOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "\(help(.factors, "Latent factors"))") var factors: Int?
    @Option(parsing: .unconditional, help: "\(help(.iterations, "Iterations, at most \(ModelKind.maximumIterations.formatted())"))") var iterations: Int?
    @Option(parsing: .unconditional, help: "\(help(.regularization, "Regularization λ; als's default is scaled by min(1, min(users, items)/200), so small data get a smaller λ"))") var regularization: Float?
    @Option(parsing: .unconditional, help: "\(help(.regularizationExponent, "Frequency-scaled regularisation ν in [0, 4] (Rendle et al. 2022): a user or item with n interactions gets λ·(1 + n/(α₀·N))^ν, α₀ = 1/(1 + α), N the other side's count; 0 is plain λ"))")
    var regularizationExponent: Float?
    @Option(parsing: .unconditional, help: "\(help(.alpha, "Confidence slope α (als, hybrid) or transition exponent α (rp3beta)"))") var alpha: Float?
    @Option(parsing: .unconditional, help: "\(help(.beta, "Popularity exponent β"))") var beta: Float?
    @Option(parsing: .unconditional, help: "\(help(.neighbors, "Neighbours"))") var neighbors: Int?
    @Option(parsing: .unconditional, help: "\(help(.shrinkage, "Similarity shrinkage"))") var shrinkage: Float?
    @Option(parsing: .unconditional, help: "\(help(.dropout, "Emphasised-denoising dropout probability p, in [0, 1)"))") var dropout: Float?
    @Option(parsing: .unconditional, help: "\(help(.userWeightExponent, "User weighting exponent e in [0, 4]: a user with n interactions counts n^(−e) in the item-item Gram matrix (scaled to a mean of 1 per interaction), so long histories no longer dominate; 0 is EASE's plain XᵀX"))")
    var userWeightExponent: Float?
    @Option(parsing: .unconditional,
            help: "\(help(.confidence, "Implicit ALS confidence: binary (1 + α on every pair), linear (1 + α·x on each pair's value x: the file's rating column or --value-column, summed over the rows a pair repeats) or log[:ε] (1 + α·ln(1 + x/ε), ε default 1)"))")
    var confidence: ConfidenceSource?
    @Option(help: "The CSV column holding each pair's strength (plays, views, purchases) for --confidence linear|log (default: rating when present; without one every row counts 1 and repeated rows add up).")
    var valueColumn: String?

    @Flag(inversion: .prefixedNo,
          help: "hybrid: learn the member weights on \(HybridRecommender.validationSplits) seeded validation splits cut from the training data, each holding out \(Int(HybridRecommender.validationFraction * 100))% of every user's pairs (a grid over the simplex, maximising nDCG@10; the default), or keep the fixed weights \(HybridRecommender.fixedWeightsText) (--no-learn-weights).")
    var learnWeights: Bool?

    /// "What (default: als 50, svd 50, …)": the models that read `parameter`, with their
    /// defaults; rating predictors that only `evaluate --task rating` trains are listed apart.
    static func help(_ parameter: Hyperparameter, _ what: String) -> String {
        func defaults(_ kinds: [ModelKind]) -> [String] { kinds.compactMap { kind in kind.defaultValue(of: parameter).map { "\(kind) \($0)" } } }
        let saved = defaults(ModelKind.allCases.filter(\.isPersistent)), evaluated = defaults(ModelKind.allCases.filter { !$0.isPersistent })
        return "\(what) (default: \(saved.joined(separator: ", "))"
            + (evaluated.isEmpty ? "" : "; evaluate --task rating: \(evaluated.joined(separator: ", "))") + ")."
    }

    /// The command-line flag of a hyperparameter.
    static func flag(_ parameter: String) -> String {
        "--" + parameter.reduce(into: "") { out, c in if c.isUppercase { out += "-" + c.lowercased() } else { out.append(c) } }
    }

    /// The hyperparameters given on the command line.
    var modelOptions: ModelOptions {
        var o = ModelOptions()
        o.factors = factors; o.iterations = iterations; o.regularization = regularization; o.regularizationExponent = regularizationExponent
        o.alpha = alpha; o.beta = beta; o.neighbors = neighbors; o.shrinkage = shrinkage; o.dropout = dropout; o.userWeightExponent = userWeightExponent; o.confidence = confidence; o.learnWeights = learnWeights
        return o
    }

    /// Bounds every model shares (the registry's check, here with the flags' names); what
    /// depends on the model or a saved configuration is checked by ``HyperparameterSource``.
    func validate() throws {
        do { try modelOptions.validate() } catch let error as RecommenderError { throw ValidationError(cliMessage(error)) }
    }

}

/// Where a command's hyperparameters come from: the command line (``HyperparameterOptions``)
/// and, for train and evaluate, a configuration saved by `rectrain tune` (``ModelSettings``).
protocol HyperparameterSource {
    /// The values given on the command line.
    var values: HyperparameterOptions { get }
    /// The configuration of --config, nil without one.
    func tunedConfiguration() throws -> TunedConfiguration?
}

extension HyperparameterOptions: HyperparameterSource {
    var values: HyperparameterOptions { self }
    func tunedConfiguration() throws -> TunedConfiguration? { nil }
}

extension HyperparameterSource {
    /// The hyperparameters: the saved configuration's, overridden by those given on the command line.
    var effectiveOptions: ModelOptions {
        let saved = ((try? tunedConfiguration()) ?? nil).flatMap { try? $0.options() } ?? ModelOptions()
        return saved.overridden(by: values.modelOptions)
    }

    /// The model named by a saved configuration, when there is one.
    var configuredModel: String? { (try? tunedConfiguration())??.model }

    /// The value column: --value-column, else the saved configuration's.
    var effectiveValueColumn: String? { values.valueColumn ?? ((try? tunedConfiguration()) ?? nil)?.valueColumn }

    /// What the data loader keeps: the value column when ALS's confidence comes from values
    /// ("" for the default column), nil otherwise.
    var keptValueColumn: String? {
        if case .values? = effectiveOptions.confidence { return effectiveValueColumn ?? "" }
        return nil
    }

    /// Confidence from values: every row's value finite and ≥ 0 (a play count), every pair's sum
    /// finite; a warning when every pair still has strength 1 (the binary model).
    func checkValues(_ data: TrainingData, _ global: GlobalOptions) throws {
        guard keptValueColumn != nil, let confidence = effectiveOptions.confidence else { return }
        let column = effectiveValueColumn ?? "rating", t = data.interactions
        func pair(_ u: Int, _ i: Int) -> String { "user \(t.userIDs.id(at: u)), item \(t.itemIDs.id(at: i))" }
        if let r = t.values.indices.first(where: { !(t.values[$0] >= 0 && t.values[$0].isFinite) }) {
            throw ValidationError("--confidence \(confidence): the \(column) value of \(pair(Int(t.users[r]), Int(t.items[r]))) is \(t.values[r]); counts must be finite and ≥ 0")
        }
        let s = data.strengths
        for u in 0..<s.rows {
            let row = s.row(u)
            if let q = row.values.indices.first(where: { !row.values[$0].isFinite }) {
                throw ValidationError("--confidence \(confidence): the \(column) values of \(pair(u, Int(row.columns[q]))) add up past the largest single-precision number")
            }
        }
        if s.values.allSatisfy({ $0 == 1 }) {
            global.warn("--confidence \(confidence): every pair's \(column) value is 1 and no pair repeats, so confidence is the binary matrix's")
        }
    }

    /// Refuses a hyperparameter that `model` does not read (it would be silently ignored), a
    /// value column without confidence from values, and a configuration tuned for another model.
    func checkUsed(by model: String) throws {
        if let tuned = try tunedConfiguration(), tuned.model != model {
            throw ValidationError("--config holds hyperparameters of the \(tuned.model) model, not of \(model)")
        }
        if values.valueColumn != nil, keptValueColumn == nil {
            throw ValidationError("--value-column has no effect without --confidence linear or log")
        }
        do {
            try effectiveOptions.validate()
            try ModelKind(model).checkUsed(effectiveOptions)
        } catch let error as RecommenderError { throw ValidationError(cliMessage(error)) }
    }

    /// "factors 17, regularization 6.7, …": every hyperparameter the model reads, with the
    /// value it trains with (its default where none is given).
    func effectiveDescription(for model: String) -> String {
        let o = effectiveOptions, kind = ModelKind(model)
        return kind.hyperparameters.map { p in "\(HyperparameterOptions.flag(p.rawValue).dropFirst(2)) \(o.text(of: p) ?? kind.defaultValue(of: p) ?? "-")" }
            .joined(separator: ", ")
    }
}

/// The hyperparameters of train and evaluate: the command line's and a configuration saved by
/// `rectrain tune --output` (--config).
struct ModelSettings: ParsableArguments, HyperparameterSource {
    @OptionGroup var values: HyperparameterOptions
    @Option(help: "A configuration saved by `rectrain tune --output`: its model (when --model is not given), hyperparameters and value column; a hyperparameter given on the command line overrides the file's.")
    var config: String?

    func tunedConfiguration() throws -> TunedConfiguration? {
        guard let config else { return nil }
        var isDirectory: ObjCBool = false
        guard !config.isEmpty, FileManager.default.fileExists(atPath: config, isDirectory: &isDirectory) else {
            throw ValidationError("--config \(config.isEmpty ? "\"\"" : config): no such file")
        }
        guard !isDirectory.boolValue else { throw ValidationError("--config \(config): a folder, not a configuration file") }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: config)) } catch {
            throw ValidationError("--config \(config): cannot read the file (\((error as NSError).localizedDescription))")
        }
        let tuned: TunedConfiguration
        do { tuned = try JSONDecoder().decode(TunedConfiguration.self, from: data) } catch {
            throw ValidationError("--config \(config): not a configuration written by `rectrain tune --output` (\(jsonProblem(error)))")
        }
        // Values of the wrong type and out of range alike name the file they came from.
        do { try tuned.options().validate() } catch let error as RecommenderError {
            throw ValidationError("--config \(config): \(cliMessage(error))")
        }
        return tuned
    }

    func validate() throws { _ = try tunedConfiguration() }
}

/// A library error in the command line's words: hyperparameters and arguments by their flags.
func cliMessage(_ error: RecommenderError) -> String {
    switch error {
    case let .invalidParameter(_, name, value, expected):
        return "invalid \(HyperparameterOptions.flag(name)) \(value): expected \(expected)"
    case let .unusedParameter(model, name, reads):
        let takes = reads.isEmpty ? "it takes no hyperparameters" : "it takes " + reads.map(HyperparameterOptions.flag).joined(separator: ", ")
        return "\(HyperparameterOptions.flag(name)) has no effect on the \(model) model (\(takes))"
    case let .notSessionModel(model):
        return "--session needs a session model; this file holds the \(model) model"
    case .missingMetadata:
        return error.description + " (give --items with genres)"
    default:
        return error.description
    }
}

/// The size of a generated world (generate and pipeline).
struct WorldOptions: ParsableArguments {
    @Option(help: "Users.") var users = 5_000
    @Option(help: "Titles (movies and shows).") var titles = 2_000
    @Option(help: "Viewing interactions (rows of interactions.csv).") var interactions = 100_000
    @Option(help: "Browsing sessions.") var sessions = 60_000

    func configuration(seed: UInt64) -> SyntheticWorldConfiguration {
        SyntheticWorldConfiguration(users: users, titles: titles, interactions: interactions, sessions: sessions, seed: seed)
    }
}

extension DataFormat: ExpressibleByArgument {}

/// A comma-separated list of ids.
func idList(_ text: String) -> [String] {
    text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

/// Seconds since `start`.
func seconds(since start: Date) -> Double { Date().timeIntervalSince(start) }

extension ConfidenceSource: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public var defaultValueDescription: String { description }
}

/// What is wrong with a JSON document, in one line: the key path and the problem.
func jsonProblem(_ error: any Error) -> String {
    guard let error = error as? DecodingError else { return "\(error)" }
    func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        return keys.isEmpty ? "" : " at \(keys)"
    }
    switch error {
    case let .keyNotFound(key, context): return "missing key \"\(key.stringValue)\"\(path(context))"
    case let .typeMismatch(_, context), let .valueNotFound(_, context): return "wrong type\(path(context)): \(context.debugDescription)"
    case let .dataCorrupted(context): return "invalid JSON\(path(context)): \(context.underlyingError.map { "\($0)" } ?? context.debugDescription)"
    @unknown default: return "\(error)"
    }
}
