import DenseLinalg
import Testing
@testable import Factorization

@Suite struct TruncatedSVDTests {
    @Test func randomizedMatchesExactOnLowRankPlusNoise() throws {
        let dense = TestData.lowRankPlusNoise(rows: 120, columns: 80, rank: 6, noise: 0.01, seed: 5)
        let sparse = SparseMatrix(dense: dense)
        let exact = try dense.svd()
        for threads in [1, 2] {
            let approx = try TruncatedSVD.randomized(sparse, configuration: .init(rank: 6, oversampling: 10, powerIterations: 4, seed: 1, threads: threads))
            #expect(approx.singularValues.count == 6)
            for i in 0..<6 {
                let rel = abs(approx.singularValues[i] - exact.singularValues[i]) / exact.singularValues[i]
                #expect(rel < 1e-3, "σ\(i): \(approx.singularValues[i]) vs \(exact.singularValues[i])")
            }
            #expect(zip(approx.singularValues, approx.singularValues.dropFirst()).allSatisfy { $0 >= $1 })
            // Orthonormal factors.
            let utu = try approx.u.gram()
            #expect(utu.isApproximatelyEqual(to: .identity(6), relativeTolerance: 1e-4))
            let vvt = try approx.vt.gram(transpose: false)
            #expect(vvt.isApproximatelyEqual(to: .identity(6), relativeTolerance: 1e-4))
        }
    }

    /// Rank 64 with 10 oversampling columns: a sketch of 80, where the power iterates go through
    /// the half-precision sparse products (on CPUs with F16C). Both settings against LAPACK.
    @Test(arguments: [true, false])
    func halfPrecisionIteratesKeepTheSingularValues(half: Bool) throws {
        let dense = TestData.lowRankPlusNoise(rows: 400, columns: 300, rank: 64, noise: 0.01, seed: 11)
        let exact = try dense.svd()
        let approx = try TruncatedSVD.randomized(SparseMatrix(dense: dense), configuration: .init(
            rank: 64, oversampling: 10, powerIterations: 4, halfPrecisionIterates: half, seed: 2, threads: 2))
        let worst = (0..<64).map { abs(approx.singularValues[$0] - exact.singularValues[$0]) / exact.singularValues[$0] }.max()!
        #expect(worst < 1e-3, "worst relative error \(worst)")
        #expect(try approx.u.gram().isApproximatelyEqual(to: .identity(64), relativeTolerance: 1e-4))
    }

    /// The sketch is the same for any thread count, standard normal in its moments.
    @Test func gaussianSketchIsReproducibleAndStandard() throws {
        let one = TruncatedSVD.gaussianSketch(rows: 3000, columns: 7, seed: 5, threads: 1)
        let two = TruncatedSVD.gaussianSketch(rows: 3000, columns: 7, seed: 5, threads: 2)
        #expect(one == two)
        #expect(one != TruncatedSVD.gaussianSketch(rows: 3000, columns: 7, seed: 6, threads: 2))
        let values = one.elements.map(Double.init), n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        #expect(abs(mean) < 0.03 && abs(variance - 1) < 0.05, "mean \(mean), variance \(variance)")
        // Chunks are independent streams, not copies of one another.
        #expect(Array(one.elements[0..<7]) != Array(one.elements[(1024 * 7)..<(1024 * 7 + 7)]))
    }

    /// The small SVD through B·Bᵀ matches LAPACK's gesdd, and a rank-deficient B (a σ among the
    /// k leading at zero) takes gesdd itself.
    @Test func smallSVDMatchesLAPACK() throws {
        let bt = Matrix<Float>.random(rows: 500, columns: 12, seed: 3)
        let fast = try TruncatedSVD.smallSVD(bt, k: 10), exact = try bt.transposed.svd()
        for j in 0..<12 { #expect(abs(fast.singularValues[j] - exact.singularValues[j]) <= 1e-5 * exact.singularValues[0]) }
        #expect(try fast.vt.gram(transpose: false).isApproximatelyEqual(to: .identity(12), relativeTolerance: 1e-5))
        #expect(try fast.reconstructed().isApproximatelyEqual(to: bt.transposed, relativeTolerance: 1e-4))
        let lowRank = try Matrix<Float>.random(rows: 500, columns: 2, seed: 4).matmul(Matrix<Float>.random(rows: 2, columns: 6, seed: 5))
        let deficient = try TruncatedSVD.smallSVD(lowRank, k: 4)
        #expect(try deficient.vt.gram(transpose: false).isApproximatelyEqual(to: .identity(6), relativeTolerance: 1e-4))
    }

    @Test func exactTruncatesLAPACK() throws {
        let dense = TestData.lowRankPlusNoise(rows: 30, columns: 20, rank: 3, noise: 0.1, seed: 2)
        let t = try TruncatedSVD.exact(dense, rank: 4)
        let full = try dense.svd()
        #expect(t.singularValues == Array(full.singularValues.prefix(4)))
        #expect(t.u.shape == Shape(30, 4) && t.vt.shape == Shape(4, 20))
    }

    @Test func sameSeedSameResult() throws {
        let sparse = SparseMatrix(dense: TestData.lowRankPlusNoise(rows: 50, columns: 40, rank: 4, noise: 0.05, seed: 9))
        let a = try TruncatedSVD.randomized(sparse, configuration: .init(rank: 4, seed: 3, threads: 1))
        let b = try TruncatedSVD.randomized(sparse, configuration: .init(rank: 4, seed: 3, threads: 1))
        #expect(a.singularValues == b.singularValues && a.u == b.u)
    }

    @Test func badInputIsRejected() throws {
        let sparse = SparseMatrix(dense: TestData.lowRankPlusNoise(rows: 10, columns: 8, rank: 2, noise: 0.1, seed: 1))
        #expect(throws: FactorizationError.rankTooLarge(operation: "truncated SVD", rank: 9, rows: 10, columns: 8)) {
            try TruncatedSVD.randomized(sparse, configuration: .init(rank: 9))
        }
        #expect(throws: FactorizationError.emptyInput(operation: "randomized SVD")) {
            try TruncatedSVD.randomized(SparseMatrix(rows: 0, columns: 3, triplets: []), configuration: .init(rank: 1))
        }
        var bad = Matrix<Float>(rows: 3, columns: 3, repeating: 1)
        bad[1, 1] = .infinity
        #expect(throws: FactorizationError.nonFiniteInput(operation: "truncated SVD")) { try TruncatedSVD.exact(bad, rank: 2) }
        #expect(throws: FactorizationError.self) { try TruncatedSVD.exact(bad, rank: 0) }
    }
}
