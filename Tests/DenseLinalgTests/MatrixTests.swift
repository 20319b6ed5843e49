import Testing
@testable import DenseLinalg

@Suite struct MatrixTests {
    @Test func shapeAndAccess() throws {
        var m = try Matrix<Double>([[1, 2, 3], [4, 5, 6]])
        #expect(m.rows == 2 && m.columns == 3)
        #expect(m[1, 2] == 6)
        m[0, 1] = 7
        #expect(m.row(0) == [1, 7, 3])
        #expect(m.column(2) == [3, 6])
        #expect(m.transposed == m.transposedNaive)
        #expect(m.transposed.transposed == m)
        #expect(Matrix<Float>.identity(3).diagonal == [1, 1, 1])
    }

    @Test func raggedRowsAreRejected() {
        #expect(throws: LinalgError.self) { try Matrix<Float>([[1, 2], [3]]) }
        #expect(throws: LinalgError.self) { try Matrix<Float>(rows: 2, columns: 2, elements: [1, 2, 3]) }
    }

    @Test func seededRandomIsReproducible() {
        let a = Matrix<Float>.random(rows: 5, columns: 4, seed: 7)
        let b = Matrix<Float>.random(rows: 5, columns: 4, seed: 7)
        let c = Matrix<Float>.random(rows: 5, columns: 4, seed: 8)
        #expect(a == b)
        #expect(a != c)
        let u = Matrix<Double>.random(rows: 100, columns: 10, distribution: .uniform(lower: 2, upper: 3), seed: 1)
        #expect(u.elements.allSatisfy { $0 >= 2 && $0 < 3 })
    }

    @Test(arguments: [(1, 7), (7, 1), (33, 65), (0, 5)])
    func transposeMatchesNaive(shape: (Int, Int)) {
        let m = Matrix<Float>.random(rows: shape.0, columns: shape.1, seed: 3)
        #expect(m.transposed == m.transposedNaive)
    }

    @Test func frobeniusAndApproximateEquality() throws {
        let m = try Matrix<Double>([[3, 0], [0, 4]])
        #expect(abs(m.frobeniusNorm - 5) < 1e-12)
        var n = m
        n[0, 0] += 1e-9
        #expect(m.isApproximatelyEqual(to: n, relativeTolerance: 1e-8))
        #expect(!m.isApproximatelyEqual(to: n, relativeTolerance: 1e-12))
        #expect(!m.isApproximatelyEqual(to: Matrix<Double>(rows: 1, columns: 4)))
        #expect(Matrix<Float>(rows: 0, columns: 3).frobeniusNorm == 0)
    }

    @Test func elementwiseArithmeticChecksShapes() throws {
        let a = try Matrix<Float>([[1, 2]]), b = try Matrix<Float>([[3, 4]])
        #expect(try a + b == Matrix<Float>([[4, 6]]))
        #expect(try b - a == Matrix<Float>([[2, 2]]))
        #expect(2 * a == (try Matrix<Float>([[2, 4]])))
        #expect(throws: LinalgError.self) { try a + Matrix<Float>(rows: 2, columns: 1) }
    }
}
