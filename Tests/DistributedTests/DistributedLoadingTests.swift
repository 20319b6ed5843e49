import Foundation
import Testing
import DenseLinalg
import Factorization
import Recommend
@testable import Distributed

@Suite struct DistributedLoadingTests {
    /// A ratings CSV with repeated ids in an order that tests first-appearance interning.
    func writeCSV(rows: Int, seed: UInt64) throws -> String {
        var g = SeededGenerator(seed: seed)
        var text = "user,item,rating\n"
        for _ in 0..<rows { text += "u\(g.next() % 37),i\(g.next() % 23),\(1 + g.next() % 5)\n" }
        let path = FileManager.default.temporaryDirectory.path + "/distributed-load-\(seed)-\(rows).csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func sharesWithAgreedIdsAreTheWholeFile() throws {
        for rows in [0, 1, 5, 400] {
            let path = try writeCSV(rows: rows, seed: UInt64(rows) + 3)
            defer { try? FileManager.default.removeItem(atPath: path) }
            var options = RatingsCSVOptions(implicit: true)
            options.keepTimestamps = false
            let fixed = options
            for size in 1...4 {
                let outcome = Result {
                    try InProcessGroup.run(size: size) { c in try DistributedRatings.load(path: path, options: fixed, communicator: c) }
                }
                if rows == 0 {
                    // No rows anywhere: every rank fails with the same message.
                    guard case let .failure(error) = outcome else { Issue.record("an empty file loaded"); continue }
                    #expect("\(error)".contains("no data rows"))
                    continue
                }
                let shards = try outcome.get()
                let whole = try RatingsCSV.load(path: path, options: options).interactions
                for shard in shards {
                    #expect(shard.userIDs == whole.userIDs && shard.itemIDs == whole.itemIDs)
                    #expect(shard.totalRows == whole.count)
                }
                #expect(shards.flatMap(\.users) == whole.users, "\(rows) rows on \(size) ranks")
                #expect(shards.flatMap(\.items) == whole.items)
                #expect(shards.flatMap(\.values) == whole.values)
            }
        }
    }

    @Test func aBadLineNamesTheFileLineAndRank() throws {
        let path = FileManager.default.temporaryDirectory.path + "/distributed-bad.csv"
        var text = "user,item\n"
        for r in 0..<300 { text += "u\(r),i\(r % 7)\n" }
        text += "only-one-field\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            try InProcessGroup.run(size: 3) { c in try DistributedRatings.load(path: path, options: RatingsCSVOptions(implicit: true), communicator: c) }
        } throws: { error in
            "\(error)".contains("rank 2: \(path):302:")
        }
    }

    @Test func checkpointRoundTripAndResumeGiveTheUninterruptedFactors() throws {
        let s = groupedTriplets(users: 41, items: 29, density: 0.2, seed: 9)
        var config = ImplicitALSConfiguration(factors: 6, regularization: 0.1, alpha: 2, iterations: 5)
        config.trackLoss = true
        let configuration = config
        let folder = FileManager.default.temporaryDirectory.path + "/distributed-ckpt-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let full = try InProcessGroup.run(size: 3) { c in
            try DistributedImplicitALS.fit(userIndices: s.u, itemIndices: s.i, values: s.v, users: 41, items: 29, configuration: configuration, communicator: c)
        }
        // Stop after iteration 3 (checkpoints at 2 and 3), then resume from the last one all ranks wrote.
        var shortened = config
        shortened.iterations = 3
        let stopped = shortened
        _ = try InProcessGroup.run(size: 3) { c in
            try DistributedImplicitALS.fit(userIndices: s.u, itemIndices: s.i, values: s.v, users: 41, items: 29, configuration: stopped,
                                           communicator: c) { shard in
                if shard.iterations >= 2 { try ShardCheckpoint.write(shard.state, settings: "test", folder: folder, communicator: c) }
            }
        }
        let resumed = try InProcessGroup.run(size: 3) { c in
            let iteration = try ShardCheckpoint.latestComplete(folder: folder, communicator: c)
            #expect(iteration == 3)
            let state = try ShardCheckpoint.read(folder: folder, iteration: iteration!, settings: "test", rank: c.rank, size: c.size)
            return try DistributedImplicitALS.fit(userIndices: s.u, itemIndices: s.i, values: s.v, users: 41, items: 29, configuration: configuration,
                                                  communicator: c, resume: state)
        }
        for (a, b) in zip(full, resumed) {
            #expect(a.userFactors == b.userFactors && a.itemFactors == b.itemFactors)
            #expect(a.lossHistory == b.lossHistory)
        }
        // Older checkpoints are gone; other settings are refused.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("iteration-000002") }.isEmpty)
        #expect(throws: DataError.self) { try ShardCheckpoint.read(folder: folder, iteration: 3, settings: "other", rank: 0, size: 3) }
    }
}

@Suite struct BalancedPartitionTests {
    /// Long-tailed indices (index i drawn with weight ∝ 1/(i+1)) spread over 2–4 ranks: every
    /// index owned once, contiguous, and the interactions plus row costs within 25% of an equal
    /// share (equal index ranges leave the first rank most of them).
    @Test(arguments: [2, 3, 4])
    func balancedSharesEvenTheWork(parts: Int) throws {
        let count = 5_000
        var g = SeededGenerator(seed: 3)
        let harmonic = (1...count).reduce(0.0) { $0 + 1 / Double($1) }
        var indices: [Int32] = []
        for _ in 0..<60_000 {
            var u = g.nextUnit() * harmonic, i = 0
            while i < count - 1 && u > 1 / Double(i + 1) { u -= 1 / Double(i + 1); i += 1 }
            indices.append(Int32(i))
        }
        let all = indices
        let partitions = try InProcessGroup.run(size: parts) { c in
            let mine = Array(all[BlockPartition(count: all.count, parts: parts).range(of: c.rank)])
            return try BlockPartition.balanced(count: count, parts: parts, indices: mine, rowCost: 2, communicator: c)
        }
        for p in partitions { #expect(p == partitions[0]) }
        let partition = partitions[0]
        #expect(partition.bounds.first == 0 && partition.bounds.last == count)
        for index in [0, 1, 17, 999, count - 1] { #expect(partition.range(of: partition.owner(of: index)).contains(index)) }
        let work = (0..<parts).map { r in
            Double(indices.filter { partition.range(of: r).contains(Int($0)) }.count) + 2 * Double(partition.range(of: r).count)
        }
        let share = work.reduce(0, +) / Double(parts)
        for w in work { #expect(abs(w - share) <= 0.25 * share, "\(work)") }
        let equal = BlockPartition(count: count, parts: parts)
        #expect(Double(indices.filter { equal.range(of: 0).contains(Int($0)) }.count) > 1.3 * share)
    }

    @Test func ownerSkipsEmptyParts() {
        let p = BlockPartition(bounds: [0, 5, 5, 10])
        #expect(p.owner(of: 4) == 0 && p.owner(of: 5) == 2 && p.owner(of: 9) == 2)
        #expect(p.range(of: 1).isEmpty)
    }
}
