import DenseLinalg
import Testing
@testable import Factorization

/// The implicit-feedback term of explicit ALS (SVD++'s |N(u)|^(-1/2) Σ yⱼ) against plain
/// references: its conjugate-gradient half against the normal equations solved naively.
@Suite struct ExplicitALSImplicitTests {
    static func ratings(users: Int = 14, items: Int = 9, seed: UInt64 = 3) throws -> SparseMatrix {
        var g = SeededGenerator(seed: seed)
        var r: [Int] = [], c: [Int] = [], v: [Float] = []
        for u in 0..<users {
            for i in 0..<items where g.nextUnit() < 0.45 || i == u % items {
                r.append(u); c.append(i); v.append(Float(1 + Int(g.nextUnit() * 5) % 5))
            }
        }
        return try SparseMatrix(rows: users, columns: items, rowIndices: r, columnIndices: c, values: v)
    }

    /// Gauss–Jordan solve of a small dense system in Double.
    static func solve(_ a: [[Double]], _ b: [Double]) -> [Double] {
        let n = b.count
        var m = a.enumerated().map { $0.element + [b[$0.offset]] }
        for c in 0..<n {
            let pivot = m[c][c]
            for j in 0...n { m[c][j] /= pivot }
            for r in 0..<n where r != c {
                let f = m[r][c]
                for j in 0...n { m[r][j] -= f * m[c][j] }
            }
        }
        return m.map { $0[n] }
    }

    @Test func conjugateGradientReachesTheNormalEquationsSolution() throws {
        let x = try Self.ratings()
        let k = 3, lambda: Float = 0.7, mean: Float = 3
        var g = SeededGenerator(seed: 9)
        let p = Matrix<Float>.random(rows: x.rows, columns: k, distribution: .normal(mean: 0, standardDeviation: 0.5), using: &g)
        let q = Matrix<Float>.random(rows: x.columns, columns: k, distribution: .normal(mean: 0, standardDeviation: 0.5), using: &g)
        let bu = (0..<x.rows).map { _ in Float(g.nextUnit() - 0.5) }, bi = (0..<x.columns).map { _ in Float(g.nextUnit() - 0.5) }
        // The design: rating (u, i) predicts Σ_{j ∈ N(u)} cᵤ qᵢ·yⱼ from Y flattened (item-major).
        let unknowns = x.columns * k
        var ata = [[Double]](repeating: [Double](repeating: 0, count: unknowns), count: unknowns)
        var atb = [Double](repeating: 0, count: unknowns)
        let counts = x.transposed().rowCounts
        for u in 0..<x.rows {
            let row = x.row(u)
            let c = 1 / Double(row.columns.count).squareRoot()
            for (i32, r) in zip(row.columns, row.values) {
                let i = Int(i32)
                var design = [Double](repeating: 0, count: unknowns)
                for j in row.columns { for d in 0..<k { design[Int(j) * k + d] += c * Double(q[i, d]) } }
                var t = Double(r - mean - bu[u] - bi[i])
                for d in 0..<k { t -= Double(p[u, d]) * Double(q[i, d]) }
                for a in 0..<unknowns where design[a] != 0 {
                    atb[a] += design[a] * t
                    for b in 0..<unknowns { ata[a][b] += design[a] * design[b] }
                }
            }
        }
        for j in 0..<x.columns { for d in 0..<k { ata[j * k + d][j * k + d] += Double(lambda) * Double(counts[j]) } }
        let want = Self.solve(ata, atb)
        for threads in [1, 2] {
            let term = ImplicitFeedbackTerm(ratings: x, factors: k, lambda: lambda, threads: threads)
            var y = Matrix<Float>.zeros(rows: x.columns, columns: k)
            // CG on an n-unknown quadratic is exact after n steps in exact arithmetic; a few more for rounding.
            try term.improve(&y, users: p, items: q, userBias: bu, itemBias: bi, mean: mean, steps: unknowns + 10)
            for a in 0..<unknowns { #expect(abs(Double(y.elements[a]) - want[a]) < 1e-3 * max(1, abs(want[a])), "y[\(a)] threads \(threads)") }
            // zᵤ is cᵤ Σⱼ yⱼ.
            let z = try term.offsets(y)
            for u in 0..<x.rows {
                let row = x.row(u).columns
                for d in 0..<k {
                    let sum = row.reduce(Float(0)) { $0 + y[Int($1), d] } / Float(row.count).squareRoot()
                    #expect(abs(z[u, d] - sum) < 1e-5)
                }
            }
        }
    }

    @Test func lossNeverIncreasesAndTheModelsLossIsTheLastOne() throws {
        let x = try Self.ratings(users: 40, items: 25, seed: 8)
        let configuration = ExplicitALSConfiguration(factors: 5, regularization: 0.05, iterations: 8, threads: 2, trackLoss: true,
                                                     implicitFeedback: true, implicitRegularization: 0.5, implicitSteps: 3)
        let model = try ExplicitALS.fit(x, configuration: configuration)
        for (a, b) in zip(model.lossHistory, model.lossHistory.dropFirst()) { #expect(b <= a * (1 + 1e-5)) }
        #expect(model.implicitFactors != nil)
        let recomputed = try ExplicitALS.objective(x, model: model, configuration: configuration)
        #expect(abs(recomputed - model.lossHistory.last!) < 1e-4 * model.lossHistory.last!)
        // Without the term the model has no implicit factors and the usual loss.
        var plain = configuration
        plain.implicitFeedback = false
        let without = try ExplicitALS.fit(x, configuration: plain)
        #expect(without.implicitFactors == nil)
        #expect(abs(try ExplicitALS.objective(x, model: without, configuration: plain) - without.lossHistory.last!) < 1e-4 * without.lossHistory.last!)
    }
}
