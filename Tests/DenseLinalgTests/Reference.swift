@testable import DenseLinalg

/// Plain-loop references the BLAS/LAPACK wrappers are compared with.
enum Reference {
    static func matmul<T: LinalgScalar>(_ a: Matrix<T>, _ ta: Bool, _ b: Matrix<T>, _ tb: Bool) -> Matrix<T> {
        let opA = ta ? a.transposedNaive : a, opB = tb ? b.transposedNaive : b
        var c = Matrix<T>(rows: opA.rows, columns: opB.columns)
        for i in 0..<opA.rows {
            for j in 0..<opB.columns {
                var s: T = 0
                for p in 0..<opA.columns { s += opA[i, p] * opB[p, j] }
                c[i, j] = s
            }
        }
        return c
    }
}

extension Matrix {
    var transposedNaive: Matrix {
        var t = Matrix(rows: columns, columns: rows)
        for i in 0..<rows { for j in 0..<columns { t[j, i] = self[i, j] } }
        return t
    }

    /// Max |(QᵀQ − I)ᵢⱼ| over the columns of self.
    func orthonormalityError() -> Double {
        let g = Reference.matmul(self, true, self, false)
        var worst = 0.0
        for i in 0..<g.rows { for j in 0..<g.columns { worst = Swift.max(worst, abs(Double(g[i, j]) - (i == j ? 1 : 0))) } }
        return worst
    }
}

/// A random symmetric positive definite matrix AᵀA + n·I.
func randomSPD<T: LinalgScalar>(_ n: Int, seed: UInt64, as: T.Type = T.self) -> Matrix<T> {
    let a = Matrix<T>.random(rows: n, columns: n, seed: seed)
    var s = Reference.matmul(a, true, a, false)
    s.addToDiagonal(T(n))
    return s
}

func tolerance<T: LinalgScalar>(_: T.Type) -> T { T.self == Float.self ? 1e-4 : 1e-10 }
