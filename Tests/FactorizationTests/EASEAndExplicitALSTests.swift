import DenseLinalg
import Foundation
import Testing
@testable import Factorization

@Suite struct EASEAndExplicitALSTests {
    /// EASE (p = 0) and full-rank EDLAE (p > 0: Λ = λI + p/(1−p)·diag(XᵀX)) against the formula
    /// computed naively in double precision; with a user weighting exponent e > 0, XᵀWX with
    /// wᵤ = c·nᵤ^(−e), c making Σᵤ nᵤwᵤ the number of stored entries, in place of XᵀX.
    @Test(arguments: [(Float(0), Float(0)), (0.25, 0), (0.6, 0), (0, 0.5), (0.7, 0.5), (0.3, 1.5)])
    func easeEqualsTheFormulaComputedNaively(dropout: Float, userWeightExponent e: Float) throws {
        let x = TestData.implicitMatrix(users: 40, items: 12, density: 0.3, seed: 2).mapValues { _ in 1 }
        let lambda: Float = 3
        let b = try EASE.fit(x, configuration: .init(regularization: lambda, threads: 2, dropout: dropout, userWeightExponent: e))
        // Naive, in Double: P = (XᵀWX + Λ)⁻¹ by Gauss–Jordan, B = −P/diag(P), diag 0.
        let d = x.toDense().converted(to: Double.self)
        let n = 12
        let counts = (0..<d.rows).map { u in (0..<n).reduce(0.0) { $0 + (d[u, $1] != 0 ? 1 : 0) } }
        let raw = counts.map { $0 > 0 ? pow($0, -Double(e)) : 0 }
        let c = counts.reduce(0, +) / zip(counts, raw).reduce(0) { $0 + $1.0 * $1.1 }
        let w = raw.map { $0 * c }
        var g = [[Double]](repeating: [Double](repeating: 0, count: 2 * n), count: n)
        for i in 0..<n {
            for j in 0..<n { g[i][j] = (0..<d.rows).reduce(0) { $0 + w[$1] * d[$1, i] * d[$1, j] } }
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

    /// The user weights: none at e = 0; otherwise decreasing in the row's length, 0 for an empty
    /// row, and a mean of 1 over the stored entries (so λ keeps its scale).
    @Test func userWeightsAverageOneOverTheEntries() throws {
        let x = try SparseMatrix(rows: 4, columns: 5, triplets: [(0, 0, 1), (1, 0, 1), (1, 1, 1), (1, 2, 1), (1, 3, 1), (3, 4, 1), (3, 1, 1)])
        #expect(EASE.userWeights(x, exponent: 0) == nil)
        let w = try #require(EASE.userWeights(x, exponent: 0.5))
        #expect(w[2] == 0 && w[0] > w[3] && w[3] > w[1])
        #expect(abs(w[0] * 1 + w[1] * 4 + w[3] * 2 - 7) < 1e-5)
        #expect(abs(w[0] / w[1] - 2) < 1e-5)  // (1/4)^(−0.5)
        #expect(throws: FactorizationError.self) { try EASE.fit(x, configuration: .init(regularization: 2, userWeightExponent: -1)) }
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

@Suite struct RP3BetaTests {
    /// The kernel's weights against the formula computed naively, for several α, β and k.
    @Test(arguments: [(Float(1), Float(0), 3), (0.5, 0.4, 5), (0.8, 1, 20)])
    func rp3BetaEqualsTheFormulaComputedNaively(alpha: Float, beta: Float, k: Int) throws {
        let x = TestData.implicitMatrix(users: 30, items: 11, density: 0.3, seed: 4).mapValues { _ in 1 }
        let list = try RP3Beta.neighbors(x, alpha: alpha, beta: beta, k: k, threads: 2)
        let d = x.toDense().converted(to: Double.self)
        let n = 11
        let itemCount = (0..<n).map { j in (0..<d.rows).reduce(0.0) { $0 + d[$1, j] } }
        let userCount = (0..<d.rows).map { u in (0..<n).reduce(0.0) { $0 + d[u, $1] } }
        for i in 0..<n {
            var want: [(Int, Double)] = []
            for j in 0..<n where j != i {
                var walk = 0.0
                for u in 0..<d.rows where d[u, i] > 0 && d[u, j] > 0 { walk += pow(userCount[u], -Double(alpha)) }
                let w = walk == 0 ? 0 : pow(itemCount[i], -Double(alpha)) * walk * pow(itemCount[j], -Double(beta))
                if w > 0 { want.append((j, w)) }
            }
            want.sort { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
            let got = list.neighbors(of: i)
            #expect(got.count == min(min(k, n - 1), want.count), "item \(i)")
            for (g, w) in zip(got, want) {
                #expect(abs(Double(g.score) - w.1) <= 1e-5 * w.1, "item \(i): \(g) against \(w)")
            }
            // The same set of the top weights (ties may order indices either way only when equal).
            if let last = got.last { #expect(want.prefix(got.count).allSatisfy { $0.1 >= Double(last.score) * (1 - 1e-5) }) }
        }
    }

    @Test func rp3BetaRefusesBadParameters() throws {
        let x = TestData.implicitMatrix(users: 10, items: 5, density: 0.4, seed: 1)
        #expect(throws: FactorizationError.self) { try RP3Beta.neighbors(x, alpha: -1, beta: 0, k: 3) }
        #expect(throws: FactorizationError.self) { try RP3Beta.neighbors(x, alpha: 1, beta: .nan, k: 3) }
        #expect(throws: FactorizationError.self) { try RP3Beta.neighbors(x, alpha: 1, beta: 0, k: 0) }
    }
}

@Suite struct SparseEASETests {
    /// With every item a neighbour (and every pair co-occurring) it is EASE / EDLAE exactly.
    @Test(arguments: [Float(0), 0.6])
    func allNeighboursIsTheDenseClosedForm(dropout: Float) throws {
        let x = TestData.implicitMatrix(users: 200, items: 14, density: 0.5, seed: 7).mapValues { _ in 1 }
        let sparse = try SparseEASE.fit(x, configuration: .init(regularization: 5, dropout: dropout, neighbors: 100, threads: 2)).toDense()
        let dense = try EASE.fit(x, configuration: .init(regularization: 5, threads: 1, dropout: dropout))
        let scale = dense.elements.map(abs).max()!
        for i in 0..<14 { for j in 0..<14 { #expect(abs(sparse[i, j] - dense[i, j]) <= 1e-4 * scale, "B[\(i), \(j)]") } }
    }

    /// With m neighbours, column j is the ridge regression on j's m most co-occurring items,
    /// computed here in double precision by Gauss–Jordan; thread counts agree bit for bit, and
    /// so do the paths of the popular items' cached counts: none cached, some, all.
    @Test(arguments: [0, 6, 16])
    func fewNeighboursAreTheLocalRegression(cachedItems: Int) throws {
        let x = TestData.implicitMatrix(users: 80, items: 16, density: 0.25, seed: 3).mapValues { _ in 1 }
        let m = 5, lambda = 3.0, p = 0.5
        let b = try SparseEASE.fit(x, configuration: .init(regularization: Float(lambda), dropout: Float(p), neighbors: m, threads: 1,
                                                           cachedItems: cachedItems))
        #expect(try SparseEASE.fit(x, configuration: .init(regularization: Float(lambda), dropout: Float(p), neighbors: m, threads: 2,
                                                           cachedItems: cachedItems)) == b)
        #expect(try SparseEASE.fit(x, configuration: .init(regularization: Float(lambda), dropout: Float(p), neighbors: m, threads: 1,
                                                           cachedItems: 16 - cachedItems)) == b)
        let d = x.toDense().converted(to: Double.self), n = 16
        var g = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for u in 0..<d.rows { for a in 0..<n where d[u, a] > 0 { for c in 0..<n where d[u, c] > 0 { g[a][c] += 1 } } }
        let dense = b.toDense()
        for j in 0..<n {
            let chosen = (0..<n).filter { $0 != j && g[$0][j] > 0 }.sorted { g[$0][j] > g[$1][j] || (g[$0][j] == g[$1][j] && $0 < $1) }.prefix(m).map { $0 }
            let k = chosen.count
            var a = (0..<k).map { r in (0..<k).map { c in g[chosen[r]][chosen[c]] + (r == c ? lambda + p / (1 - p) * g[chosen[r]][chosen[r]] : 0) } }
            var rhs = chosen.map { g[$0][j] }
            for col in 0..<k {
                let pivot = a[col][col]
                for c in 0..<k { a[col][c] /= pivot }; rhs[col] /= pivot
                for r in 0..<k where r != col {
                    let f = a[r][col]
                    for c in 0..<k { a[r][c] -= f * a[col][c] }; rhs[r] -= f * rhs[col]
                }
            }
            for i in 0..<n {
                let want = chosen.firstIndex(of: i).map { rhs[$0] } ?? 0
                #expect(abs(Double(dense[i, j]) - want) <= 1e-4 * max(1, abs(want)), "B[\(i), \(j)]")
            }
        }
        #expect(throws: FactorizationError.self) { try SparseEASE.fit(x, configuration: .init(regularization: 0)) }
        #expect(throws: FactorizationError.self) { try SparseEASE.fit(x, configuration: .init(dropout: 1)) }
        #expect(throws: FactorizationError.self) { try SparseEASE.fit(x, configuration: .init(neighbors: 0)) }
        #expect(throws: FactorizationError.self) { try SparseEASE.fit(x, configuration: .init(cachedItems: -1)) }
    }
}
