import Testing
@testable import DenseLinalg

/// Every BLAS wrapper against a naive loop, for Float and Double, over several shapes.
@Suite struct BLASTests {
    static let shapes: [(m: Int, k: Int, n: Int)] = [(1, 5, 1), (1, 7, 9), (9, 7, 1), (0, 3, 4), (4, 0, 3),
                                                     (3, 4, 0), (13, 8, 21), (64, 33, 17)]

    func checkGemm<T: LinalgScalar>(_: T.Type) throws {
        var seed: UInt64 = 1
        for s in Self.shapes {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                seed += 1
                let a = Matrix<T>.random(rows: ta ? s.k : s.m, columns: ta ? s.m : s.k, seed: seed)
                let b = Matrix<T>.random(rows: tb ? s.n : s.k, columns: tb ? s.k : s.n, seed: seed + 100)
                let c = try a.matmul(b, transposeSelf: ta, transposeOther: tb)
                let expected = Reference.matmul(a, ta, b, tb)
                #expect(c.shape == expected.shape)
                #expect(c.isApproximatelyEqual(to: expected, relativeTolerance: tolerance(T.self)), "gemm \(s) ta=\(ta) tb=\(tb)")
                // alpha/beta accumulate.
                var acc = Matrix<T>.random(rows: s.m, columns: s.n, seed: seed + 7)
                let before = acc
                try Matrix.gemm(alpha: 2, a, transposeA: ta, b, transposeB: tb, beta: 0.5, into: &acc)
                var want = before
                for i in 0..<s.m { for j in 0..<s.n { want[i, j] = 2 * expected[i, j] + 0.5 * before[i, j] } }
                #expect(acc.isApproximatelyEqual(to: want, relativeTolerance: tolerance(T.self)))
            }
        }
    }

    @Test func gemmFloat() throws { try checkGemm(Float.self) }
    @Test func gemmDouble() throws { try checkGemm(Double.self) }

    func checkGemv<T: LinalgScalar>(_: T.Type) throws {
        for (m, n) in [(1, 6), (6, 1), (0, 4), (4, 0), (17, 9)] {
            let a = Matrix<T>.random(rows: m, columns: n, seed: UInt64(m * 31 + n))
            for t in [false, true] {
                let x = Matrix<T>.random(rows: t ? m : n, columns: 1, seed: 5).elements
                let y = try a.multiply(x, transpose: t)
                let want = Reference.matmul(a, t, try Matrix(rows: x.count, columns: 1, elements: x), false).elements
                #expect(y.count == want.count)
                let ym = try Matrix(rows: y.count, columns: 1, elements: y)
                let wm = try Matrix(rows: want.count, columns: 1, elements: want)
                #expect(ym.isApproximatelyEqual(to: wm, relativeTolerance: tolerance(T.self)))
            }
        }
    }

    @Test func gemvFloat() throws { try checkGemv(Float.self) }
    @Test func gemvDouble() throws { try checkGemv(Double.self) }

    func checkSyrk<T: LinalgScalar>(_: T.Type) throws {
        for (m, n) in [(1, 5), (5, 1), (0, 3), (3, 0), (20, 7), (7, 20)] {
            let a = Matrix<T>.random(rows: m, columns: n, seed: UInt64(m * 7 + n))
            let ata = try a.gram(transpose: true)
            let aat = try a.gram(transpose: false)
            #expect(ata.isApproximatelyEqual(to: Reference.matmul(a, true, a, false), relativeTolerance: tolerance(T.self)))
            #expect(aat.isApproximatelyEqual(to: Reference.matmul(a, false, a, true), relativeTolerance: tolerance(T.self)))
            #expect(ata == ata.transposed)
        }
    }

    @Test func syrkFloat() throws { try checkSyrk(Float.self) }
    @Test func syrkDouble() throws { try checkSyrk(Double.self) }

    func checkLevel1<T: LinalgScalar>(_: T.Type) throws {
        let x = Matrix<T>.random(rows: 37, columns: 1, seed: 1).elements
        var y = Matrix<T>.random(rows: 37, columns: 1, seed: 2).elements
        let naiveDot = zip(x, y).reduce(T(0)) { $0 + $1.0 * $1.1 }
        #expect(abs(try BLAS.dot(x, y) - naiveDot) <= tolerance(T.self) * 10)
        let y0 = y
        try BLAS.axpy(3, x, &y)
        for i in 0..<37 { #expect(abs(y[i] - (y0[i] + 3 * x[i])) <= tolerance(T.self)) }
        var z = x
        BLAS.scale(&z, by: -2)
        for i in 0..<37 { #expect(z[i] == -2 * x[i]) }
        let naiveNorm = x.reduce(T(0)) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(BLAS.norm(x) - naiveNorm) <= tolerance(T.self) * 10)
        #expect(BLAS.norm([T]()) == 0)
        #expect(throws: LinalgError.self) { try BLAS.dot(x, [1, 2]) }
        var short: [T] = [1, 2]
        #expect(throws: LinalgError.self) { try BLAS.axpy(1, x, &short) }
    }

    @Test func level1Float() throws { try checkLevel1(Float.self) }
    @Test func level1Double() throws { try checkLevel1(Double.self) }

    @Test func mismatchedShapesNameBothShapes() throws {
        let a = Matrix<Float>(rows: 3, columns: 4), b = Matrix<Float>(rows: 5, columns: 2)
        do {
            _ = try a.matmul(b)
            Issue.record("expected a shape mismatch")
        } catch let error as LinalgError {
            #expect(error.description.contains("3×4") && error.description.contains("5×2"), "\(error)")
        }
        #expect(throws: LinalgError.self) { try a.multiply([1, 2]) }
        var wrong = Matrix<Float>(rows: 2, columns: 2)
        #expect(throws: LinalgError.self) { try a.syrk(into: &wrong) }
    }

    @Test func unsafeKernelsMatchNaive() {
        for n in [0, 1, 15, 16, 17, 31, 32, 33, 64, 100] {
            let x = Matrix<Float>.random(rows: max(n, 1), columns: 1, seed: UInt64(n)).elements
            let y = Matrix<Float>.random(rows: max(n, 1), columns: 1, seed: UInt64(n + 50)).elements
            var naive: Float = 0
            for i in 0..<n { naive += x[i] * y[i] }
            let d = x.withUnsafeBufferPointer { xp in y.withUnsafeBufferPointer { UnsafeKernels.dot(xp.baseAddress!, $0.baseAddress!, n) } }
            #expect(abs(d - naive) <= 1e-4 * max(1, abs(naive)))
            var z = y
            z.withUnsafeMutableBufferPointer { zp in x.withUnsafeBufferPointer { UnsafeKernels.axpy(0.5, $0.baseAddress!, zp.baseAddress!, n) } }
            for i in 0..<n { #expect(abs(z[i] - (y[i] + 0.5 * x[i])) <= 1e-6) }
        }
    }
}
