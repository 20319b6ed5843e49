import DenseLinalg
import Foundation
import Testing
@testable import Factorization

@Suite struct BaselineKNNTests {
    /// Ratings 1–5 on the block-structured test matrix (300 items force two similarity blocks).
    static func ratings(items: Int = 300) -> SparseMatrix {
        let x = TestData.implicitMatrix(users: 80, items: items, density: 0.12, seed: 3)
        var g = SeededGenerator(seed: 8)
        return x.mapValues { _ in Float(1 + g.next() % 5) }
    }

    /// Baselines, similarity and predictions against plain loops over the definitions.
    @Test func matchesTheNaiveDefinitions() throws {
        let x = Self.ratings()
        let c = BaselineKNNConfiguration(neighbors: 5, shrinkage: 10, threads: 2)
        let model = try BaselineKNN.fit(x, configuration: c)
        // Dense copy of the ratings, 0 = missing.
        var r = [[Float]](repeating: [Float](repeating: 0, count: x.columns), count: x.rows)
        for u in 0..<x.rows { let row = x.row(u); for (i, v) in zip(row.columns, row.values) { r[u][Int(i)] = v } }
        let mu = Double(x.values.reduce(0, +)) / Double(x.nnz)
        var bu = [Double](repeating: 0, count: x.rows), bi = [Double](repeating: 0, count: x.columns)
        for _ in 0..<c.baselineIterations {
            for i in 0..<x.columns {
                var s = 0.0, n = 0.0
                for u in 0..<x.rows where r[u][i] > 0 { s += Double(r[u][i]) - mu - bu[u]; n += 1 }
                bi[i] = s / (Double(c.itemBiasRegularization) + n)
            }
            for u in 0..<x.rows {
                var s = 0.0, n = 0.0
                for i in 0..<x.columns where r[u][i] > 0 { s += Double(r[u][i]) - mu - bi[i]; n += 1 }
                bu[u] = s / (Double(c.userBiasRegularization) + n)
            }
        }
        #expect(maxRelativeDifference(model.userBias, bu.map(Float.init)) < 1e-4)
        #expect(maxRelativeDifference(model.itemBias, bi.map(Float.init)) < 1e-4)
        func residual(_ u: Int, _ i: Int) -> Double { Double(r[u][i]) - mu - bu[u] - bi[i] }
        var worst = 0.0
        for i in stride(from: 0, to: x.columns, by: 7) {
            for j in stride(from: 1, to: x.columns, by: 5) where i != j {
                var num = 0.0, a = 0.0, b = 0.0, n = 0.0
                for u in 0..<x.rows where r[u][i] > 0 && r[u][j] > 0 {
                    num += residual(u, i) * residual(u, j); a += residual(u, i) * residual(u, i); b += residual(u, j) * residual(u, j); n += 1
                }
                let expected = a > 0 && b > 0 && n > 1 ? num / (a * b).squareRoot() * (n - 1) / (n - 1 + Double(c.shrinkage)) : 0
                worst = max(worst, abs(Double(model.similarity[i, j]) - expected))
            }
        }
        #expect(worst < 1e-4, "similarity off by \(worst)")
        #expect((0..<x.columns).allSatisfy { model.similarity[$0, $0] == 0 })
        // Predictions: baseline plus the positive-similarity neighbours' weighted deviations.
        for (u, i) in [(0, 2), (5, 10), (17, 299), (40, 123)] {
            let rated = (0..<x.columns).filter { r[u][$0] > 0 && model.similarity[i, $0] > 0 }
            let top = rated.sorted { model.similarity[i, $0] > model.similarity[i, $1] }.prefix(c.neighbors)
            var estimate = mu + bu[u] + bi[i], weighted = 0.0, total = 0.0
            for j in top { weighted += Double(model.similarity[i, j]) * residual(u, j); total += Double(model.similarity[i, j]) }
            if total > 0 { estimate += weighted / total }
            #expect(abs(Double(model.predict(user: u, item: i)) - min(5, max(1, estimate))) < 1e-4, "user \(u) item \(i)")
        }
        // Unknown users and items fall back to the known parts of the baseline.
        #expect(abs(model.predict(user: x.rows, item: 3) - min(5, max(1, Float(mu + bi[3])))) < 1e-4)
    }

    @Test func badInputIsAClearError() throws {
        #expect(throws: FactorizationError.self) { try BaselineKNN.fit(SparseMatrix(rows: 3, columns: 3, rowPointers: [0, 0, 0, 0], columnIndices: [], values: [])) }
        #expect(throws: FactorizationError.self) { try BaselineKNN.fit(Self.ratings(), configuration: .init(neighbors: 0)) }
        let wide = try SparseMatrix(rows: 1, columns: BaselineKNN.maximumItems + 1, rowIndices: [0], columnIndices: [0], values: [3])
        #expect(throws: FactorizationError.self) { try BaselineKNN.fit(wide) }
    }

    @Test func sameResultForOneAndTwoThreads() throws {
        let x = Self.ratings()
        let one = try BaselineKNN.fit(x, configuration: .init(threads: 1)), two = try BaselineKNN.fit(x, configuration: .init(threads: 2))
        #expect(maxRelativeDifference(one.similarity.elements, two.similarity.elements) < 1e-5)
    }
}
