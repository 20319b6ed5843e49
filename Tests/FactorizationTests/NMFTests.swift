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
    func naiveLoss(_ model: NMFModel) throws -> Double {
        let wh = try model.w.matmul(model.h)
        let diff = try x.toDense() - wh
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
