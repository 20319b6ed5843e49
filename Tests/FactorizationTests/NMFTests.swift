import DenseLinalg
import Testing
@testable import Factorization

@Suite struct NMFTests {
    /// A non-negative matrix with sparse structure: |low rank + noise|, small entries dropped.
    let x: SparseMatrix = {
        let dense = TestData.lowRankPlusNoise(rows: 40, columns: 30, rank: 3, noise: 0.1, seed: 3)
        let cleaned = dense.elements.map { abs($0) > 1 ? abs($0) : 0 }
        return SparseMatrix(dense: try! Matrix(rows: 40, columns: 30, elements: cleaned))
    }()

    /// ‖X − WH‖_F by brute force.
    func naiveLoss(_ model: NMFModel, _ x: SparseMatrix? = nil) throws -> Double {
        let wh = try model.w.matmul(model.h)
        let diff = try (x ?? self.x).toDense() - wh
        return Double(diff.frobeniusNorm)
    }

    @Test(arguments: [NMFConfiguration.Initialization.nndsvda, .nndsvd, .random])
    func halsLossNeverIncreasesAndFactorsStayNonNegative(initialization: NMFConfiguration.Initialization) throws {
        let model = try NMF.fit(x, configuration: .init(rank: 4, maxIterations: 40, tolerance: 0, initialization: initialization, seed: 2, threads: 1))
        #expect(model.iterations == 40)
        for (a, b) in zip(model.lossHistory, model.lossHistory.dropFirst()) { #expect(b <= a * (1 + 1e-4) + 1e-4) }
        #expect(model.w.elements.allSatisfy { $0 >= 0 } && model.h.elements.allSatisfy { $0 >= 0 })
        let naive = try naiveLoss(model)
        #expect(abs(model.lossHistory.last! - naive) <= 1e-2 * max(1, naive))
    }

    /// HALS sweeps against coordinate descent row by row in Double, with k = 42 (ten groups
    /// of 4 columns and a partial one, padded), 300 rows (a full block of 256 and a partial
    /// one of 44, padded to 48 lanes), penalties on, 1–3 sweeps, in the AVX2 kernel (where the
    /// CPU has it) and in the portable Swift lanes.
    @Test(arguments: [1, 2, 3], [false, true])
    func halsSweepsEqualCoordinateDescent(sweeps: Int, portable: Bool) throws {
        let rows = 300, k = 42, l1: Float = 0.05, l2: Float = 0.1
        let h = Matrix<Float>.random(rows: k, columns: 60, distribution: .uniform(lower: 0, upper: 1), seed: 5)
        let b = try h.matmul(h, transposeOther: true)
        let a = Matrix<Float>.random(rows: rows, columns: k, distribution: .uniform(lower: 0, upper: 20), seed: 6)
        let f0 = Matrix<Float>.random(rows: rows, columns: k, distribution: .uniform(lower: 0, upper: 0.5), seed: 7)
        var expected = f0.elements.map(Double.init)
        for _ in 0..<sweeps {
            for i in 0..<rows {
                for j in 0..<k {
                    var others = 0.0
                    for l in 0..<k where l != j { others += expected[i * k + l] * Double(b[l, j]) }
                    let value = (Double(a[i, j]) - others - Double(l1)) / (Double(b[j, j]) + Double(l2))
                    expected[i * k + j] = max(0, value)
                }
            }
        }
        for threads in [1, 2] {
            var f = f0
            try NMF.update(&f, .dense(a), b, .init(rank: k, l1: l1, l2: l2, threads: threads), sweeps: sweeps, portable: portable)
            let worst = zip(f.elements, expected).map { abs(Double($0) - $1) }.max()!
            #expect(worst <= 1e-3 * max(1, expected.max()!), "threads \(threads): worst difference \(worst)")
        }
    }

    /// The data term formed block by block from the sparse product (k = 64 takes the AVX2
    /// product, 42 the gathered one) gives the update the whole product gives, and the
    /// returned ⟨F, A⟩ is the new F's.
    @Test(arguments: [64, 42], [1, 2])
    func productBlocksEqualTheWholeProduct(k: Int, threads: Int) throws {
        let dense = TestData.lowRankPlusNoise(rows: 700, columns: 90, rank: 5, noise: 0.2, seed: 4)
        let x = SparseMatrix(dense: try Matrix(rows: 700, columns: 90, elements: dense.elements.map { $0 > 0.5 ? $0 : 0 }))
        let other = Matrix<Float>.random(rows: 90, columns: k, distribution: .uniform(lower: 0, upper: 1), seed: 8)
        let b = try other.gram()
        let f0 = Matrix<Float>.random(rows: 700, columns: k, distribution: .uniform(lower: 0, upper: 0.5), seed: 9)
        let a = try x.multiply(other)
        let configuration = NMFConfiguration(rank: k, threads: threads)
        var fused = f0, whole = f0
        let fusedResult = try NMF.update(&fused, .product(x, other, halfBits: nil), b, configuration, sweeps: 2, gram: true, half: true)
        let crossFused = fusedResult.cross
        let crossWhole = try NMF.update(&whole, .dense(a), b, configuration, sweeps: 2).cross
        #expect(fused.isApproximatelyEqual(to: whole, relativeTolerance: 1e-5))
        // The Gram matrix and half-precision copy formed from the blocks are the new F's.
        #expect(try fusedResult.gram!.isApproximatelyEqual(to: fused.gram(), relativeTolerance: 1e-5))
        #expect(fusedResult.halfBits == fused.halfPrecisionBits())
        // In half precision, the blocks give what the whole half-precision product gives.
        var fusedHalf = f0, wholeHalf = f0
        try NMF.update(&fusedHalf, .product(x, other, halfBits: other.halfPrecisionBits()), b, configuration, sweeps: 2)
        try NMF.update(&wholeHalf, .dense(x.multiplyRoundingToHalf(other)), b, configuration, sweeps: 2)
        #expect(fusedHalf.isApproximatelyEqual(to: wholeHalf, relativeTolerance: 1e-5))
        let naive: Double = zip(fused.elements, a.elements).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(crossFused - naive) <= 1e-5 * abs(naive))
        #expect(abs(crossWhole - naive) <= 1e-5 * abs(naive))
    }

    /// Gillis & Glineur's rule: the cheap side (few rows, many products to reuse) sweeps more.
    @Test func automaticSweepsFollowTheCostRatio() throws {
        #expect(NMF.automaticSweeps(rows: 50_000, other: 10_000, nnz: 2_000_000, k: 64) == 1)
        #expect(NMF.automaticSweeps(rows: 10_000, other: 50_000, nnz: 2_000_000, k: 64) == 5)
        #expect(NMF.automaticSweeps(rows: 10, other: 100_000, nnz: 1_000_000, k: 2) == 10)
        #expect(throws: FactorizationError.self) { try NMF.fit(x, configuration: { var c = NMFConfiguration(rank: 2); c.innerSweeps = 0; return c }()) }
    }

    /// At k = 64 the products read the other factor in half precision (where the CPU has the
    /// kernel): the loss still never rises beyond rounding, the last reported loss is the
    /// single-precision one, and it stays within 5·10⁻⁴ of the single-precision fit's (rank 64
    /// of 300 columns is ill-conditioned: the two trajectories drift apart by up to ~2·10⁻⁴ here
    /// before they settle).
    @Test func halfPrecisionProductsKeepTheLoss() throws {
        var triplets: [(Int, Int, Float)] = []
        var generator = SeededGenerator(seed: 12)
        for i in 0..<1500 { for j in 0..<300 where Double.random(in: 0..<1, using: &generator) < 0.04 + 0.2 * Double(j % 7 == 0 ? 1 : 0) {
            triplets.append((i, j, 1))
        } }
        let x = try SparseMatrix(rows: 1500, columns: 300, triplets: triplets)
        var configuration = NMFConfiguration(rank: 64, maxIterations: 15, tolerance: 0, threads: 2)
        let half = try NMF.fit(x, configuration: configuration)
        configuration.halfPrecisionProducts = false
        let single = try NMF.fit(x, configuration: configuration)
        for (previous, next) in zip(half.lossHistory, half.lossHistory.dropFirst()) { #expect(next <= previous * (1 + 1e-6)) }
        let naive = try naiveLoss(half, x)
        #expect(abs(half.lossHistory.last! - naive) <= 1e-4 * naive)
        #expect(abs(half.lossHistory.last! - single.lossHistory.last!) <= 5e-4 * naive)
    }

    @Test func multiplicativeUpdatesReduceTheLoss() throws {
        let model = try NMF.fit(x, configuration: .init(rank: 4, maxIterations: 60, tolerance: 0, solver: .multiplicative, seed: 2))
        #expect(model.lossHistory.last! < model.lossHistory.first!)
        #expect(model.w.elements.allSatisfy { $0 >= 0 } && model.h.elements.allSatisfy { $0 >= 0 })
    }

    @Test func toleranceStopsEarlyAndThreadsAgree() throws {
        let a = try NMF.fit(x, configuration: .init(rank: 3, maxIterations: 500, tolerance: 1e-3, threads: 1))
        #expect(a.iterations < 500)
        let b = try NMF.fit(x, configuration: .init(rank: 3, maxIterations: 500, tolerance: 1e-3, threads: 2))
        #expect(abs(a.lossHistory.last! - b.lossHistory.last!) <= 1e-3 * a.lossHistory.last!)
    }

    @Test func badInputIsRejected() throws {
        let negative = try SparseMatrix(rows: 3, columns: 3, triplets: [(0, 0, 1), (2, 1, -0.5), (1, 2, 1)])
        #expect(throws: FactorizationError.negativeInput(operation: "NMF", row: 2, column: 1, value: -0.5)) {
            try NMF.fit(negative, configuration: .init(rank: 1))
        }
        #expect(throws: FactorizationError.rankTooLarge(operation: "NMF", rank: 31, rows: 40, columns: 30)) {
            try NMF.fit(x, configuration: .init(rank: 31))
        }
        #expect(throws: FactorizationError.emptyInput(operation: "NMF")) { try NMF.fit(SparseMatrix(rows: 2, columns: 2, triplets: [])) }
    }
}
