import DenseLinalg
@testable import Factorization

/// Small seeded inputs for the kernel tests.
enum TestData {
    /// A users × items 0/1 matrix with block structure (two taste groups) plus noise.
    static func implicitMatrix(users: Int = 60, items: Int = 40, density: Double = 0.15, seed: UInt64 = 1) -> SparseMatrix {
        var g = SeededGenerator(seed: seed)
        var r: [Int] = [], c: [Int] = [], v: [Float] = []
        for u in 0..<users {
            for i in 0..<items {
                let sameGroup = (u % 2) == (i % 2)
                if g.nextUnit() < (sameGroup ? density * 1.8 : density * 0.2) {
                    r.append(u); c.append(i); v.append(Float(1 + g.next() % 3))
                }
            }
        }
        return try! SparseMatrix(rows: users, columns: items, rowIndices: r, columnIndices: c, values: v)
    }

    /// A rank-r matrix plus small noise, dense.
    static func lowRankPlusNoise(rows: Int, columns: Int, rank: Int, noise: Float, seed: UInt64) -> Matrix<Float> {
        let a = Matrix<Float>.random(rows: rows, columns: rank, seed: seed)
        var b = Matrix<Float>.random(rows: rank, columns: columns, seed: seed + 1)
        for i in 0..<rank { for j in 0..<columns { b[i, j] *= Float(rank - i) } } // distinct spectrum
        var m = try! a.matmul(b)
        let e = Matrix<Float>.random(rows: rows, columns: columns, seed: seed + 2)
        m = try! m + noise * e
        return m
    }
}

/// max |a − b| / max(1, |b|) over two equal-length arrays.
func maxRelativeDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
}
