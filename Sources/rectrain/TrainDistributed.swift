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
    @Option(parsing: .unconditional, help: "Iterations between checkpoints (default 1).")
    var checkpointEvery = 1
    @Flag(help: "With --checkpoint: go on from the last iteration every rank checkpointed (same options and ranks), ending with the factors of an uninterrupted run.")
    var resume = false
    @Option(help: "With --distributed: also write each rank's users' top-N lists (excluding their training titles) as CSV part files part-R.csv (user,rank,item,score) into this folder.")
    var recommendAll: String?
    @Option(parsing: .unconditional, help: "Titles per user for --recommend-all (default 10).")
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
    func runDistributed() throws {
        guard StartupEnvironment.mpiLaunched else {
            throw ValidationError("--distributed runs under an MPI launcher (mpirun -np N rectrain train --distributed …): this process was not started by one (OMPI_COMM_WORLD_SIZE, PMI_SIZE and PMIX_RANK are unset)")
        }
        let communicator = try MPICommunicator.initialize()
        do {
            try trainDistributed(communicator)
            communicator.finalize()
        } catch let failure as DistributedFailure {
            // Every rank threw the same error at the same collective: all end cleanly, non-zero.
            communicator.finalize()
            throw failure
        } catch {
            // Only this rank failed: the others may be waiting in a collective, so end the job.
            FileHandle.standardError.write(Data("rectrain: error: rank \(communicator.rank) of \(communicator.size): \(error)\n".utf8))
            communicator.abort(code: 1)
        }
    }

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
        let recommender = try kindRecommender()
        let config = recommender.trainingConfiguration(users: users, items: items, compute: global.compute, seed: global.seed)
        var lastIteration = Date()
        let result = try DistributedImplicitALS.fit(
            userIndices: shard.users, itemIndices: shard.items, values: shard.values, users: users, items: items,
            configuration: config, communicator: communicator, duplicates: .one, resume: resume) { state in
                log(String(format: "iteration %d of %d: %.2f s", state.iterations, config.iterations, seconds(since: lastIteration)))
                lastIteration = Date()
                if let folder = distributed.checkpoint, state.iterations % distributed.checkpointEvery == 0 || state.iterations == config.iterations {
                    try ShardCheckpoint.write(state.state, settings: checkpointSettings, folder: folder, communicator: communicator)
                }
            }
        let fitSeconds = seconds(since: fitStart)
        try writeDistributed(result, shard: shard, configuration: config, communicator)
        if rank == 0 {
            let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
            print(String(format: "✓ Trained %@ on %d ranks in %.2f s; saved %@ (%.1f MiB)", model, communicator.size, fitSeconds, output,
                         Double(size) / 1_048_576))
        }
    }

    func kindRecommender() throws -> ALSRecommender {
        try ALSRecommender.make(hyper.modelOptions)
    }

    /// Rank 0's model file (gathering every rank's factor rows and interactions), each rank's
    /// .npy shard and top-N part file.
    func writeDistributed(_ result: ImplicitALSShard, shard: RatingsShard, configuration: ImplicitALSConfiguration,
                          _ communicator: some Communicator) throws {
        let rank = communicator.rank
        let userFactors = try communicator.gatherRows(result.userFactors)
        let itemFactors = try communicator.gatherRows(result.itemFactors)
        // The history: ranks own consecutive user blocks, so their CSR rows concatenate.
        let rows = result.userRows
        let counts = try communicator.gather((0..<rows.rows).map { Int32(rows.rowPointers[$0 + 1] - rows.rowPointers[$0]) })
        let columns = try communicator.gather(rows.columnIndices)
        let saved: SavedModel? = try communicator.agree(Result {
            guard rank == 0, let userFactors, let itemFactors, let counts, let columns else { return nil }
            var rowIndices = [Int32](); rowIndices.reserveCapacity(columns.count)
            for (u, n) in counts.enumerated() { rowIndices.append(contentsOf: repeatElement(Int32(u), count: Int(n))) }
            let history = try SparseMatrix(rows: shard.userIDs.count, columns: shard.itemIDs.count, rowIndices: rowIndices,
                                           columnIndices: columns, values: [Float](repeating: 1, count: columns.count), duplicates: .one)
            let model = ALSRecommender(model: ImplicitALSModel(userFactors: userFactors, itemFactors: itemFactors, configuration: configuration,
                                                               lossHistory: result.lossHistory))
            let saved = SavedModel(model: model, userIDs: shard.userIDs, itemIDs: shard.itemIDs,
                                   titles: [String](repeating: "", count: shard.itemIDs.count), history: history)
            try saved.write(to: output)
            return saved
        })
        _ = saved
        if let folder = exportNpy {
            try communicator.agree(Result {
                try NpyFile.write(result.userFactors, to: folder + "/user_factors.rank-\(rank).npy")
                try NpyFile.write(result.itemFactors, to: folder + "/item_factors.rank-\(rank).npy")
                let description = """
                {"rank": \(rank), "ranks": \(communicator.size), "users": [\(result.users.lowerBound), \(result.users.upperBound)], \
                "items": [\(result.items.lowerBound), \(result.items.upperBound)], "factors": \(result.userFactors.columns)}\n
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
            // Scoring needs every item's factors on every rank (items × k floats each).
            let allItems = try communicator.allGather(result.itemFactors.elements).flatMap { $0 }
            let summary = try communicator.agree(Result {
                let items = try Matrix(rows: shard.itemIDs.count, columns: result.itemFactors.columns, elements: allItems)
                let model = ALSRecommender(model: ImplicitALSModel(userFactors: result.userFactors, itemFactors: items, configuration: configuration))
                let local = SavedModel(model: model, userIDs: IDMap(result.users.map { shard.userIDs.id(at: $0) }), itemIDs: shard.itemIDs,
                                       titles: [String](repeating: "", count: shard.itemIDs.count), history: result.userRows)
                return try BatchTopN.write(local, to: folder + "/part-\(rank).csv", count: distributed.recommendCount, threads: global.threads)
            })
            var totals = [Double(summary.users), Double(summary.rows)]
            try communicator.allReduceSum(&totals)
            if rank == 0 { global.log("wrote the top \(distributed.recommendCount) of \(Int(totals[0]).formatted()) users (\(Int(totals[1]).formatted()) rows) as \(communicator.size) part files in \(folder)") }
        }
    }
}
