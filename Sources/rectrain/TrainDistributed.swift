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
    @Option(parsing: .unconditional, help: "Iterations between checkpoints (the last iteration is always checkpointed).")
    var checkpointEvery = 1
    @Flag(help: "With --checkpoint: go on from the last iteration every rank checkpointed (same options and ranks), ending with the factors of an uninterrupted run.")
    var resume = false
    @Option(help: "With --distributed: also write each rank's users' top-N lists (excluding their training titles) as CSV part files part-R.csv (user,rank,item,score) into this folder.")
    var recommendAll: String?
    @Option(parsing: .unconditional, help: "Titles per user for --recommend-all.")
    var recommendCount = 10

    func validate(train: Train) throws {
        guard distributed else {
            for (set, name) in [(checkpoint != nil, "--checkpoint"), (resume, "--resume"), (recommendAll != nil, "--recommend-all")] where set {
                throw ValidationError("\(name) needs --distributed")
            }
            return
        }
        guard ["als", "als-explicit"].contains(train.model) else {
            throw ValidationError("--distributed trains als or als-explicit, not \(train.model)")
        }
        guard train.feedback == nil, train.items == nil else { throw ValidationError("--distributed reads ratings only: --feedback and --items are not supported") }
        guard [.auto, .csv].contains(train.format) else { throw ValidationError("--distributed reads a ratings CSV or a folder of CSV part files (--format csv)") }
        guard checkpointEvery > 0 else { throw ValidationError("--checkpoint-every must be positive, got \(checkpointEvery)") }
        guard !resume || checkpoint != nil else { throw ValidationError("--resume needs --checkpoint DIR") }
        guard recommendCount > 0 else { throw ValidationError("--recommend-count must be positive, got \(recommendCount)") }
    }
}

extension Train {
    /// Distributed training: every rank runs this with the same arguments under mpirun.
    func runDistributed() throws { try runUnderMPI { try trainDistributed($0) } }

    /// The settings a checkpoint belongs to: the command line without the resume flag.
    var checkpointSettings: String {
        CommandLine.arguments.dropFirst().filter { $0 != "--resume" }.joined(separator: " ")
    }

    func trainDistributed(_ communicator: some Communicator) throws {
        let rank = communicator.rank, size = communicator.size
        func log(_ line: String) { if rank == 0 { global.log(line) } }
        try communicator.requireSame(checkpointSettings, "the command line")
        // Each rank's output folder must be writable before hours of training.
        try communicator.agree(Result {
            if rank == 0 { try checkOutput(output, notOver: data) }
            for folder in [exportNpy, distributed.recommendAll, distributed.checkpoint].compactMap({ $0 }) {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                guard FileManager.default.isWritableFile(atPath: folder) else { throw ValidationError("cannot write in \(folder)") }
            }
        })
        let start = Date()
        let explicit = model == "als-explicit"
        var options = RatingsCSVOptions(implicit: !explicit)
        options.requireRating = explicit
        options.keepTimestamps = explicit  // the latest rating of a pair wins, by timestamp
        let shard = try DistributedRatings.load(path: data, options: options, communicator: communicator)
        let users = shard.userIDs.count, items = shard.itemIDs.count
        log(String(format: "loaded %@ users × %@ items, %@ interactions on %d ranks in %.2f s (rank 0 parsed %@ rows)", users.formatted(),
                   items.formatted(), shard.totalRows.formatted(), size, seconds(since: start), shard.users.count.formatted()))
        let fitStart = Date()
        var resume: ShardState?
        if distributed.resume, let folder = distributed.checkpoint {
            if let iteration = try ShardCheckpoint.latestComplete(folder: folder, communicator: communicator) {
                resume = try communicator.agree(Result {
                    try ShardCheckpoint.read(folder: folder, iteration: iteration, settings: checkpointSettings, rank: rank, size: size)
                })
                log("resuming from the checkpoint of iteration \(iteration) in \(folder)")
            } else {
                log("no checkpoint that every rank wrote in \(folder): training from the start")
            }
        }
        var lastIteration = Date()
        func iterationDone(_ iterations: Int, of total: Int, _ state: @autoclosure () -> ShardState) throws {
            let loss = global.verbose ? state().lossHistory.last.map { String(format: ", loss %.6g", $0) } ?? "" : ""
            log(String(format: "iteration %d of %d: %.2f s%@", iterations, total, seconds(since: lastIteration), loss))
            lastIteration = Date()
            if let folder = distributed.checkpoint, iterations % distributed.checkpointEvery == 0 || iterations == total {
                try ShardCheckpoint.write(state(), settings: checkpointSettings, folder: folder, communicator: communicator)
            }
        }
        let trained: TrainedShard
        if explicit {
            let recommender = try ExplicitALSRecommender.make(hyper.modelOptions)
            var config = recommender.trainingConfiguration(users: users, items: items, compute: global.compute, seed: global.seed)
            config.trackLoss = global.verbose
            let result = try DistributedExplicitALS.fit(
                userIndices: shard.users, itemIndices: shard.items, values: shard.values, timestamps: shard.timestamps, users: users,
                items: items, configuration: config, communicator: communicator, resume: resume) { state in
                    try iterationDone(state.iterations, of: config.iterations, state.state)
                }
            trained = TrainedShard(users: result.users, items: result.items, userFactors: result.userFactors, itemFactors: result.itemFactors,
                                   userRows: result.userRows, userBias: result.userBias, itemBias: result.itemBias) { u, v, bu, bi in
                ExplicitALSRecommender(model: ExplicitALSModel(globalMean: result.globalMean, userBias: bu, itemBias: bi, userFactors: u,
                                                               itemFactors: v, ratingScale: result.ratingScale, lossHistory: result.lossHistory),
                                       configuration: recommender.configuration)
            }
        } else {
            var config = try ALSRecommender.make(hyper.modelOptions)
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
            print(String(format: "✓ Trained %@ on %d ranks in %.2f s; saved %@ (%.1f MiB)", model, communicator.size, fitSeconds, output,
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
                try NpyFile.write(trained.userFactors, to: folder + "/user_factors.rank-\(rank).npy")
                try NpyFile.write(trained.itemFactors, to: folder + "/item_factors.rank-\(rank).npy")
                let description = """
                {"rank": \(rank), "ranks": \(communicator.size), "users": [\(trained.users.lowerBound), \(trained.users.upperBound)], \
                "items": [\(trained.items.lowerBound), \(trained.items.upperBound)], "factors": \(trained.userFactors.columns)}\n
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
                let items = try Matrix(rows: shard.itemIDs.count, columns: trained.itemFactors.columns, elements: allItems)
                let local = SavedModel(model: trained.model(trained.userFactors, items, trained.userBias, allItemBias),
                                       userIDs: IDMap(trained.users.map { shard.userIDs.id(at: $0) }), itemIDs: shard.itemIDs,
                                       titles: [String](repeating: "", count: shard.itemIDs.count), history: trained.userRows)
                return try BatchTopN.write(local, to: folder + "/part-\(rank).csv", count: distributed.recommendCount, threads: global.threads)
            })
            var totals = [Double(summary.users), Double(summary.rows)]
            try communicator.allReduceSum(&totals)
            if rank == 0 { global.log("wrote the top \(distributed.recommendCount) of \(Int(totals[0]).formatted()) users (\(Int(totals[1]).formatted()) rows) as \(communicator.size) part files in \(folder)") }
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
