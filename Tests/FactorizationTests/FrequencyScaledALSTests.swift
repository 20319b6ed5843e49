import DenseLinalg
import Foundation
import Testing
@testable import Factorization

/// Implicit ALS with frequency-scaled regularisation (Rendle et al., RecSys 2022): a row with n
/// entries is regularised by λ·(1 + n(1 + α)/N)^ν. Checked against the per-row ridge systems
/// solved in double precision and against the loss computed by brute force.
@Suite struct FrequencyScaledALSTests {
    let x = TestData.implicitMatrix()

    func config(_ solver: ImplicitALSConfiguration.Solver, exponent: Float = 1, iterations: Int = 6) -> ImplicitALSConfiguration {
        var c = ImplicitALSConfiguration(factors: 6, regularization: 0.5, alpha: 3, iterations: iterations, solver: solver,
                                         threads: 1, seed: 5, trackLoss: true)
        c.regularizationExponent = exponent
        return c
    }

    /// λᵤ written out here, not through the library: λ·(1 + n/(α₀N))^ν with α₀ = 1/(1 + α).
    func lambda(_ c: ImplicitALSConfiguration, entries: Int, otherSide: Int) -> Double {
        let alpha0 = 1 / (1 + Double(c.alpha))
        return Double(c.regularization) * pow(1 + Double(entries) / (alpha0 * Double(otherSide)), Double(c.regularizationExponent))
    }

    /// (YᵀCᵤY + λᵤI) x = YᵀCᵤpᵤ over all items, in double precision (Gaussian elimination).
    func ridgeRow(_ model: ImplicitALSModel, user u: Int) -> [Double] {
        let y = model.itemFactors, k = y.columns, c = model.configuration
        let dense = x.toDense()
        var a = [[Double]](repeating: [Double](repeating: 0, count: k + 1), count: k)
        let l = lambda(c, entries: x.row(u).columns.count, otherSide: x.columns)
        for p in 0..<k { a[p][p] = l }
        for i in 0..<x.columns {
            let value = dense[u, i]
            let ci = value > 0 ? Double(c.confidence(of: value)) : 1, pi = value > 0 ? 1.0 : 0.0
            for p in 0..<k {
                for q in 0..<k { a[p][q] += ci * Double(y[i, p]) * Double(y[i, q]) }
                a[p][k] += ci * pi * Double(y[i, p])
            }
        }
        for col in 0..<k {
            for r in 0..<k where r != col {
                let f = a[r][col] / a[col][col]
                for q in col...k { a[r][q] -= f * a[col][q] }
            }
        }
        return (0..<k).map { a[$0][k] / a[$0][$0] }
    }

    @Test func rowsSolveTheirFrequencyScaledRidgeSystems() throws {
        let model = try ImplicitALS.fit(x, configuration: config(.cholesky))
        // The user half is solved last, against the final item factors: each user row is the
        // exact solution of its own system, with its own λᵤ.
        for u in [0, 7, 33, 59] {
            let reference = ridgeRow(model, user: u)
            let scale = reference.map(abs).max()!
            #expect(zip(model.userFactors.row(u), reference).allSatisfy { abs(Double($0) - $1) <= 1e-3 * scale }, "user \(u)")
            // Fold-in regularises a new user as training did.
            let row = x.row(u)
            let folded = try model.foldIn(items: row.columns.map(Int.init), strengths: Array(row.values))
            #expect(maxRelativeDifference(folded, model.userFactors.row(u)) < 1e-3)
        }
        #expect(abs(Double(config(.cholesky).rowRegularization(entries: 10, otherSide: 40)) - lambda(config(.cholesky), entries: 10, otherSide: 40)) < 1e-5)
        #expect(config(.cholesky, exponent: 0).rowRegularization(entries: 10, otherSide: 40) == 0.5)
    }

    @Test func choleskyLossNeverIncreasesAndMatchesBruteForce() throws {
        let model = try ImplicitALS.fit(x, configuration: config(.cholesky))
        for (a, b) in zip(model.lossHistory, model.lossHistory.dropFirst()) { #expect(b <= a * (1 + 1e-5)) }
        let dense = x.toDense(), c = model.configuration
        var total = 0.0
        for u in 0..<x.rows {
            for i in 0..<x.columns {
                let s = Double(zip(model.userFactors.row(u), model.itemFactors.row(i)).reduce(Float(0)) { $0 + $1.0 * $1.1 })
                let value = dense[u, i], p = value > 0 ? 1.0 : 0.0
                total += (value > 0 ? Double(c.confidence(of: value)) : 1) * (p - s) * (p - s)
            }
        }
        let t = x.transposed()
        for (factors, counts, other) in [(model.userFactors, x.rowCounts, x.columns), (model.itemFactors, t.rowCounts, x.rows)] {
            for r in 0..<factors.rows {
                total += lambda(c, entries: counts[r], otherSide: other) * factors.row(r).reduce(0.0) { $0 + Double($1) * Double($1) }
            }
        }
        #expect(abs(model.lossHistory.last! - total) / total < 1e-3, "tracked \(model.lossHistory.last!) vs brute force \(total)")
    }

    @Test func conjugateGradientSolvesTheSameSystems() throws {
        let exact = try ImplicitALS.fit(x, configuration: config(.cholesky, iterations: 3))
        let deep = try ImplicitALS.fit(x, configuration: config(.conjugateGradient(steps: 30), iterations: 3))
        #expect(maxRelativeDifference(deep.userFactors.elements, exact.userFactors.elements) < 1e-3)
        let plain = try ImplicitALS.fit(x, configuration: config(.cholesky, exponent: 0, iterations: 3))
        #expect(maxRelativeDifference(plain.userFactors.elements, exact.userFactors.elements) > 1e-2, "ν had no effect")
    }

    @Test func anExponentOutsideItsRangeIsRefused() {
        #expect(throws: FactorizationError.self) { try ImplicitALS.fit(x, configuration: config(.cholesky, exponent: -1)) }
        #expect(throws: FactorizationError.self) { try ImplicitALS.fit(x, configuration: config(.cholesky, exponent: .nan)) }
    }
}
