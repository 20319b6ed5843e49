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

    /// One pass leaves W's column space with orthonormal columns to within κ(W)·ε, two to
    /// single precision; σ_min(W) as LAPACK has it.
    @Test func orthonormalizeKeepsTheSpanAndReportsTheSmallestSingularValue() throws {
        let w = try Matrix<Float>.random(rows: 600, columns: 16, seed: 7).matmul(
            Matrix<Float>(rows: 16, columns: 16, elements: (0..<256).map { $0 % 17 == 0 ? Float(1 + $0 / 17) * 3 : 0.1 }))
        let exact = try w.svd()
        let one = try TruncatedSVD.orthonormalize(w, threads: 2), two = try TruncatedSVD.orthonormalize(w, passes: 2, threads: 2)
        #expect(abs(one.smallestSingularValue - Double(exact.singularValues.last!)) <= 1e-4 * Double(exact.singularValues.last!))
        #expect(try two.basis.gram().isApproximatelyEqual(to: .identity(16), relativeTolerance: 1e-5))
        // W = Q·(QᵀW): the basis spans W's columns.
        let q = two.basis, projected = try q.matmul(q.matmul(w, transposeSelf: true))
        #expect(projected.isApproximatelyEqual(to: w, relativeTolerance: 1e-4))
    }

    /// A wide matrix runs on its transpose (the iterate on the shorter side) and comes back as
    /// A's own U, Σ, Vᵀ.
    @Test func wideMatrixGivesItsOwnFactors() throws {
        let dense = TestData.lowRankPlusNoise(rows: 70, columns: 150, rank: 5, noise: 0.01, seed: 8)
        let exact = try dense.svd()
        let approx = try TruncatedSVD.randomized(SparseMatrix(dense: dense), configuration: .init(rank: 5, seed: 4, threads: 2))
        #expect(approx.u.shape == Shape(70, 5) && approx.vt.shape == Shape(5, 150))
        for i in 0..<5 { #expect(abs(approx.singularValues[i] - exact.singularValues[i]) <= 1e-3 * exact.singularValues[i]) }
        let residual = try dense - TruncatedSVD.exact(dense, rank: 5).reconstructed()
        let ours = try dense - approx.reconstructed()
        #expect(ours.frobeniusNorm <= residual.frobeniusNorm * 1.001)
    }

    /// Entries far outside half precision's range (rows of norm ~10⁷, or ~10⁻⁶) are scaled by a
    /// power of two for the half-precision products: the same relative singular values.
    @Test(arguments: [Float(1e6), Float(1e-7)])
    func extremeScalesKeepTheSingularValues(scale: Float) throws {
        let dense = scale * TestData.lowRankPlusNoise(rows: 400, columns: 300, rank: 64, noise: 0.01, seed: 11)
        let exact = try dense.svd()
        let approx = try TruncatedSVD.randomized(SparseMatrix(dense: dense), configuration: .init(rank: 64, seed: 2, threads: 2))
        let worst = (0..<64).map { abs(approx.singularValues[$0] - exact.singularValues[$0]) / exact.singularValues[$0] }.max()!
        #expect(worst < 1e-3, "worst relative error \(worst)")
    }

    /// Rank below k: the extra singular values are ~0 and every factor entry finite.
    @Test func rankDeficientInputStaysFinite() throws {
        let dense = try Matrix<Float>.random(rows: 60, columns: 2, seed: 4).matmul(Matrix<Float>.random(rows: 2, columns: 40, seed: 5))
        let approx = try TruncatedSVD.randomized(SparseMatrix(dense: dense), configuration: .init(rank: 4, seed: 1, threads: 1))
        let exact = try dense.svd()
        for i in 0..<2 { #expect(abs(approx.singularValues[i] - exact.singularValues[i]) <= 1e-4 * exact.singularValues[0]) }
        for i in 2..<4 { #expect(approx.singularValues[i] <= 1e-3 * exact.singularValues[0]) }
        #expect(approx.u.isFinite && approx.vt.isFinite)
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
