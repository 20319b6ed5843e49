import DenseLinalg
import Testing
@testable import Factorization

@Suite struct EASEAndExplicitALSTests {
    /// EASE (p = 0) and full-rank EDLAE (p > 0: Λ = λI + p/(1−p)·diag(XᵀX)) against the formula
    /// computed naively in double precision.
    @Test(arguments: [Float(0), 0.25, 0.6])
    func easeEqualsTheFormulaComputedNaively(dropout: Float) throws {
        let x = TestData.implicitMatrix(users: 40, items: 12, density: 0.3, seed: 2).mapValues { _ in 1 }
        let lambda: Float = 3
        let b = try EASE.fit(x, configuration: .init(regularization: lambda, threads: 2, dropout: dropout))
        // Naive, in Double: P = (XᵀX + Λ)⁻¹ by Gauss–Jordan, B = −P/diag(P), diag 0.
        let d = x.toDense().converted(to: Double.self)
        let n = 12
        var g = [[Double]](repeating: [Double](repeating: 0, count: 2 * n), count: n)
        for i in 0..<n {
            for j in 0..<n { g[i][j] = (0..<d.rows).reduce(0) { $0 + d[$1, i] * d[$1, j] } }
            g[i][i] += Double(lambda) + Double(dropout) / (1 - Double(dropout)) * g[i][i]
            g[i][n + i] = 1
        }
        for c in 0..<n {
            let pivot = g[c][c]
            for j in 0..<(2 * n) { g[c][j] /= pivot }
            for r in 0..<n where r != c {
                let f = g[r][c]
                for j in 0..<(2 * n) { g[r][j] -= f * g[c][j] }
            }
        }
        for i in 0..<n {
            for j in 0..<n {
                let want = i == j ? 0 : -g[i][n + j] / g[j][n + j]
                #expect(abs(Double(b[i, j]) - want) < 1e-4, "B[\(i),\(j)]")
            }
        }
    }

    @Test func edlaeWithoutDropoutIsEASEAndRefusesAProbabilityOfOne() throws {
        let x = TestData.implicitMatrix(users: 30, items: 9, density: 0.3, seed: 5).mapValues { _ in 1 }
        #expect(try EASE.fit(x, configuration: .init(regularization: 2, dropout: 0)) == EASE.fit(x, configuration: .init(regularization: 2)))
        #expect(try EASE.fit(x, configuration: .init(regularization: 2, dropout: 0.3)) != EASE.fit(x, configuration: .init(regularization: 2)))
        #expect(throws: FactorizationError.self) { try EASE.fit(x, configuration: .init(regularization: 2, dropout: 1)) }
    }

    @Test func easeTooLargeSaysHowMuchMemory() throws {
        let x = try SparseMatrix(rows: 2, columns: 50_000, triplets: [(0, 0, 1), (1, 49_999, 1)])
        do {
            _ = try EASE.fit(x, configuration: .init(memoryLimitBytes: 1 << 30))
            Issue.record("expected tooLarge")
        } catch let error as FactorizationError {
            #expect(error == .tooLarge(operation: "EASE with 50000 items", requiredBytes: EASE.requiredBytes(items: 50_000), availableBytes: 1 << 30))
            #expect(error.description.contains("27.9 GiB"), "\(error)")
        }
    }

    @Test func explicitALSLossNeverIncreasesAndPredictsWithinScale() throws {
        var g = SeededGenerator(seed: 5)
        var r: [Int] = [], c: [Int] = [], v: [Float] = []
        for u in 0..<30 { for i in 0..<20 where g.nextUnit() < 0.4 { r.append(u); c.append(i); v.append(Float(1 + (u + i) % 5)) } }
        let ratings = try SparseMatrix(rows: 30, columns: 20, rowIndices: r, columnIndices: c, values: v)
        let model = try ExplicitALS.fit(ratings, configuration: .init(factors: 4, regularization: 0.05, iterations: 10, threads: 2, trackLoss: true))
        for (a, b) in zip(model.lossHistory, model.lossHistory.dropFirst()) { #expect(b <= a * (1 + 1e-5)) }
        for u in 0..<30 { for i in 0..<20 { #expect(model.ratingScale.contains(model.predict(user: u, item: i))) } }
        // It fits the training data far better than the global mean.
        var se = 0.0, seMean = 0.0
        for t in 0..<v.count {
            se += Double(model.predict(user: r[t], item: c[t]) - v[t]) * Double(model.predict(user: r[t], item: c[t]) - v[t])
            seMean += Double(model.globalMean - v[t]) * Double(model.globalMean - v[t])
        }
        #expect(se < 0.5 * seMean)
        let again = try ExplicitALS.fit(ratings, configuration: .init(factors: 4, regularization: 0.05, iterations: 10, threads: 1, trackLoss: true))
        #expect(abs(again.lossHistory.last! - model.lossHistory.last!) < 1e-3 * model.lossHistory.last!)
    }
}
