extension SparseMatrix {
    /// The transpose in CSR form, which is the CSC view of `self` (column access).
    /// - Complexity: O(nnz + rows + columns), a counting sort by column.
    public func transposed() -> SparseMatrix {
        let t = transposeParts(withValues: true)
        return SparseMatrix(unchecked: columns, rows, t.rowPointers, t.columnIndices, t.values)
    }

    /// The transpose's row pointers and column indices without its values: the pattern of the
    /// CSC view, for kernels whose values are all the same.
    public func transposedPattern() -> (rowPointers: [Int], columnIndices: [Int32]) {
        let t = transposeParts(withValues: false)
        return (t.rowPointers, t.columnIndices)
    }

    /// Counting sort of the entries by column, O(nnz + columns); the values only when asked. On
    /// raw buffers, without per-entry bounds and uniqueness checks: randomized SVD and NMF pay
    /// it on every call (measurements: docs/benchmarks.md, "Design measurements").
    func transposeParts(withValues: Bool) -> (rowPointers: [Int], columnIndices: [Int32], values: [Float]) {
        var pointers = [Int](repeating: 0, count: columns + 1)
        var cols = [Int32](repeating: 0, count: nnz)
        var vals = [Float](repeating: 0, count: withValues ? nnz : 0)
        let rows = rows, columns = columns
        rowPointers.withUnsafeBufferPointer { rp in
        columnIndices.withUnsafeBufferPointer { ci in
        values.withUnsafeBufferPointer { vs in
        pointers.withUnsafeMutableBufferPointer { tp in
            for j in ci { tp[Int(j) + 1] += 1 }
            for j in 0..<columns { tp[j + 1] += tp[j] }
            // Each column's next free slot: the start pointers, advanced as entries land.
            let next = UnsafeMutablePointer<Int>.allocate(capacity: max(columns, 1))
            defer { next.deallocate() }
            next.initialize(from: tp.baseAddress!, count: columns)
            cols.withUnsafeMutableBufferPointer { c in
            vals.withUnsafeMutableBufferPointer { v in
                for i in 0..<rows {
                    for p in rp[i]..<rp[i + 1] {
                        let j = Int(ci[p]), q = next[j]
                        c[q] = Int32(i)
                        if withValues { v[q] = vs[p] }
                        next[j] = q + 1
                    }
                }
            }}
        }}}}
        return (pointers, cols, vals)
    }

    /// Rows `range` as a new matrix with the same columns.
    public func rowSlice(_ range: Range<Int>) -> SparseMatrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "row range out of bounds")
        let start = rowPointers[range.lowerBound], end = rowPointers[range.upperBound]
        let pointers = rowPointers[range.lowerBound...range.upperBound].map { $0 - start }
        return SparseMatrix(unchecked: range.count, columns, pointers,
                            Array(columnIndices[start..<end]), Array(values[start..<end]))
    }

    /// Σⱼ aᵢⱼ for each row.
    public var rowSums: [Float] {
        (0..<rows).map { i in values[rowPointers[i]..<rowPointers[i + 1]].reduce(0, +) }
    }

    /// Σᵢ aᵢⱼ for each column.
    public var columnSums: [Float] {
        var sums = [Float](repeating: 0, count: columns)
        for p in 0..<nnz { sums[Int(columnIndices[p])] += values[p] }
        return sums
    }

    /// ‖aᵢ‖₂ for each row.
    public var rowNorms: [Float] {
        (0..<rows).map { i in values[rowPointers[i]..<rowPointers[i + 1]].reduce(0) { $0 + $1 * $1 }.squareRoot() }
    }

    /// ‖a_·ⱼ‖₂ for each column.
    public var columnNorms: [Float] {
        var sums = [Float](repeating: 0, count: columns)
        for p in 0..<nnz { sums[Int(columnIndices[p])] += values[p] * values[p] }
        return sums.map { $0.squareRoot() }
    }

    /// The squared Frobenius norm Σ aᵢⱼ², accumulated in Double.
    public var squaredFrobeniusNorm: Double {
        values.reduce(0.0) { $0 + Double($1) * Double($1) }
    }

    /// Whether every value is finite (always true for matrices built through the checked initialisers).
    public var isFinite: Bool { values.allSatisfy { $0.isFinite } }
}

extension SparseMatrix {
    /// The rows `indices`, in that order, as a new matrix (rows may repeat).
    public func selectingRows(_ indices: [Int]) -> SparseMatrix {
        var pointers = [0], cols: [Int32] = [], vals: [Float] = []
        pointers.reserveCapacity(indices.count + 1)
        for i in indices {
            precondition(i >= 0 && i < rows, "row index out of range")
            let range = rowPointers[i]..<rowPointers[i + 1]
            cols.append(contentsOf: columnIndices[range]); vals.append(contentsOf: values[range])
            pointers.append(cols.count)
        }
        return SparseMatrix(unchecked: indices.count, columns, pointers, cols, vals)
    }
}
