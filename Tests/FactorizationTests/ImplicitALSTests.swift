import DenseLinalg
import Testing
@testable import Factorization

@Suite struct ImplicitALSTests {
    let x = TestData.implicitMatrix()

    func config(_ solver: ImplicitALSConfiguration.Solver, threads: Int = 1, iterations: Int = 8) -> ImplicitALSConfiguration {
        ImplicitALSConfiguration(factors: 8, regularization: 0.1, alpha: 2, iterations: iterations, solver: solver,
                                 threads: threads, seed: 3, trackLoss: true)
    }

    /// The loss computed by brute force over every (user, item) pair.
    func naiveLoss(_ model: ImplicitALSModel) -> Double {
        let dense = x.toDense()
        var total = 0.0
        for u in 0..<x.rows {
            for i in 0..<x.columns {
                let s = Double(zip(model.userFactors.row(u), model.itemFactors.row(i)).reduce(Float(0)) { $0 + $1.0 * $1.1 })
                let value = dense[u, i]
                let c = Double(model.configuration.confidence(of: value))
                let p = value > 0 ? 1.0 : 0.0
                total += (value > 0 ? c : 1) * (p - s) * (p - s)
            }
        }
        let norms = Double(model.userFactors.frobeniusNorm * model.userFactors.frobeniusNorm
                           + model.itemFactors.frobeniusNorm * model.itemFactors.frobeniusNorm)
        return total + Double(model.configuration.regularization) * norms
    }

    @Test func choleskyLossNeverIncreasesAndMatchesBruteForce() throws {
        let model = try ImplicitALS.fit(x, configuration: config(.cholesky))
        #expect(model.lossHistory.count == 8)
        for (a, b) in zip(model.lossHistory, model.lossHistory.dropFirst()) { #expect(b <= a * (1 + 1e-5)) }
        let naive = naiveLoss(model)
        #expect(abs(model.lossHistory.last! - naive) / naive < 1e-3)
    }

    @Test func conjugateGradientApproachesCholesky() throws {
        let exact = try ImplicitALS.fit(x, configuration: config(.cholesky, iterations: 15))
        let cg = try ImplicitALS.fit(x, configuration: config(.conjugateGradient(steps: 3), iterations: 15))
        let lossGap = abs(cg.lossHistory.last! - exact.lossHistory.last!) / exact.lossHistory.last!
        #expect(lossGap < 0.02, "CG loss \(cg.lossHistory.last!) vs Cholesky \(exact.lossHistory.last!)")
        // Many CG steps from the same start solve each system exactly: same factors as Cholesky.
        let deep = try ImplicitALS.fit(x, configuration: config(.conjugateGradient(steps: 30), iterations: 3))
        let exact3 = try ImplicitALS.fit(x, configuration: config(.cholesky, iterations: 3))
        #expect(maxRelativeDifference(deep.userFactors.elements, exact3.userFactors.elements) < 1e-3)
    }

    /// At 64 factors CG gathers the fixed factors in half precision (where the CPU has the
    /// kernel): its loss stays within 10⁻³ of CG's in single precision.
    @Test func halfPrecisionGathersKeepTheLoss() throws {
        let big = TestData.implicitMatrix(users: 300, items: 200, density: 0.08, seed: 4)
        func run(_ solver: ImplicitALSConfiguration.Solver, half: Bool) throws -> Double {
            // (Cholesky ignores the setting.)
            var c = ImplicitALSConfiguration(factors: 64, regularization: 0.1, alpha: 2, iterations: 6, solver: solver,
                                             threads: 2, seed: 3, trackLoss: true)
            c.halfPrecisionGathers = half
            return try ImplicitALS.fit(big, configuration: c).lossHistory.last!
        }
        let half = try run(.conjugateGradient(steps: 3), half: true), single = try run(.conjugateGradient(steps: 3), half: false)
        #expect(abs(half - single) / single < 1e-3, "half \(half) vs single \(single)")
    }

    /// Blocks bounded by their gathered bytes (down to one row a block) and the kernel paths
    /// (the fused AVX-512 terms where the CPU has them, the AVX2 two-pass gathers, the portable
    /// loops) solve the same systems: after one iteration the factors (up to ~3 here) agree to
    /// rounding, with per-entry confidences and with the shared one of binary data. (Over more
    /// iterations truncated CG amplifies rounding: 0.5% after three.)
    @Test(arguments: [false, true])
    func blockSizesAndKernelPathsAgree(binary: Bool) throws {
        var big = TestData.implicitMatrix(users: 300, items: 200, density: 0.08, seed: 6)
        if binary { big = big.mapValues { _ in 1 } }
        func run(blockBytes: Int, simd: SIMDPolicy) throws -> ImplicitALSModel {
            var c = ImplicitALSConfiguration(factors: 64, regularization: 0.1, alpha: 2, iterations: 1, threads: 2, seed: 3)
            c.halfPrecisionGathers = false
            c.blockGatherBytes = blockBytes
            c.simd = simd
            return try ImplicitALS.fit(big, configuration: c)
        }
        let reference = try run(blockBytes: 0, simd: .baseline)
        for (bytes, simd) in [(0, SIMDPolicy.automatic), (1, .automatic), (512 << 10, .automatic), (1, .avx2), (4096, .baseline)] {
            let model = try run(blockBytes: bytes, simd: simd)
            #expect(maxRelativeDifference(model.userFactors.elements, reference.userFactors.elements) < 1e-4, "\(bytes) bytes, \(simd)")
            #expect(maxRelativeDifference(model.itemFactors.elements, reference.itemFactors.elements) < 1e-4, "\(bytes) bytes, \(simd)")
        }
        var bad = ImplicitALSConfiguration()
        bad.blockGatherBytes = -1
        #expect(throws: FactorizationError.self) { try ImplicitALS.fit(big, configuration: bad) }
    }

    @Test func foldInReproducesTrainedUserFactors() throws {
        let model = try ImplicitALS.fit(x, configuration: config(.cholesky))
        for u in [0, 7, 33] {
            let row = x.row(u)
            let folded = try model.foldIn(items: row.columns.map(Int.init), strengths: Array(row.values))
            #expect(maxRelativeDifference(folded, model.userFactors.row(u)) < 1e-3)
        }
        #expect(throws: FactorizationError.self) { try model.foldIn(items: [999], strengths: [1]) }
        #expect(throws: FactorizationError.self) { try model.foldIn(items: [1], strengths: [.nan]) }
    }

    /// Explanations (Hu et al. §5): each history item's share cᵢ·yⱼᵀWᵤyᵢ, against the same
    /// computed in double precision with an explicit inverse; the shares add up to the
    /// fold-in score yⱼ·xᵤ.
    @Test func explanationSharesMatchTheInverseAndAddUpToTheScore() throws {
        var c = config(.cholesky)
        c.confidence = .logarithmic(epsilon: 0.5)  // unequal confidences: shares must weigh them
        let model = try ImplicitALS.fit(x, configuration: c)
        let gram = try model.regularizedGram()
        let y = model.itemFactors, k = y.columns
        for (u, j) in [(0, 3), (7, 11), (33, 0)] {
            let row = x.row(u)
            let items = row.columns.map(Int.init), strengths = Array(row.values).map { $0 * 3 }
            let shares = try model.explain(items: items, strengths: strengths, item: j, gram: gram)
            // Reference: A = YᵀY + λI + Σ (cᵢ − 1) yᵢyᵢᵀ in double, W = A⁻¹ by Gauss–Jordan.
            var a = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
            for p in 0..<k { for q in 0..<k { a[p][q] = Double(gram[p, q]) } }
            let conf = strengths.map { Double(c.confidence(of: $0)) }
            for (i, ci) in zip(items, conf) { for p in 0..<k { for q in 0..<k { a[p][q] += (ci - 1) * Double(y[i, p]) * Double(y[i, q]) } } }
            var inv = (0..<k).map { p in (0..<k).map { q in p == q ? 1.0 : 0.0 } }
            for col in 0..<k {
                let pivot = a[col][col]
                for q in 0..<k { a[col][q] /= pivot; inv[col][q] /= pivot }
                for r in 0..<k where r != col {
                    let f = a[r][col]
                    for q in 0..<k { a[r][q] -= f * a[col][q]; inv[r][q] -= f * inv[col][q] }
                }
            }
            let reference = zip(items, conf).map { i, ci in
                ci * (0..<k).reduce(0.0) { s, p in s + Double(y[j, p]) * (0..<k).reduce(0.0) { t, q in t + inv[p][q] * Double(y[i, q]) } }
            }
            let scale = reference.map(abs).max()!
            #expect(zip(shares, reference).allSatisfy { abs(Double($0) - $1) <= 1e-3 * scale })
            let folded = try model.foldIn(items: items, strengths: strengths, gram: gram)
            let score = zip(folded, y.row(j)).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            #expect(abs(Double(shares.reduce(0, +) - score)) <= 1e-3 * max(Double(abs(score)), scale))
        }
        #expect(throws: FactorizationError.self) { try model.explain(items: [0], strengths: [1], item: 999, gram: gram) }
        #expect(throws: FactorizationError.self) { try model.explain(items: [0], strengths: [-1], item: 1, gram: gram) }
    }

    @Test func sameSeedSameResultAndThreadsAgree() throws {
        let a = try ImplicitALS.fit(x, configuration: config(.conjugateGradient(steps: 3), threads: 1))
        let b = try ImplicitALS.fit(x, configuration: config(.conjugateGradient(steps: 3), threads: 1))
        let c = try ImplicitALS.fit(x, configuration: config(.conjugateGradient(steps: 3), threads: 2))
        #expect(a.userFactors == b.userFactors && a.itemFactors == b.itemFactors)
        #expect(maxRelativeDifference(a.userFactors.elements, c.userFactors.elements) < 1e-4)
        var other = config(.conjugateGradient(steps: 3))
        other.seed = 4
        #expect(try ImplicitALS.fit(x, configuration: other).userFactors != a.userFactors)
    }

    @Test func badInputIsRejected() throws {
        #expect(throws: FactorizationError.emptyInput(operation: "implicit ALS")) {
            try ImplicitALS.fit(SparseMatrix(rows: 3, columns: 3, triplets: []))
        }
        let negative = try SparseMatrix(rows: 2, columns: 2, triplets: [(0, 0, 1), (1, 1, -2)])
        #expect(throws: FactorizationError.negativeInput(operation: "implicit ALS", row: 1, column: 1, value: -2)) {
            try ImplicitALS.fit(negative)
        }
        #expect(throws: FactorizationError.self) { try ImplicitALS.fit(x, configuration: .init(factors: 0)) }
        #expect(throws: FactorizationError.self) { try ImplicitALS.fit(x, configuration: .init(regularization: -1)) }
    }
}

@Suite struct ImplicitALSUniformConfidenceTests {
    /// Binary data keeps one shared confidence instead of arrays; both solvers give what the
    /// per-entry arrays give.
    @Test(arguments: [ImplicitALSConfiguration.Solver.cholesky, .conjugateGradient(steps: 3)])
    func sharedConfidenceSolvesLikePerEntryArrays(solver: ImplicitALSConfiguration.Solver) throws {
        let x = TestData.implicitMatrix().mapValues { _ in 1 }
        let config = ImplicitALSConfiguration(factors: 6, regularization: 0.1, alpha: 3, iterations: 1, solver: solver, threads: 2)
        let (users, items) = ConfidenceRows.halves(x, config)
        #expect(users.uniform == 4 && items.uniform == 4 && users.values.isEmpty && items.values.isEmpty)
        let t = x.transposed()
        let arrays = [ConfidenceRows(rows: x.rows, rowPointers: x.rowPointers, columnIndices: x.columnIndices,
                                     values: [Float](repeating: 4, count: x.nnz), uniform: nil),
                      ConfidenceRows(rows: t.rows, rowPointers: t.rowPointers, columnIndices: t.columnIndices,
                                     values: [Float](repeating: 4, count: x.nnz), uniform: nil)]
        #expect(items.rowPointers == arrays[1].rowPointers && items.columnIndices == arrays[1].columnIndices)
        let fixed = Matrix<Float>.random(rows: x.columns, columns: 6, seed: 5)
        var a = Matrix<Float>.random(rows: x.rows, columns: 6, seed: 6), b = a
        try ImplicitALS.solveHalf(&a, fixed: fixed, confidence: users, config)
        try ImplicitALS.solveHalf(&b, fixed: fixed, confidence: arrays[0], config)
        #expect(maxRelativeDifference(a.elements, b.elements) < 1e-5)
        let fixedUsers = Matrix<Float>.random(rows: x.rows, columns: 6, seed: 7)
        var c = Matrix<Float>.random(rows: x.columns, columns: 6, seed: 8), d = c
        try ImplicitALS.solveHalf(&c, fixed: fixedUsers, confidence: items, config)
        try ImplicitALS.solveHalf(&d, fixed: fixedUsers, confidence: arrays[1], config)
        #expect(maxRelativeDifference(c.elements, d.elements) < 1e-5)
    }
}
