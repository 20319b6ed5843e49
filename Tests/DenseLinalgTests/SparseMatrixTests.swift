import Testing
@testable import DenseLinalg

@Suite struct SparseMatrixTests {
    /// A random sparse matrix with about `density` of its entries set.
    static func random(rows: Int, columns: Int, density: Double, seed: UInt64) throws -> SparseMatrix {
        var g = SeededGenerator(seed: seed)
        var r: [Int] = [], c: [Int] = [], v: [Float] = []
        for i in 0..<rows { for j in 0..<columns where g.nextUnit() < density {
            r.append(i); c.append(j); v.append(Float(g.nextGaussian()))
        } }
        return try SparseMatrix(rows: rows, columns: columns, rowIndices: r, columnIndices: c, values: v)
    }

    @Test func tripletsSumDuplicatesAndSortColumns() throws {
        let s = try SparseMatrix(rows: 2, columns: 4, triplets: [(1, 3, 1), (0, 2, 2), (1, 0, 5), (1, 3, 4)])
        #expect(s.nnz == 3)
        #expect(s.rowPointers == [0, 1, 3])
        #expect(s.columnIndices == [2, 0, 3])
        #expect(s.values == [2, 5, 5])
        #expect(s[1, 3] == 5 && s[0, 0] == 0)
        #expect(abs(s.density - 3.0 / 8) < 1e-12)
        #expect(throws: LinalgError.duplicateEntry(row: 1, column: 3)) {
            try SparseMatrix(rows: 2, columns: 4, triplets: [(1, 3, 1), (1, 3, 4)], duplicates: .reject)
        }
    }

    /// The row-sorting assembly against a plain reference (a dictionary per pair, visited in
    /// input order) for every duplicate policy, on one and three threads.
    @Test func assemblyMatchesAPlainReferenceForEveryPolicy() throws {
        var g = SeededGenerator(seed: 9)
        let (rows, columns, n) = (300, 40, 6_000)
        let r = (0..<n).map { _ in Int32(g.next() % UInt64(rows)) }
        let c = (0..<n).map { _ in Int32(g.next() % UInt64(columns)) }
        let v = (0..<n).map { _ in Float(g.nextGaussian()) }
        let order = (0..<n).map { _ in Int64(g.next() % 50) }  // many ties
        var sums: [Int64: Float] = [:], latest: [Int64: Int] = [:]
        for t in 0..<n {
            let key = Int64(r[t]) << 32 | Int64(c[t])
            sums[key, default: 0] += v[t]
            if let previous = latest[key], order[previous] > order[t] { continue }
            latest[key] = t
        }
        for threads in [1, 3] {
            let sum = try SparseMatrix(rows: rows, columns: columns, rowIndices: r, columnIndices: c, values: v, threads: threads)
            let one = try SparseMatrix(rows: rows, columns: columns, rowIndices: r, columnIndices: c, values: v, duplicates: .one, threads: threads)
            let last = try SparseMatrix(rows: rows, columns: columns, rowIndices: r, columnIndices: c, values: v,
                                        duplicates: .latest(order: order), threads: threads)
            #expect(sum.nnz == sums.count && one.nnz == sums.count && last.nnz == sums.count)
            for i in 0..<rows {
                let row = sum.row(i)
                #expect(zip(row.columns, row.columns.dropFirst()).allSatisfy { $0 < $1 })
                for (j, value) in zip(row.columns, row.values) {
                    let key = Int64(i) << 32 | Int64(j)
                    #expect(value.bitPattern == sums[key]!.bitPattern)  // added in input order, bit for bit
                    #expect(one[i, Int(j)] == 1 && last[i, Int(j)] == v[latest[key]!])
                }
            }
            #expect(throws: LinalgError.self) {
                try SparseMatrix(rows: rows, columns: columns, rowIndices: r, columnIndices: c, values: v, duplicates: .reject, threads: threads)
            }
            // No order keys: the later entry in input order wins, as with equal keys.
            let unordered = try SparseMatrix(rows: rows, columns: columns, rowIndices: r, columnIndices: c, values: v,
                                             duplicates: .latest(order: []), threads: threads)
            #expect(try unordered == SparseMatrix(rows: rows, columns: columns, rowIndices: r, columnIndices: c, values: v,
                                                  duplicates: .latest(order: [Int64](repeating: 0, count: n)), threads: threads))
        }
    }

    @Test func outOfRangeAndNonFiniteAreRejected() {
        #expect(throws: LinalgError.indexOutOfRange(operation: "sparse matrix", row: 2, column: 0, shape: Shape(2, 2))) {
            try SparseMatrix(rows: 2, columns: 2, triplets: [(2, 0, 1)])
        }
        #expect(throws: LinalgError.self) { try SparseMatrix(rows: 2, columns: 2, triplets: [(0, -1, 1)]) }
        #expect(throws: LinalgError.self) { try SparseMatrix(rows: 2, columns: 2, triplets: [(0, 0, .nan)]) }
        #expect(throws: LinalgError.self) {
            try SparseMatrix(rows: 2, columns: 2, rowPointers: [0, 2, 1], columnIndices: [0], values: [1])
        }
        #expect(throws: LinalgError.self) {
            try SparseMatrix(rows: 1, columns: 2, rowPointers: [0, 2], columnIndices: [1, 0], values: [1, 1])
        }
    }

    @Test func transposeSliceAndReductions() throws {
        let s = try Self.random(rows: 23, columns: 17, density: 0.2, seed: 4)
        let d = s.toDense()
        #expect(s.transposed().toDense() == d.transposed)
        #expect(s.transposed().transposed() == s)
        #expect(s.rowSlice(5..<11).toDense() == d.rows(5..<11))
        #expect(SparseMatrix(dense: d) == s)
        for i in 0..<23 {
            let row = d.row(i)
            #expect(abs(s.rowSums[i] - row.reduce(0, +)) < 1e-5)
            #expect(abs(s.rowNorms[i] - row.reduce(0) { $0 + $1 * $1 }.squareRoot()) < 1e-5)
        }
        for j in 0..<17 {
            let col = d.column(j)
            #expect(abs(s.columnSums[j] - col.reduce(0, +)) < 1e-5)
            #expect(abs(s.columnNorms[j] - col.reduce(0) { $0 + $1 * $1 }.squareRoot()) < 1e-5)
        }
    }

    @Test(arguments: [1, 2])
    func spmmMatchesDenseProduct(threads: Int) throws {
        // k = 64 and 80 take the AVX2 product where the CPU has it; at density 0.03 about a third
        // of its 500 rows are empty, which that loop skips while prefetching across them.
        for (m, n, k, density) in [(1, 9, 5, 0.15), (9, 1, 3, 0.15), (40, 30, 17, 0.15), (300, 50, 64, 0.15),
                                   (500, 40, 64, 0.03), (500, 40, 80, 0.03), (120, 70, 80, 0.2), (0, 4, 2, 0.15),
                                   (4, 4, 0, 0.15)] {
            let s = try Self.random(rows: m, columns: n, density: density, seed: UInt64(m + n + k))
            let b = Matrix<Float>.random(rows: n, columns: k, seed: 2)
            let got = try s.multiply(b, threads: threads)
            #expect(got.isApproximatelyEqual(to: Reference.matmul(s.toDense(), false, b, false), relativeTolerance: 1e-5))
            let bt = Matrix<Float>.random(rows: m, columns: k, seed: 3)
            let gotT = try s.transposeMultiply(bt, threads: threads)
            #expect(gotT.isApproximatelyEqual(to: Reference.matmul(s.toDense(), true, bt, false), relativeTolerance: 1e-5))
        }
        let s = try Self.random(rows: 4, columns: 5, density: 0.5, seed: 1)
        #expect(throws: LinalgError.self) { try s.multiplyRoundingToHalf(Matrix(rows: 4, columns: 2)) }
        #expect(throws: LinalgError.self) { try s.multiply(Matrix(rows: 4, columns: 2)) }
        #expect(throws: LinalgError.self) { try s.transposeMultiply(Matrix(rows: 5, columns: 2)) }
    }

    /// The half-precision product equals the exact product of A and B rounded to half precision
    /// (where the CPU converts in hardware; elsewhere it is the single-precision product), at
    /// the widths with a half kernel and one without.
    @Test(arguments: [1, 2])
    func halfProductRoundsTheDenseOperand(threads: Int) throws {
        for (m, n, k) in [(300, 50, 64), (500, 40, 80), (60, 30, 17)] {
            let s = try Self.random(rows: m, columns: n, density: 0.1, seed: UInt64(m + k))
            let b = Matrix<Float>.random(rows: n, columns: k, seed: 4)
            var rounded = b
            #if arch(x86_64)
            if UnsafeKernels.hasAVX2FMA, UnsafeKernels.hasF16C, k == 64 || k == 80 {
                rounded = try Matrix(rows: n, columns: k, elements: b.elements.map { Float(Float16($0)) })
            }
            #endif
            let got = try s.multiplyRoundingToHalf(b, threads: threads)
            #expect(got.isApproximatelyEqual(to: Reference.matmul(s.toDense(), false, rounded, false), relativeTolerance: 1e-5))
            if rounded != b {
                #expect(!got.isApproximatelyEqual(to: Reference.matmul(s.toDense(), false, b, false), relativeTolerance: 1e-5))
            }
        }
    }

    /// The block products write every entry of their rows, empty rows as zeros, whatever the
    /// output held (here NaN), for a block that does not start at row 0; the products that
    /// allocate their output rely on it.
    @Test(arguments: [17, 64, 80])
    func blockProductsOverwriteTheirOutput(k: Int) throws {
        let s = try Self.random(rows: 200, columns: 40, density: 0.03, seed: UInt64(k))
        let b = Matrix<Float>.random(rows: 40, columns: k, seed: 6)
        let expected = Reference.matmul(s.toDense(), false, b, false)
        let range = 37..<181
        var out = [Float](repeating: .nan, count: range.count * k)
        s.withUnsafeCSR { csr in
            b.withUnsafeBufferPointer { bp in out.withUnsafeMutableBufferPointer { csr.writeRows(range, by: bp.baseAddress!, k: k, into: $0.baseAddress!) } }
        }
        let rows = try Matrix(rows: range.count, columns: k, elements: out)
        #expect(rows.isApproximatelyEqual(to: expected.rows(range), relativeTolerance: 1e-5))
        guard let half = b.halfPrecisionBits() else { return }
        let rounded = try Matrix(rows: 40, columns: k, elements: b.elements.map { Float(Float16($0)) })
        out = [Float](repeating: .nan, count: range.count * k)
        s.withUnsafeCSR { csr in
            half.withUnsafeBufferPointer { hp in out.withUnsafeMutableBufferPointer { csr.writeRows(range, byHalf: hp.baseAddress!, k: k, into: $0.baseAddress!) } }
        }
        let halfRows = try Matrix(rows: range.count, columns: k, elements: out)
        #expect(halfRows.isApproximatelyEqual(to: Reference.matmul(s.toDense(), false, rounded, false).rows(range), relativeTolerance: 1e-5))
    }
}
