import ArgumentParser
import DenseLinalg
import Distributed
import Factorization
import Foundation
import KernelBench
import Recommend

/// `bench --kernel als --distributed`: distributed implicit ALS timed per iteration and rank.
extension Bench {
    /// One rank's record of one iteration.
    struct RankIteration: Codable {
        var rank: Int
        var iteration: Int
        var seconds: Double
        var computeSeconds: Double
        var communicationSeconds: Double
        var bytesSent: Int
    }

    func runDistributedBench(_ bench: KernelBenchmark) throws {
        try runUnderMPI { mpi in
            let communicator = MeasuredCommunicator(mpi)
            let rank = communicator.rank, size = communicator.size
            try communicator.requireSame("als, \(bench.factors) factors, \(bench.iterations) iterations, regularization \(bench.regularization), alpha \(bench.alpha), seed \(bench.seed), input \(DistributedRatings.fingerprint(path: data!))", "the settings")
            let loadStart = Date()
            var options = RatingsCSVOptions(implicit: true)
            options.keepTimestamps = false
            let shard = try DistributedRatings.load(path: data!, options: options, communicator: communicator)
            let users = shard.userIDs.count, items = shard.itemIDs.count
            if rank == 0 && !json {
                global.log(String(format: "loaded %@ users × %@ items, %@ rows on %d ranks in %.2f s", users.formatted(), items.formatted(),
                                  shard.totalRows.formatted(), size, seconds(since: loadStart)))
            }
            let config = bench.alsConfiguration
            var records: [RankIteration] = []
            let fitStart = Date()
            var last = (time: Date(), communication: communicator.seconds, bytes: communicator.bytesSent)
            let result = try DistributedImplicitALS.fit(
                userIndices: shard.users, itemIndices: shard.items, values: shard.values, users: users, items: items,
                configuration: config, communicator: communicator, duplicates: .one) { state in
                    let now = Date()
                    let elapsed = now.timeIntervalSince(last.time), communication = communicator.seconds - last.communication
                    records.append(RankIteration(rank: rank, iteration: state.iterations, seconds: elapsed,
                                                 computeSeconds: elapsed - communication, communicationSeconds: communication,
                                                 bytesSent: communicator.bytesSent - last.bytes))
                    last = (Date(), communicator.seconds, communicator.bytesSent)
                }
            let totalSeconds = seconds(since: fitStart)
            let shares = try communicator.allGather([Int64(result.users.count), Int64(result.items.count), Int64(result.userRows.nnz)])
            if rank == 0 && !json && !global.quiet {
                for (r, s) in shares.enumerated() {
                    print("rank \(r): \(s[0].formatted()) users (\(s[2].formatted()) interactions), \(s[1].formatted()) items")
                }
            }
            // The alternative: each half, every rank sends its whole shard of the fixed side to every other rank.
            let allGatherBytes = (result.users.count + result.items.count) * config.factors * 4 * (size - 1)
            let encoded = try JSONEncoder().encode(records)
            let everyone = try communicator.allGather([UInt8](encoded))
            var alternatives = [Double](repeating: 0, count: size)
            alternatives[rank] = Double(allGatherBytes)
            try communicator.allReduceSum(&alternatives)
            guard rank == 0 else { return }
            let all = try everyone.flatMap { try JSONDecoder().decode([RankIteration].self, from: Data($0)) }
            report(all, alternatives: alternatives, ranks: size, totalSeconds: totalSeconds, nnz: shard.totalRows, users: users, items: items,
                   config: config)
        }
    }

    func report(_ all: [RankIteration], alternatives: [Double], ranks: Int, totalSeconds: Double, nnz: Int, users: Int, items: Int,
                config: ImplicitALSConfiguration) {
        let iterations = Set(all.map(\.iteration)).sorted()
        // Iteration 1 also moves the interactions to their owners and builds the routing: the
        // steady state is iterations 2 on (iteration 1 alone when it is the only one).
        let steadyIterations = iterations.count > 1 ? Array(iterations.dropFirst()) : iterations
        let steadyRecords = all.filter { steadyIterations.contains($0.iteration) }
        func medianOf(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        // An iteration lasts as long as its slowest rank.
        let median = medianOf(steadyIterations.map { i in all.filter { $0.iteration == i }.map(\.seconds).max()! })
        // Medians over ranks and steady iterations.
        let compute = medianOf(steadyRecords.map(\.computeSeconds)), communication = medianOf(steadyRecords.map(\.communicationSeconds))
        let bytesPerRank = (0..<ranks).map { r in medianOf(steadyRecords.filter { $0.rank == r }.map { Double($0.bytesSent) }) }
        let span = steadyIterations.count > 1 ? "iterations \(steadyIterations.first!)–\(steadyIterations.last!)" : "iteration \(steadyIterations[0])"
        if json {
            struct Summary: Encodable {
                var kernel = "als", ranks: Int, users: Int, items: Int, nnz: Int, factors: Int, iterations: Int, threads_per_rank: Int
                var seconds_per_iteration: Double, compute_seconds: Double, communication_seconds: Double, total_seconds: Double
                var bytes_sent_per_rank_per_iteration: [Double], all_gather_bytes_per_rank_per_iteration: [Double]
                var per_rank_iterations: [RankIteration]
            }
            let summary = Summary(ranks: ranks, users: users, items: items, nnz: nnz, factors: config.factors, iterations: config.iterations,
                                  threads_per_rank: config.threads, seconds_per_iteration: median, compute_seconds: compute,
                                  communication_seconds: communication, total_seconds: totalSeconds, bytes_sent_per_rank_per_iteration: bytesPerRank,
                                  all_gather_bytes_per_rank_per_iteration: alternatives, per_rank_iterations: all)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: (try? encoder.encode(summary)) ?? Data(), as: UTF8.self))
            return
        }
        if !global.quiet {
            print("iteration  rank  seconds  compute  communication  bytes sent")
            for r in all.sorted(by: { ($0.iteration, $0.rank) < ($1.iteration, $1.rank) }) {
                print(String(format: "%9d  %4d  %7.3f  %7.3f  %13.3f  %@", r.iteration, r.rank, r.seconds, r.computeSeconds,
                             r.communicationSeconds, r.bytesSent.formatted()))
            }
        }
        print(String(format: "als on %@ × %@: median %.4f s per iteration (slowest rank, %@; fit with set-up %.2f s); per rank and iteration (medians) compute %.4f s, communication %.4f s (time in collectives, waiting for other ranks included)",
                     plural(ranks, "rank"), plural(config.threads, "thread"), median, span, totalSeconds, compute, communication))
        let sent = bytesPerRank.reduce(0, +), alternative = alternatives.reduce(0, +)
        print(String(format: "bytes sent per iteration (medians, %@): %@ over all ranks (per rank %@); all-gather of every factor: %@ (%.3f×)",
                     span, Int(sent).formatted(), bytesPerRank.map { Int($0).formatted() }.joined(separator: ", "), Int(alternative).formatted(),
                     alternative > 0 ? sent / alternative : 0))
    }
}

/// "1 rank", "2 ranks".
func plural(_ count: Int, _ noun: String) -> String { "\(count.formatted()) \(noun)\(count == 1 ? "" : "s")" }
