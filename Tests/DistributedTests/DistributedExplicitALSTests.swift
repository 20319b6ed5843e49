import Foundation
import Testing
import DenseLinalg
import Factorization
@testable import Distributed

/// Distributed explicit ALS against ``ExplicitALS/fit`` on seeded 1–5 ratings, with some pairs
/// rated twice (the later timestamp wins).
@Suite struct DistributedExplicitALSTests {
    static let users = 61, items = 37

    static let data: (u: [Int32], i: [Int32], v: [Float], t: [Int64]) = {
        var g = SeededGenerator(seed: 21)
        var u: [Int32] = [], i: [Int32] = [], v: [Float] = [], t: [Int64] = []
        for a in 0..<users {
            for b in 0..<items where g.nextUnit() < ((a % 3) == (b % 3) ? 0.35 : 0.1) {
                u.append(Int32(a)); i.append(Int32(b)); v.append(Float(1 + (a + b) % 5)); t.append(Int64(g.next() % 1000))
                if g.nextUnit() < 0.05 { u.append(Int32(a)); i.append(Int32(b)); v.append(Float(1 + g.next() % 5)); t.append(Int64(g.next() % 1000)) }
            }
        }
        return (u, i, v, t)
    }()

    static func configuration(iterations: Int = 3, implicit: Bool = true) -> ExplicitALSConfiguration {
        var c = ExplicitALSConfiguration(factors: 6, regularization: 0.1, iterations: iterations)
        c.implicitFeedback = implicit
        c.trackLoss = true
        return c
    }

    static func single(_ config: ExplicitALSConfiguration) throws -> ExplicitALSModel {
        let s = data
        let ratings = try SparseMatrix(rows: users, columns: items, rowIndices: s.u, columnIndices: s.i, values: s.v, duplicates: .latest(order: s.t))
        return try ExplicitALS.fit(ratings, configuration: config)
    }

    static func distributed(ranks: Int, _ config: ExplicitALSConfiguration) throws -> [ExplicitALSShard] {
        try InProcessGroup.run(size: ranks) { c in
            let r = BlockPartition(count: data.u.count, parts: ranks).range(of: c.rank)
            return try DistributedExplicitALS.fit(userIndices: Array(data.u[r]), itemIndices: Array(data.i[r]), values: Array(data.v[r]),
                                                  timestamps: Array(data.t[r]), users: users, items: items, configuration: config, communicator: c)
        }
    }

    @Test(arguments: [true, false])
    func oneRankEqualsTheSingleProcess(implicit: Bool) throws {
        let config = Self.configuration(implicit: implicit)
        let reference = try Self.single(config)
        let shard = try Self.distributed(ranks: 1, config)[0]
        #expect(shard.userFactors == reference.userFactors)
        #expect(shard.itemFactors == reference.itemFactors)
        #expect(shard.userBias == reference.userBias && shard.itemBias == reference.itemBias)
        #expect(shard.globalMean == reference.globalMean && shard.ratingScale == reference.ratingScale)
        // The loss adds the same terms grouped by user and item parts: equal to rounding.
        for (a, b) in zip(shard.lossHistory, reference.lossHistory) { #expect(abs(a - b) / b < 1e-12) }
    }

    /// 2–4 ranks: each row's system is built from its own ratings, so without implicit feedback
    /// only the global mean's sum is grouped differently (stated tolerance 10⁻⁵ of the largest
    /// factor); with it, CG's all-reduced dot products too (stated 10⁻³). Measured: identical
    /// bit for bit on this data (the regrouped double-precision sums round to the same
    /// single-precision step sizes). Loss per iteration within 10⁻⁵ relative.
    @Test(arguments: [2, 3, 4])
    func severalRanksAgreeWithTheSingleProcess(ranks: Int) throws {
        for implicit in [false, true] {
            let config = Self.configuration(implicit: implicit)
            let reference = try Self.single(config)
            let shards = try Self.distributed(ranks: ranks, config)
            let users = try Matrix(rows: Self.users, columns: 6, elements: shards.flatMap { $0.userFactors.elements })
            let items = try Matrix(rows: Self.items, columns: 6, elements: shards.flatMap { $0.itemFactors.elements })
            let scale = max(reference.userFactors.elements.map(abs).max()!, reference.itemFactors.elements.map(abs).max()!)
            let tolerance: Float = implicit ? 1e-3 : 1e-5
            #expect(maxDifference(users.elements, reference.userFactors.elements) <= tolerance * scale, "\(ranks) ranks, implicit \(implicit)")
            #expect(maxDifference(items.elements, reference.itemFactors.elements) <= tolerance * scale)
            #expect(maxDifference(shards.flatMap(\.userBias), reference.userBias) <= tolerance * scale)
            for shard in shards { #expect(shard.lossHistory == shards[0].lossHistory) }
            for (a, b) in zip(shards[0].lossHistory, reference.lossHistory) { #expect(abs(a - b) / b < 1e-5, "loss \(a) against \(b)") }
        }
    }

    @Test func resumeGivesTheUninterruptedFactors() throws {
        let config = Self.configuration(iterations: 4)
        let full = try Self.distributed(ranks: 2, config)
        let states = try InProcessGroup.run(size: 2) { c -> ShardState in
            let r = BlockPartition(count: Self.data.u.count, parts: 2).range(of: c.rank)
            var state: ShardState?
            var stopped = config
            stopped.iterations = 2
            _ = try DistributedExplicitALS.fit(userIndices: Array(Self.data.u[r]), itemIndices: Array(Self.data.i[r]), values: Array(Self.data.v[r]),
                                               timestamps: Array(Self.data.t[r]), users: Self.users, items: Self.items, configuration: stopped,
                                               communicator: c) { shard in state = shard.state }
            return state!
        }
        let resumed = try InProcessGroup.run(size: 2) { c in
            let r = BlockPartition(count: Self.data.u.count, parts: 2).range(of: c.rank)
            return try DistributedExplicitALS.fit(userIndices: Array(Self.data.u[r]), itemIndices: Array(Self.data.i[r]), values: Array(Self.data.v[r]),
                                                  timestamps: Array(Self.data.t[r]), users: Self.users, items: Self.items, configuration: config,
                                                  communicator: c, resume: states[c.rank])
        }
        for (a, b) in zip(full, resumed) {
            #expect(a.userFactors == b.userFactors && a.itemFactors == b.itemFactors && a.userBias == b.userBias)
            #expect(a.lossHistory == b.lossHistory)
        }
    }
}
