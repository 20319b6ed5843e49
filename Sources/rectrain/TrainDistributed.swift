import ArgumentParser
import DenseLinalg
import Distributed
import DistributedMPI
import Factorization
import Foundation
import Recommend

/// `train --distributed` and its options (docs/distributed.md).
struct DistributedOptions: ParsableArguments {
    @Flag(help: "Train on every rank of an MPI job: mpirun -np N rectrain train --distributed … (models als, als-explicit). Each rank reads its share of --data (a CSV file, cut at line boundaries, or a folder of CSV part files) and holds only its users' and items' rows; rank 0 writes --output.")
    var distributed = false
    @Option(help: "With --distributed: write every rank's factor shard into this folder every --checkpoint-every iterations (atomically; a file is whole or absent).")
    var checkpoint: String?
    @Option(parsing: .unconditional, help: "With --checkpoint: iterations between checkpoints, default 1 (the last iteration is always checkpointed).")
    var checkpointEvery: Int?
    @Flag(help: "With --checkpoint: go on from the last iteration every rank checkpointed, ending with the factors of an uninterrupted run. The checkpoints must come from the same model, hyperparameters, seed, --threads, input files and number of ranks (other options may differ); without a complete checkpoint training starts from the beginning, with a warning.")
    var resume = false
    @Option(help: "With --distributed: also write each rank's users' top-N lists (excluding their training titles) as CSV part files part-R.csv (user,rank,item,score) into this folder.")
    var recommendAll: String?
    @Option(parsing: .unconditional, help: "With --recommend-all: titles per user, default 10.")
    var recommendCount: Int?

    var every: Int { checkpointEvery ?? 1 }
    var count: Int { recommendCount ?? 10 }

    func validate(train: Train) throws {
        guard distributed else {
            for (set, name) in [(checkpoint != nil, "--checkpoint"), (resume, "--resume"), (recommendAll != nil, "--recommend-all")] where set {
                throw ValidationError("\(name) needs --distributed")
            }
            return
        }
        if checkpointEvery != nil && checkpoint == nil { throw ValidationError("--checkpoint-every needs --checkpoint DIR") }
        if recommendCount != nil && recommendAll == nil { throw ValidationError("--recommend-count needs --recommend-all DIR") }
        guard ["als", "als-explicit"].contains(train.model) else {
            throw ValidationError("--distributed trains als or als-explicit, not \(train.model)")
        }
        guard train.feedback == nil, train.items == nil else { throw ValidationError("--distributed reads ratings only: --feedback and --items are not supported") }
        guard [.auto, .csv].contains(train.format) else { throw ValidationError("--distributed reads a ratings CSV or a folder of CSV part files (--format csv)") }
        guard every > 0 else { throw ValidationError("--checkpoint-every must be positive, got \(every)") }
        guard !resume || checkpoint != nil else { throw ValidationError("--resume needs --checkpoint DIR") }
        guard count > 0 else { throw ValidationError("--recommend-count must be positive, got \(count)") }
        // Settings the solvers refuse, refused before any data is read.
        do {
            if train.model == "als" { try ALSRecommender.make(train.hyper.effectiveOptions).configuration.validate() }
            else { try ExplicitALSRecommender.make(train.hyper.effectiveOptions).configuration.validate() }
        } catch let error as FactorizationError {
            throw ValidationError("\(error)")
        }
        for (option, folder) in [("--export-npy", train.exportNpy), ("--recommend-all", recommendAll), ("--checkpoint", checkpoint)] {
            if let folder { try checkFolder(folder, option: option, mustExist: option == "--checkpoint" && resume) }
        }
    }
}

extension Train {
    /// Distributed training: every rank runs this with the same arguments under mpirun.
    func runDistributed() throws { try runUnderMPI { try trainDistributed($0) } }

    /// What every rank must agree on: the model, its hyperparameters, the seed and the input
    /// files (names and sizes), whatever the order or spelling of the options.
    var trainingSettings: String {
        let o = hyper.effectiveOptions
        let values: [(String, String?)] = [("factors", o.factors.map { "\($0)" }), ("iterations", o.iterations.map { "\($0)" }),
                                           ("regularization", o.regularization.map { "\($0)" }), ("alpha", o.alpha.map { "\($0)" })]
        return "model \(model), " + values.map { "\($0.0) \($0.1 ?? "default")" }.joined(separator: ", ")
            + ", seed \(global.seed), input \(DistributedRatings.fingerprint(path: data))"
    }

    /// What a checkpoint belongs to: the training settings and the threads (a row block's
    /// rounding depends on them, so an uninterrupted run's factors need the same).
    var checkpointSettings: String { trainingSettings + ", threads \(global.threads)" }

    func trainDistributed(_ communicator: some Communicator) throws {
        let rank = communicator.rank, size = communicator.size
        func log(_ line: String) { if rank == 0 { global.log(line) } }
        try communicator.requireSame(trainingSettings, "the settings")
        try communicator.agree(Result { if rank == 0 { try checkOutput(output, notOver: data) } })
        let start = Date()
        let explicit = model == "als-explicit"
        var options = RatingsCSVOptions(implicit: !explicit)
        options.requireRating = explicit
        options.keepTimestamps = explicit  // the latest rating of a pair wins, by timestamp
        let shard = try DistributedRatings.load(path: data, options: options, communicator: communicator)
        let users = shard.userIDs.count, items = shard.itemIDs.count
        log(String(format: "loaded %@ users × %@ items, %@ interactions on %@ in %.2f s (rank 0 parsed %@)", users.formatted(),
                   items.formatted(), shard.totalRows.formatted(), plural(size, "rank"), seconds(since: start), plural(shard.users.count, "row")))
        let fitStart = Date()
        var resume: ShardState?
        if distributed.resume, let folder = distributed.checkpoint {
            try communicator.agree(Result {
                let counts = ShardCheckpoint.rankCounts(in: folder)
                if !counts.isEmpty && !counts.contains(size) {
                    throw ValidationError("--resume: the checkpoints in \(folder) were written by \(counts.sorted().map(String.init).joined(separator: " or ")) ranks; this job has \(size)")
                }
            })
            if let iteration = try ShardCheckpoint.latestComplete(folder: folder, communicator: communicator) {
                resume = try communicator.agree(Result {
                    try ShardCheckpoint.read(folder: folder, iteration: iteration, settings: checkpointSettings, rank: rank, size: size)
                })
                log("resuming from the checkpoint of iteration \(iteration) in \(folder)")
            } else if rank == 0 {
                global.warn("--resume: no checkpoint that all \(size) ranks wrote in \(folder): training from the start")
            }
        }
        var lastIteration = Date()
        func iterationDone(_ iterations: Int, of total: Int, _ state: @autoclosure () -> ShardState) throws {
            let loss = global.verbose ? state().lossHistory.last.map { String(format: ", loss %.6g", $0) } ?? "" : ""
            log(String(format: "iteration %d of %d: %.2f s%@", iterations, total, seconds(since: lastIteration), loss))
            lastIteration = Date()
            if let folder = distributed.checkpoint, iterations % distributed.every == 0 || iterations == total {
                try ShardCheckpoint.write(state(), settings: checkpointSettings, folder: folder, communicator: communicator)
            }
        }
        let trained: TrainedShard
        if explicit {
            let recommender = try ExplicitALSRecommender.make(hyper.effectiveOptions)
            var config = recommender.trainingConfiguration(users: users, items: items, compute: global.compute, seed: global.seed)
            config.trackLoss = global.verbose
            let result = try DistributedExplicitALS.fit(
                userIndices: shard.users, itemIndices: shard.items, values: shard.values, timestamps: shard.timestamps, users: users,
                items: items, configuration: config, communicator: communicator, resume: resume) { state in
                    try iterationDone(state.iterations, of: config.iterations, state.state)
                }
            trained = TrainedShard(users: result.users, items: result.items, userFactors: result.userFactors, itemFactors: result.itemFactors,
                                   userRows: result.userRows, userBias: result.userBias, itemBias: result.itemBias,
                                   globalMean: result.globalMean) { u, v, bu, bi in
                ExplicitALSRecommender(model: ExplicitALSModel(globalMean: result.globalMean, userBias: bu, itemBias: bi, userFactors: u,
                                                               itemFactors: v, ratingScale: result.ratingScale, lossHistory: result.lossHistory),
                                       configuration: recommender.configuration)
            }
        } else {
            var config = try ALSRecommender.make(hyper.effectiveOptions)
                .trainingConfiguration(users: users, items: items, compute: global.compute, seed: global.seed)
            config.trackLoss = global.verbose  // the global loss each iteration (costs one pass and two all-reduces)
            let result = try DistributedImplicitALS.fit(
                userIndices: shard.users, itemIndices: shard.items, values: shard.values, users: users, items: items,
                configuration: config, communicator: communicator, duplicates: .one, resume: resume) { state in
                    try iterationDone(state.iterations, of: config.iterations, state.state)
                }
            trained = TrainedShard(users: result.users, items: result.items, userFactors: result.userFactors, itemFactors: result.itemFactors,
                                   userRows: result.userRows, userBias: [], itemBias: []) { u, v, _, _ in
                ALSRecommender(model: ImplicitALSModel(userFactors: u, itemFactors: v, configuration: config, lossHistory: result.lossHistory))
            }
        }
        let fitSeconds = seconds(since: fitStart)
        try writeDistributed(trained, shard: shard, communicator)
        if rank == 0 {
            let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
            print(String(format: "✓ Trained %@ on %@ in %.2f s; saved %@ (%.1f MiB)", model, plural(communicator.size, "rank"), fitSeconds, output,
                         Double(size) / 1_048_576))
        }
    }

    /// Rank 0's model file (gathering every rank's factor rows, biases and interactions), each
    /// rank's .npy shard and top-N part file.
    func writeDistributed(_ trained: TrainedShard, shard: RatingsShard, _ communicator: some Communicator) throws {
        let rank = communicator.rank
        let userFactors = try communicator.gatherRows(trained.userFactors)
        let itemFactors = try communicator.gatherRows(trained.itemFactors)
        let userBias = try communicator.gather(trained.userBias), itemBias = try communicator.gather(trained.itemBias)
        // The history: ranks own consecutive user blocks, so their CSR rows concatenate.
        let rows = trained.userRows
        let counts = try communicator.gather((0..<rows.rows).map { Int32(rows.rowPointers[$0 + 1] - rows.rowPointers[$0]) })
        let columns = try communicator.gather(rows.columnIndices)
        try communicator.agree(Result {
            guard rank == 0, let userFactors, let itemFactors, let userBias, let itemBias, let counts, let columns else { return }
            var rowIndices = [Int32](); rowIndices.reserveCapacity(columns.count)
            for (u, n) in counts.enumerated() { rowIndices.append(contentsOf: repeatElement(Int32(u), count: Int(n))) }
            let history = try SparseMatrix(rows: shard.userIDs.count, columns: shard.itemIDs.count, rowIndices: rowIndices,
                                           columnIndices: columns, values: [Float](repeating: 1, count: columns.count), duplicates: .one)
            let saved = SavedModel(model: trained.model(userFactors, itemFactors, userBias, itemBias), userIDs: shard.userIDs,
                                   itemIDs: shard.itemIDs, titles: [String](repeating: "", count: shard.itemIDs.count), history: history)
            try saved.write(to: output)
        })
        if let folder = exportNpy {
            try communicator.agree(Result {
                try prepareFolder(folder, ranks: communicator.size, removing: ["user_factors.rank-", "item_factors.rank-", "user_bias.rank-", "item_bias.rank-", "shard.rank-"])
                if !trained.userBias.isEmpty {
                    try NpyFile.write(try Matrix(rows: trained.userBias.count, columns: 1, elements: trained.userBias), to: folder + "/user_bias.rank-\(rank).npy")
                    try NpyFile.write(try Matrix(rows: trained.itemBias.count, columns: 1, elements: trained.itemBias), to: folder + "/item_bias.rank-\(rank).npy")
                }
                try NpyFile.write(trained.userFactors, to: folder + "/user_factors.rank-\(rank).npy")
                try NpyFile.write(trained.itemFactors, to: folder + "/item_factors.rank-\(rank).npy")
                let mean = trained.globalMean.map { ", \"global_mean\": \($0)" } ?? ""
                let description = """
                {"rank": \(rank), "ranks": \(communicator.size), "users": [\(trained.users.lowerBound), \(trained.users.upperBound)], \
                "items": [\(trained.items.lowerBound), \(trained.items.upperBound)], "factors": \(trained.userFactors.columns)\(mean)}\n
                """
                try AtomicFile.write(description, to: folder + "/shard.rank-\(rank).json")
                if rank == 0 {
                    try AtomicFile.write(shard.userIDs.ids.joined(separator: "\n") + "\n", to: folder + "/user_ids.txt")
                    try AtomicFile.write(shard.itemIDs.ids.joined(separator: "\n") + "\n", to: folder + "/item_ids.txt")
                }
            })
            if rank == 0 { global.log("wrote each rank's factor shard to \(folder) (user_factors.rank-R.npy, item_factors.rank-R.npy, shard.rank-R.json; rows in the order of user_ids.txt, item_ids.txt)") }
        }
        if let folder = distributed.recommendAll {
            // Scoring needs every item's factors (and biases) on every rank.
            let allItems = try communicator.allGather(trained.itemFactors.elements).flatMap { $0 }
            let allItemBias = try communicator.allGather(trained.itemBias).flatMap { $0 }
            let summary = try communicator.agree(Result {
                try prepareFolder(folder, ranks: communicator.size, removing: ["part-"])
                let items = try Matrix(rows: shard.itemIDs.count, columns: trained.itemFactors.columns, elements: allItems)
                let local = SavedModel(model: trained.model(trained.userFactors, items, trained.userBias, allItemBias),
                                       userIDs: IDMap(trained.users.map { shard.userIDs.id(at: $0) }), itemIDs: shard.itemIDs,
                                       titles: [String](repeating: "", count: shard.itemIDs.count), history: trained.userRows)
                return try BatchTopN.write(local, to: folder + "/part-\(rank).csv", count: distributed.count, threads: global.threads)
            })
            var totals = [Double(summary.users), Double(summary.rows)]
            try communicator.allReduceSum(&totals)
            if rank == 0 { global.log("wrote the top \(distributed.count) of \(Int(totals[0]).formatted()) users (\(Int(totals[1]).formatted()) rows) as \(communicator.size) part files in \(folder)") }
        }
    }
}

/// One rank's trained share, whichever ALS trained it, and how to make the model from rows.
struct TrainedShard {
    var users: Range<Int>
    var items: Range<Int>
    var userFactors: Matrix<Float>
    var itemFactors: Matrix<Float>
    var userRows: SparseMatrix
    var userBias: [Float]
    var itemBias: [Float]
    /// Explicit ALS's global mean μ (nil for implicit ALS).
    var globalMean: Float? = nil
    /// The recommender over these user rows and item rows (factors, then biases; empty biases
    /// for implicit ALS).
    var model: (Matrix<Float>, Matrix<Float>, [Float], [Float]) -> any Recommender
}

/// Runs `body` on this rank of an MPI job (every rank runs the same command): MPI is started
/// and ended here. A failure every rank agreed on (``DistributedFailure``) ends every rank
/// cleanly with that message and exit status 1; a failure only this rank saw aborts the job
/// (the others may be waiting in a collective), so no rank ever hangs.
func runUnderMPI(_ body: (MPICommunicator) throws -> Void) throws {
    guard StartupEnvironment.mpiLaunched else {
        throw ValidationError("--distributed runs under an MPI launcher (mpirun -np N rectrain … --distributed): this process was not started by one (OMPI_COMM_WORLD_SIZE, PMI_SIZE and PMIX_RANK are unset)")
    }
    let communicator = try MPICommunicator.initialize()
    do {
        try body(communicator)
        communicator.finalize()
    } catch let failure as DistributedFailure {
        communicator.finalize()
        throw failure
    } catch {
        FileHandle.standardError.write(Data("rectrain: error: rank \(communicator.rank) of \(communicator.size): \(error)\n".utf8))
        communicator.abort(code: 1)
    }
}

/// Refuses an output folder that cannot be used, before any work: an existing path must be a
/// writable folder; a new one needs an existing, writable parent (it is created when written,
/// so a run that fails early leaves nothing behind). `mustExist`: the folder must be there.
func checkFolder(_ folder: String, option: String, mustExist: Bool = false) throws {
    let manager = FileManager.default
    var isDirectory: ObjCBool = false
    if manager.fileExists(atPath: folder, isDirectory: &isDirectory) {
        guard isDirectory.boolValue else { throw ValidationError("\(option) \(folder): exists and is not a folder") }
        guard manager.isWritableFile(atPath: folder) else { throw ValidationError("\(option) \(folder): the folder is not writable") }
        return
    }
    if mustExist { throw ValidationError("\(option) \(folder): no such folder (nothing to resume from)") }
    let parent = URL(fileURLWithPath: folder).deletingLastPathComponent().path
    guard manager.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw ValidationError("\(option) \(folder): its folder \(parent) does not exist")
    }
    guard manager.isWritableFile(atPath: parent) else { throw ValidationError("\(option) \(folder): cannot create it, \(parent) is not writable") }
}

/// Creates `folder` if needed and removes what an earlier job with more ranks left in it: files
/// named `PREFIX` + a rank ≥ `ranks` (each rank removes what it sees; on a shared folder the
/// removals overlap harmlessly).
func prepareFolder(_ folder: String, ranks: Int, removing prefixes: [String]) throws {
    do {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    } catch {
        throw DataError(file: folder, reason: "cannot create the folder (\((error as NSError).localizedDescription))")
    }
    for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
        guard let prefix = prefixes.first(where: { name.hasPrefix($0) }),
              let stale = Int(name.dropFirst(prefix.count).prefix(while: \.isNumber)), stale >= ranks else { continue }
        try? FileManager.default.removeItem(atPath: folder + "/" + name)
    }
}
