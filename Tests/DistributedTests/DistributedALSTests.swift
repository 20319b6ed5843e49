import Testing
import DenseLinalg
import Factorization
@testable import Distributed

/// A seeded users × items matrix with two taste groups and strengths 1–3, as triplets.
func groupedTriplets(users: Int, items: Int, density: Double, seed: UInt64) -> (u: [Int32], i: [Int32], v: [Float]) {
    var g = SeededGenerator(seed: seed)
    var u: [Int32] = [], i: [Int32] = [], v: [Float] = []
    for a in 0..<users {
        for b in 0..<items where g.nextUnit() < ((a % 2) == (b % 2) ? density * 1.8 : density * 0.2) {
            u.append(Int32(a)); i.append(Int32(b)); v.append(Float(1 + g.next() % 3))
        }
    }
    return (u, i, v)
}

func maxDifference(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }

@Suite struct CommunicatorTests {
    @Test func blockPartitionOwnsEveryIndexOnce() {
        for count in [0, 1, 3, 7, 10, 101] {
            for parts in 1...5 {
                let p = BlockPartition(count: count, parts: parts)
                #expect((0..<parts).map { p.range(of: $0).count }.reduce(0, +) == count)
                for index in 0..<count { #expect(p.range(of: p.owner(of: index)).contains(index), "\(count) over \(parts): \(index)") }
            }
        }
    }

    @Test func inProcessCollectives() throws {
        let results = try InProcessGroup.run(size: 3) { c -> [Double] in
            var sum = [Double(c.rank), 1]
            try c.allReduceSum(&sum)
            let gathered: [[Int32]] = try c.allGather([Int32(c.rank), Int32(c.rank * 10)])
            let received: [[Int32]] = try c.allToAll((0..<c.size).map { [Int32(c.rank * 100 + $0)] })
            let root: [Float] = try c.broadcast(c.rank == 1 ? [7, 8] : [], root: 1)
            try c.barrier()
            return sum + gathered.flatMap { $0.map(Double.init) } + received.flatMap { $0.map(Double.init) } + root.map(Double.init)
        }
        for (rank, r) in results.enumerated() {
            #expect(Array(r[0..<2]) == [3, 3])
            #expect(Array(r[2..<8]) == [0, 0, 1, 10, 2, 20])
            #expect(Array(r[8..<11]) == [0, 100, 200].map { Double($0 + rank) })
            #expect(Array(r[11...]) == [7, 8])
        }
    }

    /// A rank that fails makes the others' next collective throw, naming it: nothing waits forever.
    @Test func aFailingRankStopsTheGroup() {
        struct Unreadable: Error {}
        #expect(throws: (any Error).self) {
            _ = try InProcessGroup.run(size: 3) { c -> Int in
                if c.rank == 2 { throw Unreadable() }
                var x = [1.0]
                try c.allReduceSum(&x)
                return 0
            }
        }
        #expect(throws: CommunicatorError.self) {
            _ = try InProcessGroup.run(size: 2) { c -> Int in
                var x = [Double](repeating: 1, count: c.rank + 1)   // counts that differ
                try c.allReduceSum(&x)
                return 0
            }
        }
    }
}

@Suite struct DistributedALSTests {
    static let data = groupedTriplets(users: 83, items: 57, density: 0.12, seed: 5)

    static func configuration(iterations: Int, k: Int = 8, trackLoss: Bool = true) -> ImplicitALSConfiguration {
        ImplicitALSConfiguration(factors: k, regularization: 0.1, alpha: 2, iterations: iterations, threads: 2, seed: 9, trackLoss: trackLoss)
    }

    static func single(_ config: ImplicitALSConfiguration, binary: Bool = false) throws -> ImplicitALSModel {
        let x = try SparseMatrix(rows: 83, columns: 57, rowIndices: data.u, columnIndices: data.i,
                                 values: binary ? data.v.map { _ in 1 } : data.v)
        return try ImplicitALS.fit(x, configuration: config)
    }

    /// Each rank's contiguous share of the triplets, as a rank would parse its byte range.
    static func share(_ rank: Int, of size: Int, binary: Bool = false) -> (u: [Int32], i: [Int32], v: [Float]) {
        let r = BlockPartition(count: data.u.count, parts: size).range(of: rank)
        return (Array(data.u[r]), Array(data.i[r]), binary ? r.map { _ in 1 } : Array(data.v[r]))
    }

    static func distributed(ranks: Int, _ config: ImplicitALSConfiguration, binary: Bool = false) throws -> (users: Matrix<Float>, items: Matrix<Float>, losses: [Double]) {
        let shards = try InProcessGroup.run(size: ranks) { c in
            let s = share(c.rank, of: ranks, binary: binary)
            return try DistributedImplicitALS.fit(userIndices: s.u, itemIndices: s.i, values: s.v, users: 83, items: 57,
                                                  configuration: config, communicator: c)
        }
        for shard in shards { #expect(shard.lossHistory == shards[0].lossHistory) }
        let users = try Matrix(rows: 83, columns: config.factors, elements: shards.flatMap { $0.userFactors.elements })
        let items = try Matrix(rows: 57, columns: config.factors, elements: shards.flatMap { $0.itemFactors.elements })
        return (users, items, shards[0].lossHistory)
    }

    /// One rank computes what the single process computes, bit for bit (64 factors: the
    /// half-precision gathers and, where the CPU has it, the fused kernel; 8: the plain path).
    @Test(arguments: [8, 64])
    func oneRankEqualsTheSingleProcess(k: Int) throws {
        let config = Self.configuration(iterations: 4, k: k)
        let reference = try Self.single(config)
        let s = Self.data
        let shard = try DistributedImplicitALS.fit(userIndices: s.u, itemIndices: s.i, values: s.v, users: 83, items: 57,
                                                   configuration: config, communicator: SingleProcessCommunicator())
        #expect(shard.userFactors == reference.userFactors)
        #expect(shard.itemFactors == reference.itemFactors)
        // (The loss sums its terms in another order: equal to rounding.)
        for (a, b) in zip(shard.lossHistory, reference.lossHistory) { #expect(abs(a - b) / b < 1e-9) }
        #expect(shard.bytesSentPerIteration == [0, 0, 0, 0])
    }

    /// 2, 3 and 4 ranks, per-entry confidences and binary data. With exact (Cholesky) solves the
    /// factors after two iterations differ from the single process's only by the rounding of
    /// the all-reduced Gram sums (< 5·10⁻⁵ of the largest factor; measured up to 2.5·10⁻⁵), the loss by < 10⁻⁵ (its single-precision Grams and dots:
    /// measured up to 1.0·10⁻⁶); conjugate gradient's three steps amplify rounding
    /// (the rows' blocks, and so the GEMMs with G, are grouped differently on each rank:
    /// ~10⁻⁴ after one iteration), and the loss per iteration agrees to 10⁻³ (relative) over
    /// six (measured: up to 1.3·10⁻⁴).
    @Test(arguments: [2, 3, 4])
    func severalRanksAgreeWithTheSingleProcess(ranks: Int) throws {
        for binary in [false, true] {
            var exact = Self.configuration(iterations: 2)
            exact.solver = .cholesky
            let reference = try Self.single(exact, binary: binary)
            let got = try Self.distributed(ranks: ranks, exact, binary: binary)
            let users = max(1, reference.userFactors.elements.map(abs).max()!), items = max(1, reference.itemFactors.elements.map(abs).max()!)
            #expect(maxDifference(got.users.elements, reference.userFactors.elements) < 5e-5 * users, "\(ranks) ranks, binary \(binary)")
            #expect(maxDifference(got.items.elements, reference.itemFactors.elements) < 5e-5 * items, "\(ranks) ranks, binary \(binary)")
            for (a, b) in zip(got.losses, reference.lossHistory) { #expect(abs(a - b) / b < 1e-5, "\(ranks) ranks: loss \(a) vs \(b)") }
            let cg = Self.configuration(iterations: 6)
            let cgReference = try Self.single(cg, binary: binary)
            let cgGot = try Self.distributed(ranks: ranks, cg, binary: binary)
            #expect(cgGot.losses.count == 6)
            for (a, b) in zip(cgGot.losses, cgReference.lossHistory) { #expect(abs(a - b) / b < 1e-3, "\(ranks) ranks: loss \(a) vs \(b)") }
            let scale = cgReference.userFactors.elements.map(abs).max()!
            #expect(maxDifference(cgGot.users.elements, cgReference.userFactors.elements) < 1e-2 * scale)
        }
    }

    /// Frequency-scaled regularisation (ν = 1): each rank regularises its rows with the global
    /// counts, so 3 ranks give the single process's factors and loss (Cholesky, to rounding).
    @Test func frequencyScaledRegularisationAgreesWithTheSingleProcess() throws {
        var config = Self.configuration(iterations: 2)
        config.solver = .cholesky; config.regularizationExponent = 1
        let reference = try Self.single(config)
        var plain = config
        plain.regularizationExponent = 0
        #expect(try Self.single(plain).userFactors != reference.userFactors)
        let got = try Self.distributed(ranks: 3, config)
        let users = max(1, reference.userFactors.elements.map(abs).max()!), items = max(1, reference.itemFactors.elements.map(abs).max()!)
        #expect(maxDifference(got.users.elements, reference.userFactors.elements) < 5e-5 * users)
        #expect(maxDifference(got.items.elements, reference.itemFactors.elements) < 5e-5 * items)
        for (a, b) in zip(got.losses, reference.lossHistory) { #expect(abs(a - b) / b < 1e-5, "loss \(a) vs \(b)") }
    }

    /// Each rank receives only the factor rows its rows touch: fewer bytes than every rank
    /// gathering every other rank's factors.
    @Test func exchangesOnlyTheRowsTouched() throws {
        let config = Self.configuration(iterations: 2, trackLoss: false)
        let shards = try InProcessGroup.run(size: 3) { c in
            let s = Self.share(c.rank, of: 3)
            return try DistributedImplicitALS.fit(userIndices: s.u, itemIndices: s.i, values: s.v, users: 83, items: 57,
                                                  configuration: config, communicator: c)
        }
        for shard in shards {
            // Every rank sending all its factor rows to the two others, both halves.
            let allGather = (shard.users.count + shard.items.count) * 2 * 8 * 4
            #expect(shard.bytesSentPerIteration.count == 2)
            #expect(shard.bytesSentPerIteration[0] > 0 && shard.bytesSentPerIteration[0] <= allGather)
            #expect(shard.bytesSentPerIteration[0] == shard.bytesSentPerIteration[1])
        }
    }
}
