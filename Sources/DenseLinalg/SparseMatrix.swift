/// A sparse matrix in compressed sparse row (CSR) form with `Float` values.
///
/// Row `i`'s entries are `columnIndices[rowPointers[i] ..< rowPointers[i + 1]]` with the matching
/// `values`, columns strictly increasing within a row. The transpose in CSR form is the CSC view
/// of the original, which is how column access is done (``transposed()``).
public struct SparseMatrix: Sendable, Equatable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    /// Row starts into `columnIndices` and `values`; `rows + 1` entries, first 0, last `nnz`.
    public let rowPointers: [Int]
    /// Column of each stored entry, increasing within a row.
    public let columnIndices: [Int32]
    /// Value of each stored entry.
    public let values: [Float]

    /// What to do when the same (row, column) appears more than once in triplets.
    public enum DuplicatePolicy: Sendable {
        /// Add the values, in input order (the usual meaning for interaction counts).
        case sum
        /// Throw ``LinalgError/duplicateEntry(row:column:)``.
        case reject
        /// Store 1 for every distinct (row, column): the binary pattern.
        case one
        /// Keep the value of the entry whose `order` (one per triplet, e.g. a timestamp) is
        /// largest, the later one in input order on ties: the latest rating of a pair. An empty
        /// `order` ties everything: the later entry in input order wins.
        case latest(order: [Int64])
    }

    /// Number of stored entries.
    @inlinable public var nnz: Int { values.count }

    /// Stored entries over all entries: nnz / (rows · columns), 0 for an empty shape.
    public var density: Double {
        rows == 0 || columns == 0 ? 0 : Double(nnz) / (Double(rows) * Double(columns))
    }

    /// The shape, as used in error messages.
    public var shape: Shape { Shape(rows, columns) }

    /// A matrix from CSR arrays, validated: pointer monotonicity, index range, strictly
    /// increasing columns within each row, finite values.
    public init(rows: Int, columns: Int, rowPointers: [Int], columnIndices: [Int32], values: [Float]) throws {
        guard rows >= 0, columns >= 0, columns <= Int(Int32.max) else {
            throw LinalgError.invalidArgument("sparse matrix: invalid shape \(rows)×\(columns)")
        }
        guard rowPointers.count == rows + 1, rowPointers.first == 0, rowPointers.last == columnIndices.count,
              columnIndices.count == values.count else {
            throw LinalgError.invalidArgument(
                "sparse matrix: \(rowPointers.count) row pointers for \(rows) rows, \(columnIndices.count) indices, \(values.count) values")
        }
        for i in 0..<rows where rowPointers[i] > rowPointers[i + 1] {
            throw LinalgError.invalidArgument("sparse matrix: row pointers decrease at row \(i)")
        }
        for i in 0..<rows {
            var previous: Int32 = -1
            for p in rowPointers[i]..<rowPointers[i + 1] {
                let j = columnIndices[p]
                guard j >= 0, Int(j) < columns else {
                    throw LinalgError.indexOutOfRange(operation: "sparse matrix", row: i, column: Int(j), shape: Shape(rows, columns))
                }
                guard j > previous else {
                    throw LinalgError.invalidArgument("sparse matrix: columns not strictly increasing in row \(i)")
                }
                previous = j
            }
        }
        guard values.allSatisfy({ $0.isFinite }) else { throw LinalgError.nonFiniteInput(operation: "sparse matrix") }
        self.init(unchecked: rows, columns, rowPointers, columnIndices, values)
    }

    /// Internal: arrays already known to be valid.
    init(unchecked rows: Int, _ columns: Int, _ rowPointers: [Int], _ columnIndices: [Int32], _ values: [Float]) {
        self.rows = rows
        self.columns = columns
        self.rowPointers = rowPointers
        self.columnIndices = columnIndices
        self.values = values
    }

    /// A matrix from coordinate triplets (row, column, value) in any order.
    ///
    /// - Throws: ``LinalgError/indexOutOfRange(operation:row:column:shape:)`` for an index outside
    ///   the shape; ``LinalgError/nonFiniteInput(operation:)``; ``LinalgError/duplicateEntry(row:column:)``
    ///   when `duplicates` is `.reject`.
    /// - Complexity: O(nnz + rows) plus sorting each row's columns, the rows spread over
    ///   `threads`; memory: the result plus one index per row (no copy of the triplets).
    public init(rows: Int, columns: Int, rowIndices: [Int], columnIndices: [Int], values: [Float],
                duplicates: DuplicatePolicy = .sum, threads: Int = 1) throws {
        self = try SparseMatrix.assemble(rows: rows, columns: columns, rowIndices: rowIndices,
                                         columnIndices: columnIndices, values: values, duplicates: duplicates, threads: threads)
    }

    /// The same from 32-bit indices (how interaction tables store them), without widening copies.
    public init(rows: Int, columns: Int, rowIndices: [Int32], columnIndices: [Int32], values: [Float],
                duplicates: DuplicatePolicy = .sum, threads: Int = 1) throws {
        self = try SparseMatrix.assemble(rows: rows, columns: columns, rowIndices: rowIndices,
                                         columnIndices: columnIndices, values: values, duplicates: duplicates, threads: threads)
    }

    /// Counts the entries per row, scatters each entry's column and triplet index (held as the
    /// bits of its value slot) into its row in input order, sorts each row by (column, triplet
    /// index), so that equal columns stay in input order, then combines each run of equal
    /// columns in place, the combined value replacing the index. Rows are independent and
    /// share out over the threads; a sum adds in input order whatever the thread count.
    static func assemble<I: BinaryInteger>(rows: Int, columns: Int, rowIndices: [I], columnIndices: [I], values: [Float],
                                           duplicates: DuplicatePolicy, threads: Int = 1) throws -> SparseMatrix {
        guard rowIndices.count == columnIndices.count, rowIndices.count == values.count else {
            throw LinalgError.invalidArgument(
                "sparse matrix: \(rowIndices.count) rows, \(columnIndices.count) columns and \(values.count) values given")
        }
        guard rows >= 0, columns >= 0, columns <= Int(Int32.max) else {
            throw LinalgError.invalidArgument("sparse matrix: invalid shape \(rows)×\(columns)")
        }
        let n = values.count
        guard n <= Int(UInt32.max) else { throw LinalgError.invalidArgument("sparse matrix: more than 2³² triplets") }
        var order: [Int64] = []
        if case let .latest(o) = duplicates {
            guard o.count == n || o.isEmpty else { throw LinalgError.invalidArgument("sparse matrix: \(o.count) order keys for \(n) triplets") }
            order = o
        }
        let shape = Shape(rows, columns)
        var pointers = [Int](repeating: 0, count: rows + 1)
        try pointers.withUnsafeMutableBufferPointer { counts in
            try rowIndices.withUnsafeBufferPointer { ri in
                try columnIndices.withUnsafeBufferPointer { ci in
                    try values.withUnsafeBufferPointer { vs in
                        for t in 0..<n {
                            let (i, j) = (Int(ri[t]), Int(ci[t]))
                            guard i >= 0, i < rows, j >= 0, j < columns else {
                                throw LinalgError.indexOutOfRange(operation: "sparse matrix", row: i, column: j, shape: shape)
                            }
                            guard vs[t].isFinite else { throw LinalgError.nonFiniteInput(operation: "sparse matrix") }
                            counts[i + 1] += 1
                        }
                    }
                }
            }
            for i in 0..<rows { counts[i + 1] += counts[i] }
        }
        // Uninitialised: the scatter below writes every slot once (zeroing first would touch
        // every page twice).
        var cols = [Int32](unsafeUninitializedCapacity: n) { _, count in count = n }
        var vals = [Float](unsafeUninitializedCapacity: n) { _, count in count = n }
        var kept = [Int](repeating: 0, count: rows)
        let duplicate: (row: Int, column: Int)? = cols.withUnsafeMutableBufferPointer { c in
            vals.withUnsafeMutableBufferPointer { v in
                kept.withUnsafeMutableBufferPointer { kept in
                    pointers.withUnsafeBufferPointer { rp in
                        values.withUnsafeBufferPointer { vs in
                            order.withUnsafeBufferPointer { order in
                                rowIndices.withUnsafeBufferPointer { ri in
                                    columnIndices.withUnsafeBufferPointer { ci in
                                        // kept holds each row's next free slot while scattering.
                                        for i in 0..<rows { kept[i] = rp[i] }
                                        for t in 0..<n {
                                            let i = Int(ri[t])
                                            let p = kept[i]
                                            c[p] = Int32(ci[t]); v[p] = Float(bitPattern: UInt32(t))
                                            kept[i] = p + 1
                                        }
                                    }
                                }
                                let shared = UncheckedSendable((c, v, kept, rp, vs, order))
                                return Parallel.mapBlocks(count: rows, threads: threads, minimumBlock: 512) { range in
                                    let (c, v, kept, rp, vs, order) = shared.value
                                    var keys: [UInt64] = []
                                    var duplicate: (row: Int, column: Int)? = nil
                                    for i in range {
                                        let start = rp[i], end = rp[i + 1]
                                        var sorted = true
                                        if end - start > 1 {
                                            for p in (start + 1)..<end where c[p] <= c[p - 1] { sorted = false; break }
                                        }
                                        if !sorted {
                                            keys.removeAll(keepingCapacity: true)
                                            for p in start..<end { keys.append(UInt64(UInt32(c[p])) << 32 | UInt64(v[p].bitPattern)) }
                                            keys.sort()
                                            for q in 0..<keys.count {
                                                c[start + q] = Int32(truncatingIfNeeded: keys[q] >> 32)
                                                v[start + q] = Float(bitPattern: UInt32(truncatingIfNeeded: keys[q]))
                                            }
                                        }
                                        // Runs of one column, combined; the write never passes the read.
                                        var write = start, q = start
                                        while q < end {
                                            var r = q + 1
                                            while r < end, c[r] == c[q] { r += 1 }
                                            let first = Int(v[q].bitPattern)
                                            var value = vs[first]
                                            switch duplicates {
                                            case .sum:
                                                for x in (q + 1)..<r { value += vs[Int(v[x].bitPattern)] }
                                            case .one:
                                                value = 1
                                            case .reject:
                                                if r > q + 1 && duplicate == nil { duplicate = (i, Int(c[q])) }
                                            case .latest:
                                                var best = first
                                                for x in (q + 1)..<r {
                                                    let t = Int(v[x].bitPattern)
                                                    if order.isEmpty || order[t] >= order[best] { best = t }
                                                }
                                                value = vs[best]
                                            }
                                            c[write] = c[q]; v[write] = value
                                            write += 1
                                            q = r
                                        }
                                        kept[i] = write - start
                                    }
                                    return duplicate
                                }.compactMap { $0 }.first
                            }
                        }
                    }
                }
            }
        }
        if let d = duplicate { throw LinalgError.duplicateEntry(row: d.row, column: d.column) }
        // Close the gaps left by combined duplicates.
        var write = 0
        for i in 0..<rows {
            let start = pointers[i], count = kept[i]
            if start != write {
                for q in 0..<count { cols[write + q] = cols[start + q]; vals[write + q] = vals[start + q] }
            }
            pointers[i] = write
            write += count
        }
        pointers[rows] = write
        if write < n {
            cols.removeLast(n - write)
            vals.removeLast(n - write)
        }
        return SparseMatrix(unchecked: rows, columns, pointers, cols, vals)
    }

    /// A matrix from (row, column, value) triplets; see ``init(rows:columns:rowIndices:columnIndices:values:duplicates:)``.
    public init(rows: Int, columns: Int, triplets: [(row: Int, column: Int, value: Float)],
                duplicates: DuplicatePolicy = .sum) throws {
        try self.init(rows: rows, columns: columns, rowIndices: triplets.map(\.row),
                      columnIndices: triplets.map(\.column), values: triplets.map(\.value), duplicates: duplicates)
    }

    /// The dense matrix with the same entries.
    public init(dense: Matrix<Float>) {
        var pointers = [0], cols: [Int32] = [], vals: [Float] = []
        for i in 0..<dense.rows {
            for j in 0..<dense.columns where dense[i, j] != 0 {
                cols.append(Int32(j)); vals.append(dense[i, j])
            }
            pointers.append(cols.count)
        }
        self.init(unchecked: dense.rows, dense.columns, pointers, cols, vals)
    }

    /// The entries of row `i`: their columns and values.
    public func row(_ i: Int) -> (columns: ArraySlice<Int32>, values: ArraySlice<Float>) {
        precondition(i >= 0 && i < rows, "row index out of range")
        let range = rowPointers[i]..<rowPointers[i + 1]
        return (columnIndices[range], values[range])
    }

    /// Number of stored entries in each row.
    public var rowCounts: [Int] { (0..<rows).map { rowPointers[$0 + 1] - rowPointers[$0] } }

    /// The value at (i, j), zero when not stored. O(log of the row's length).
    public subscript(i: Int, j: Int) -> Float {
        precondition(i >= 0 && i < rows && j >= 0 && j < columns, "sparse index out of range")
        var lo = rowPointers[i], hi = rowPointers[i + 1]
        let target = Int32(j)
        while lo < hi {
            let mid = (lo + hi) / 2
            if columnIndices[mid] < target { lo = mid + 1 } else { hi = mid }
        }
        return lo < rowPointers[i + 1] && columnIndices[lo] == target ? values[lo] : 0
    }

    /// The dense matrix with the same entries.
    public func toDense() -> Matrix<Float> {
        var m = Matrix<Float>(rows: rows, columns: columns)
        m.withUnsafeMutableBufferPointer { d in
            for i in 0..<rows {
                for p in rowPointers[i]..<rowPointers[i + 1] { d[i * columns + Int(columnIndices[p])] = values[p] }
            }
        }
        return m
    }

    /// The same pattern with every value replaced by `transform(value)`.
    public func mapValues(_ transform: (Float) -> Float) -> SparseMatrix {
        SparseMatrix(unchecked: rows, columns, rowPointers, columnIndices, values.map(transform))
    }
}

extension SparseMatrix {
    /// The same pattern with row i multiplied by `factors[i]`.
    public func scalingRows(by factors: [Float]) -> SparseMatrix {
        precondition(factors.count == rows, "one factor per row")
        var scaled = values
        for i in 0..<rows { for p in rowPointers[i]..<rowPointers[i + 1] { scaled[p] *= factors[i] } }
        return SparseMatrix(unchecked: rows, columns, rowPointers, columnIndices, scaled)
    }
}

/// The three CSR arrays of a ``SparseMatrix`` as buffers, for kernel code. Valid only inside
/// ``SparseMatrix/withUnsafeCSR(_:)``; it may be shared with worker threads that run within it.
public struct CSRBuffers: @unchecked Sendable {
    public let rowPointers: UnsafeBufferPointer<Int>
    public let columnIndices: UnsafeBufferPointer<Int32>
    public let values: UnsafeBufferPointer<Float>

    @usableFromInline
    init(rowPointers: UnsafeBufferPointer<Int>, columnIndices: UnsafeBufferPointer<Int32>, values: UnsafeBufferPointer<Float>) {
        self.rowPointers = rowPointers; self.columnIndices = columnIndices; self.values = values
    }

    /// The entries of row `i`.
    @inlinable public func range(of i: Int) -> Range<Int> { rowPointers[i]..<rowPointers[i + 1] }
}

extension SparseMatrix {
    /// Calls `body` with the CSR arrays as buffers.
    @inlinable
    public func withUnsafeCSR<R>(_ body: (CSRBuffers) throws -> R) rethrows -> R {
        try rowPointers.withUnsafeBufferPointer { rp in
            try columnIndices.withUnsafeBufferPointer { ci in
                try values.withUnsafeBufferPointer { cv in
                    try body(CSRBuffers(rowPointers: rp, columnIndices: ci, values: cv))
                }
            }
        }
    }
}
