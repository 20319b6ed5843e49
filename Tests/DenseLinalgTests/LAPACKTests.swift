import Testing
@testable import DenseLinalg

@Suite struct LAPACKTests {
    func relativeResidual<T: LinalgScalar>(_ a: Matrix<T>, _ x: Matrix<T>, _ b: Matrix<T>) throws -> T {
        let r = try Reference.matmul(a, false, x, false) - b
        return r.frobeniusNorm / max(b.frobeniusNorm, T.leastNormalMagnitude)
    }

    func checkCholesky<T: LinalgScalar>(_: T.Type) throws {
        for n in [1, 2, 9, 40] {
            let a = randomSPD(n, seed: UInt64(n), as: T.self)
            let chol = try a.cholesky()
            let l = chol.lower
            for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { #expect(l[i, j] == 0) } }
            #expect(Reference.matmul(l, false, l, true).isApproximatelyEqual(to: a, relativeTolerance: tolerance(T.self)))
            let b = Matrix<T>.random(rows: n, columns: 3, seed: 9)
            #expect(try relativeResidual(a, try chol.solve(b), b) <= tolerance(T.self))
            #expect(try relativeResidual(a, try a.solvePositiveDefinite(b), b) <= tolerance(T.self))
            let inv = try a.inversePositiveDefinite()
            #expect(Reference.matmul(a, false, inv, false).isApproximatelyEqual(to: .identity(n), relativeTolerance: tolerance(T.self) * 10))
            #expect(inv == inv.transposed)
        }
        // Empty is fine.
        #expect(try Matrix<T>(rows: 0, columns: 0).cholesky().lower.count == 0)
    }

    @Test func choleskyFloat() throws { try checkCholesky(Float.self) }
    @Test func choleskyDouble() throws { try checkCholesky(Double.self) }

    @Test func indefiniteMatrixNamesTheLeadingMinor() throws {
        var a = randomSPD(20, seed: 3, as: Float.self)
        a[16, 16] = -1000
        do {
            _ = try a.cholesky()
            Issue.record("expected notPositiveDefinite")
        } catch let error as LinalgError {
            #expect(error == .notPositiveDefinite(leadingMinor: 17))
            #expect(error.description == "matrix is not positive definite: leading minor 17")
        }
        #expect(throws: LinalgError.notPositiveDefinite(leadingMinor: 17)) { try a.solvePositiveDefinite(.identity(20)) }
        #expect(throws: LinalgError.self) { try a.inversePositiveDefinite() }
    }

    @Test func nonFiniteAndNonSquareInputsAreRejected() throws {
        var a = randomSPD(4, seed: 1, as: Double.self)
        a[2, 1] = .nan
        #expect(throws: LinalgError.nonFiniteInput(operation: "cholesky")) { try a.cholesky() }
        #expect(throws: LinalgError.nonFiniteInput(operation: "svd")) { try a.svd() }
        #expect(throws: LinalgError.self) { try a.symmetricEigen() }
        #expect(throws: LinalgError.self) { try a.thinQR() }
        var b = randomSPD(4, seed: 1, as: Double.self)
        b[0, 0] = .infinity
        #expect(throws: LinalgError.self) { try b.solvePositiveDefinite(.identity(4)) }
        #expect(throws: LinalgError.notSquare(operation: "cholesky", shape: Shape(2, 3))) {
            try Matrix<Float>(rows: 2, columns: 3).cholesky()
        }
        #expect(throws: LinalgError.self) { try randomSPD(3, seed: 1, as: Float.self).solvePositiveDefinite(.identity(4)) }
    }

    func checkSVD<T: LinalgScalar>(_: T.Type) throws {
        for (m, n) in [(1, 6), (6, 1), (12, 5), (5, 12), (30, 30)] {
            let a = Matrix<T>.random(rows: m, columns: n, seed: UInt64(m * 100 + n))
            let svd = try a.svd()
            let r = min(m, n)
            #expect(svd.u.shape == Shape(m, r) && svd.vt.shape == Shape(r, n) && svd.singularValues.count == r)
            #expect(try svd.reconstructed().isApproximatelyEqual(to: a, relativeTolerance: tolerance(T.self)))
            #expect(svd.u.orthonormalityError() <= Double(tolerance(T.self)) * 10)
            #expect(svd.vt.transposed.orthonormalityError() <= Double(tolerance(T.self)) * 10)
            #expect(zip(svd.singularValues, svd.singularValues.dropFirst()).allSatisfy { $0 >= $1 })
            #expect(svd.singularValues.allSatisfy { $0 >= 0 })
        }
        let empty = try Matrix<T>(rows: 0, columns: 4).svd()
        #expect(empty.singularValues.isEmpty)
    }

    @Test func svdFloat() throws { try checkSVD(Float.self) }
    @Test func svdDouble() throws { try checkSVD(Double.self) }

    func checkEigen<T: LinalgScalar>(_: T.Type) throws {
        for n in [1, 3, 25] {
            let a = randomSPD(n, seed: UInt64(n + 11), as: T.self)
            let (values, vectors) = try a.symmetricEigen()
            #expect(zip(values, values.dropFirst()).allSatisfy { $0 <= $1 })
            #expect(vectors.orthonormalityError() <= Double(tolerance(T.self)) * 10)
            // A·V = V·diag(λ)
            let av = Reference.matmul(a, false, vectors, false)
            var vl = vectors
            for i in 0..<n { for j in 0..<n { vl[i, j] *= values[j] } }
            #expect(av.isApproximatelyEqual(to: vl, relativeTolerance: tolerance(T.self) * 10))
        }
    }

    @Test func eigenFloat() throws { try checkEigen(Float.self) }
    @Test func eigenDouble() throws { try checkEigen(Double.self) }

    func checkQR<T: LinalgScalar>(_: T.Type) throws {
        for (m, n) in [(1, 1), (8, 3), (3, 8), (50, 50), (7, 1), (1, 7)] {
            let a = Matrix<T>.random(rows: m, columns: n, seed: UInt64(m * 13 + n))
            let (q, r) = try a.thinQR()
            let k = min(m, n)
            #expect(q.shape == Shape(m, k) && r.shape == Shape(k, n))
            #expect(q.orthonormalityError() <= Double(tolerance(T.self)) * 10)
            for i in 0..<k { for j in 0..<min(i, n) { #expect(r[i, j] == 0) } }
            #expect(Reference.matmul(q, false, r, false).isApproximatelyEqual(to: a, relativeTolerance: tolerance(T.self)))
        }
    }

    @Test func qrFloat() throws { try checkQR(Float.self) }
    @Test func qrDouble() throws { try checkQR(Double.self) }
}
