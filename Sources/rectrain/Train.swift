import ArgumentParser
import DenseLinalg
import FeedbackStore
import Foundation
import Recommend
import Synchronization

struct Train: ParsableCommand, UsesGlobalOptions {
    static let configuration = CommandConfiguration(
        abstract: "Train one model (or a hybrid) and save it to a model file.",
        discussion: """
        --data is a ratings CSV (header with user and item columns, optional rating and \
        timestamp) or a folder: MovieLens 100K (u.data), a MovieLens CSV release (ratings.csv) or \
        a world written by `rectrain generate`. Ranking models use the binary interaction matrix; \
        als-explicit uses the ratings. The file is written atomically (a temporary file renamed \
        over --output), so an interrupted run never leaves a half-written model. Models: \
        \(Train.models.joined(separator: ", ")). Under mpirun, --distributed trains als or \
        als-explicit on every rank, each reading its share of the data (docs/distributed.md).
        """
    )

    @Option(help: "Ratings CSV file (or its binary form from `rectrain convert`), or a MovieLens or generated-world folder.") var data: String
    @Option(help: "Data format: \(DataFormat.allCases.map(\.rawValue).joined(separator: ", ")) (auto: a file is csv, a folder is recognised by its files).")
    var format: DataFormat = .auto
    @Option(help: "Item metadata CSV (id column, title, |-separated genres) for a ratings CSV; needed by content and used by hybrid.")
    var items: String?
    @Option(help: "A feedback store written by `rectrain serve`: its events are added after the data's rows (a pair in both takes the feedback's value). Rating models take only events of kind \"rating\", whose values must lie within the data's ratings.")
    var feedback: String?
    @Option(name: .customLong("model"), help: ArgumentHelp("Model: \(Train.models.joined(separator: ", ")). Optional with --config (the configuration's model).", valueName: "model"))
    var modelOption: String?
    /// --model, or the model of --config.
    var model: String { modelOption ?? hyper.configuredModel ?? "" }

    /// The models that can be saved, from the registry.
    static var models: [String] { ModelKind.allCases.filter(\.isPersistent).map(\.rawValue) }
    @OptionGroup(title: "Model hyperparameters") var hyper: ModelSettings
    @Option(help: "Model file to write.") var output: String
    @Option(help: "Also write the factor matrices as NumPy .npy files (user_factors.npy, item_factors.npy) into this folder (svd, nmf, als, als-explicit); with --distributed, each rank's shard (user_factors.rank-R.npy, item_factors.rank-R.npy, shard.rank-R.json).")
    var exportNpy: String?
    @OptionGroup(title: "Distributed training (docs/distributed.md)") var distributed: DistributedOptions
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if modelOption == nil {
            guard hyper.config != nil else { throw ValidationError("Missing expected argument '--model <model>'") }
            _ = try hyper.tunedConfiguration()
        }
        guard Train.models.contains(model) else {
            throw ValidationError("unknown model \"\(model)\": expected one of \(Train.models.joined(separator: ", "))")
        }
        try hyper.checkUsed(by: model)
        if exportNpy != nil && !["svd", "nmf", "als", "als-explicit"].contains(model) {
            throw ValidationError("--export-npy: the \(model) model has no factor matrices (svd, nmf, als, als-explicit have)")
        }
        try distributed.validate(train: self)
    }

    func run() throws {
        if distributed.distributed { return try runDistributed() }
        // Check the destination before spending time on training.
        try checkOutput(output, notOver: data, others: [("--items", items), ("--feedback", feedback)])
        let start = Date()
        let kind = ModelKind(model)
        let explicit = kind.task == .rating
        var recommender = try kind.makeRecommender(hyper.effectiveOptions)
        if let config = hyper.config { global.log("\(model) with --config \(config): \(hyper.effectiveDescription(for: model))") }
        var (dataset, sessions): (Dataset, Sessions?)
        do {
            (dataset, sessions) = try DataSource.load(path: data, format: format, items: items, ratings: explicit,
                                                      valueColumn: hyper.keptValueColumn, threads: global.threads,
                                                      timestamps: explicit || kind.readsRows || feedback != nil)
        } catch let error as DataError where error.argument == "format" {
            // The library names the format; the command line names its option.
            throw ValidationError("--format \(format.rawValue): \(error.reason) (\(error.file))")
        }
        if let feedback {
            var events = try readFeedback(feedback)
            if explicit {
                // A rating model learns ratings: only events of kind "rating", on the data's scale
                // (a view's value 1 is not a one-star rating; 1e6 would wreck the solve).
                let ratings = dataset.interactions.values
                let lo = ratings.min() ?? 1, hi = ratings.max() ?? 5
                let rated = events.filter { $0.kind == "rating" }
                if let bad = rated.first(where: { !(Float($0.value) >= lo && Float($0.value) <= hi) }) {
                    throw ValidationError("--feedback \(feedback): the rating of user \(bad.user) for item \(bad.item) is \(bad.value), outside the data's ratings \(lo.formatted())–\(hi.formatted())")
                }
                global.log("\(model) learns ratings: \(rated.count.formatted()) of \(events.count.formatted()) feedback events are of kind \"rating\"")
                events = rated
            }
            dataset = dataset.appending(events.map { ($0.user, $0.item, Float($0.value), $0.timestamp) })
            global.log("added \(events.count.formatted()) feedback events from \(feedback)")
        }
        var training = try TrainingData(dataset, sessions: sessions, compute: global.compute, seed: global.seed)
        try hyper.checkValues(training, global)
        global.log(String(format: "loaded %@ users × %@ items, %@ interactions in %.2f s", training.users.formatted(),
                          training.itemCount.formatted(), training.interactions.count.formatted(), seconds(since: start)))
        if !kind.readsRows {
            // The model learns from the matrices: the table (20 bytes a row) goes before training.
            dataset.interactions = Interactions()
            training.releaseRows()
        }
        let fitStart = Date()
        try recommender.fit(training)  // BLAS on --threads: main set it
        let fitSeconds = seconds(since: fitStart)
        if let hybrid = recommender as? HybridRecommender {
            let fallback = hybrid.learnWeights && !hybrid.weightsWereLearned
                ? " (fixed: too little data to learn them, no user has \(HybridRecommender.minimumValidationHistory) or more titles to hold out)" : ""
            global.log("hybrid weights: \(hybrid.weightsDescription)\(fallback)")
        }
        if let als = recommender as? ALSRecommender, let model = als.model {
            // Too large a λ for the data shrinks every factor towards 0: every user then gets
            // much the same list, scored about 0.
            let largest = { (m: Matrix<Float>) in m.elements.reduce(Float(0)) { max($0, abs($1)) } }
            let bound = largest(model.userFactors) * largest(model.itemFactors) * Float(model.userFactors.columns)
            if bound < 1e-6 {
                global.warn("ALS's factors shrank to about 0 (no score above \(bound)): λ = \(model.configuration.regularization) is too large for this data; give a smaller --regularization or run rectrain tune")
            }
        }
        let saved = SavedModel(model: recommender, data: training)
        try saved.write(to: output)
        if let exportNpy { try exportFactors(recommender, to: exportNpy) }
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        print(String(format: "✓ Trained %@ in %.2f s; saved %@ (%.1f MiB)", recommender.name, fitSeconds, output, Double(size) / 1_048_576))
    }

    /// The events of a feedback store, read without changing it.
    func readFeedback(_ path: String) throws -> [FeedbackEvent] {
        let events = Mutex<[FeedbackEvent]>([])
        do {
            try runBlocking { let read = try await FeedbackStore.readEvents(path: path); events.withLock { $0 = read } }
        } catch let error as FeedbackStoreError {
            throw ValidationError("--feedback \(error.description)")
        }
        return events.withLock { $0 }
    }

    func exportFactors(_ model: any Recommender, to folder: String) throws {
        guard let (users, items) = FactorExport.factors(of: model) else {
            throw ValidationError("--export-npy: the \(model.name) model has no factor matrices (svd, nmf, als, als-explicit have)")
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try NpyFile.write(users, to: folder + "/user_factors.npy")
        try NpyFile.write(items, to: folder + "/item_factors.npy")
        global.log("wrote \(folder)/user_factors.npy (\(users.rows)×\(users.columns)) and item_factors.npy (\(items.rows)×\(items.columns))")
    }
}

/// ``checkWritable(_:)``, and refuses an --output that is one of the input files (it would be
/// overwritten): the --data file, a file a loader reads inside the --data folder, or any other
/// input (`--items`, `--feedback`).
func checkOutput(_ output: String, notOver data: String, flag: String = "--data", others: [(flag: String, path: String?)] = []) throws {
    guard !output.isEmpty else { throw ValidationError("--output is empty: give a file path") }
    var isDirectory: ObjCBool = false
    if output.hasSuffix("/") || (FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory) && isDirectory.boolValue) {
        throw ValidationError("--output \(output) is a folder: give a file path")
    }
    try checkWritable(output)
    func resolved(_ path: String) -> URL { URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath() }
    let target = resolved(output)
    for (name, input) in [(flag, data)] + others.compactMap({ i in i.path.map { (i.flag, $0) } }) where target == resolved(input) {
        throw ValidationError("--output \(output) is the \(name) file: it would be overwritten")
    }
    // Inside a data folder: the files the MovieLens and world loaders read, and any table.
    if FileManager.default.fileExists(atPath: data, isDirectory: &isDirectory), isDirectory.boolValue,
       target.deletingLastPathComponent() == resolved(data) {
        let name = target.lastPathComponent
        let read = ["u.data", "u.item", "u.user", "u.genre", "u.occupation", "u.info", "ratings.csv", "movies.csv", "tags.csv", "links.csv",
                    "titles.csv", "users.csv", "interactions.csv", "sessions.csv"]
        if read.contains(name) || [".csv", ".tsv", ".dat", ".rmx"].contains(where: { name.lowercased().hasSuffix($0) }) {
            throw ValidationError("--output \(output) is a data file inside the \(flag) folder \(data): it would be overwritten")
        }
    }
}

/// Throws a one-line error when `path` cannot be written (missing or read-only folder).
func checkWritable(_ path: String) throws {
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw ValidationError("cannot write \(path): folder \(folder) does not exist")
    }
    guard FileManager.default.isWritableFile(atPath: folder) else {
        throw ValidationError("cannot write \(path): folder \(folder) is not writable")
    }
    // The file is replaced by a rename: never over a device, a folder or anything not a file.
    if let type = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType, type != .typeRegular {
        throw ValidationError("cannot write \(path): it exists and is not a regular file")
    }
}
