import DenseLinalg

/// Cosine similarity with bounded top-k selection, never materialising an n × n matrix.
///
/// ```
/// sim(i, j) = aᵢ·aⱼ / (‖aᵢ‖ ‖aⱼ‖),  optionally × c / (c + shrink)
/// ```
/// with c the number of co-occurring nonzeros (Koren's shrinkage). Rows are L2-normalised once.
/// Similarity is symmetric, so each pair is computed once: row i accumulates, sparsely (its
/// co-occurring rows only), its similarities with the rows j > i into a dense scratch row, and
/// offers each to both i's and j's bounded selections. Every worker keeps a selection for every
/// row, merged at the end: memory O(workers·n·k + n).
public enum CosineNeighbors {
    /// Top-k neighbours among the rows of `a` (users for user–user; pass Xᵀ, or use
    /// ``items(_:k:shrinkage:threads:)``, for item–item). A row is never its own neighbour;
    /// rows with similarity 0 are not neighbours. Equal scores rank the smaller index first.
    /// - Complexity: O(Σ over columns of (column count)²) / 2 time.
    public static func rows(_ a: SparseMatrix, k: Int, shrinkage: Float = 0, threads: Int = 1) throws -> NeighborList {
        try validate(a, "cosine neighbours")
        try require(k > 0, "k", k, "a positive integer")
        try require(shrinkage >= 0 && shrinkage.isFinite, "shrinkage", shrinkage, "a finite value ≥ 0")
        // A row has at most n − 1 neighbours: a larger k is clamped before anything is allocated.
        let k = min(k, max(1, a.rows - 1))
        let norms = a.rowNorms
        let normalized = a.scalingRows(by: norms.map { $0 > 0 ? 1 / $0 : 0 })
        let byColumn = normalized.transposed()
        let n = a.rows
        let minimumBlock = 32
        let workers = Parallel.workers(count: n, threads: threads, minimumBlock: minimumBlock)
        let selections = (0..<workers).map { _ in RowSelections(rows: n, k: k) }
        let mirrors = mirrorPositions(normalized, byColumn)
        // All values equal (a binary matrix, the usual input): a pair's dot product is its
        // co-occurrence count times the two rows' normalised value, so only counts accumulate.
        let constant = a.values.allSatisfy { $0 == a.values[0] }
        var scales = [Float](repeating: 0, count: constant ? n : 0)
        if constant { for i in 0..<n where norms[i] > 0 { scales[i] = a.values[0] / norms[i] } }
        normalized.withUnsafeCSR { rows in
        byColumn.withUnsafeCSR { columns in
        mirrors.withUnsafeBufferPointer { mirrors in
        scales.withUnsafeBufferPointer { scales in
            let pair = PairSums(rows: rows, columns: columns, mirrors: mirrors, scales: constant ? scales.baseAddress : nil,
                                shrinkage: shrinkage)
            Parallel.forEachBlock(count: n, threads: threads, minimumBlock: minimumBlock) { worker, range in
                var scratch = PairScratch(n: n)
                defer { scratch.deallocate() }
                for i in range {
                    pair.accumulateAbove(i, into: &scratch)
                    pair.offerAbove(i, scratch: &scratch, to: selections[worker])
                }
            }
        }}}}
        var indices = [Int32](repeating: -1, count: n * k)
        var scores = [Float](repeating: 0, count: n * k)
        var merged: [(score: Float, index: Int32)] = []
        for i in 0..<n {
            merged.removeAll(keepingCapacity: true)
            for selection in selections { selection.append(row: i, to: &merged) }
            merged.sort { SelectionHeap.below($1.score, $1.index, $0.score, $0.index) }
            for (r, entry) in merged.prefix(k).enumerated() {
                indices[i * k + r] = entry.index
                scores[i * k + r] = entry.score
            }
        }
        return NeighborList(k: k, indices: indices, scores: scores)
    }

    /// For each entry (i, c) of `a`, the position of the same entry (c, i) in `byColumn` (its
    /// transpose), found by walking both in order as the counting-sort transpose filled them.
    private static func mirrorPositions(_ a: SparseMatrix, _ byColumn: SparseMatrix) -> [Int] {
        var next = Array(byColumn.rowPointers.dropLast())
        var mirrors = [Int](repeating: 0, count: a.nnz)
        for p in 0..<a.nnz {
            let c = Int(a.columnIndices[p])
            mirrors[p] = next[c]
            next[c] += 1
        }
        return mirrors
    }

    /// Item–item neighbours: the columns of a users × items matrix.
    public static func items(_ x: SparseMatrix, k: Int, shrinkage: Float = 0, threads: Int = 1) throws -> NeighborList {
        try rows(x.transposed(), k: k, shrinkage: shrinkage, threads: threads)
    }

    /// Top-k neighbours among the rows of a dense factor matrix (e.g. item factors): rows are
    /// L2-normalised, similarities computed a block of rows at a time by GEMM, and each row's
    /// best k kept by a bounded heap. Memory O(n·k + block·n).
    public static func dense(_ f: Matrix<Float>, k: Int, threads: Int) throws -> NeighborList {
        try dense(f, k: k, rows: nil, threads: threads)
    }

    /// ``dense(_:k:threads:)`` for the rows listed in `rows` only (row r of the result holds
    /// the neighbours of `rows[r]`, never itself): one title's similar titles cost one pass over
    /// the factors instead of the whole self-join.
    public static func dense(_ f: Matrix<Float>, k: Int, rows: [Int]?, threads: Int) throws -> NeighborList {
        guard f.rows > 0, f.columns > 0 else { throw FactorizationError.emptyInput(operation: "cosine neighbours") }
        guard f.isFinite else { throw FactorizationError.nonFiniteInput(operation: "cosine neighbours") }
        try require(k > 0, "k", k, "a positive integer")
        var normalized = f
        let d = f.columns
        normalized.withUnsafeMutableBufferPointer { p in
            for i in 0..<f.rows {
                let row = p.baseAddress! + i * d
                let norm = UnsafeKernels.dot(row, row, d).squareRoot()
                if norm > 0 { UnsafeKernels.scale(1 / norm, row, d) }
            }
        }
        guard let rows else {
            return try DenseTopK.select(queries: normalized, items: normalized, count: k, excluding: nil, excludeSelf: true, threads: threads)
        }
        for r in rows where r < 0 || r >= f.rows {
            throw FactorizationError.invalidParameter(name: "row", value: "\(r)", expected: "0..<\(f.rows)")
        }
        let queries = try Matrix(rows: rows.count, columns: d, elements: rows.flatMap { normalized.row($0) })
        let itself = try SparseMatrix(rows: rows.count, columns: f.rows, rowIndices: Array(rows.indices), columnIndices: rows,
                                      values: [Float](repeating: 1, count: rows.count))
        return try DenseTopK.select(queries: queries, items: normalized, count: min(k, f.rows - 1), excluding: itself,
                                    excludeSelf: false, threads: threads)
    }
}


/// One worker's scratch for accumulating a row's similarities: a dense row of sums and
/// co-occurrence counts (kept zero between rows), and the list of touched entries for sparse rows.
private struct PairScratch {
    let n: Int
    let accumulator: UnsafeMutablePointer<Float>
    let counts: UnsafeMutablePointer<Int32>
    var touched: [Int32] = []
    var dense = false

    init(n: Int) {
        self.n = n
        accumulator = .allocate(capacity: n)
        accumulator.initialize(repeating: 0, count: n)
        counts = .allocate(capacity: n)
        counts.initialize(repeating: 0, count: n)
    }

    mutating func deallocate() { accumulator.deallocate(); counts.deallocate() }
}

/// A bounded selection of the k best candidates for every row (a min-heap per row whose root is
/// the current threshold), owned by one worker. Candidates rank by score, then smaller index, a
/// total order, so the union of several workers' selections holds each row's exact top k.
private final class RowSelections: @unchecked Sendable {
    let k: Int
    let scores: UnsafeMutablePointer<Float>
    let indices: UnsafeMutablePointer<Int32>
    let counts: UnsafeMutablePointer<Int32>
    /// Per row: 0 until the selection is full (only positive scores enter), then the root score.
    let thresholds: UnsafeMutablePointer<Float>
    let rows: Int

    init(rows: Int, k: Int) {
        self.rows = rows; self.k = k
        scores = .allocate(capacity: rows * k)
        indices = .allocate(capacity: rows * k)
        counts = .allocate(capacity: rows)
        counts.initialize(repeating: 0, count: rows)
        thresholds = .allocate(capacity: rows + 16)
        thresholds.initialize(repeating: 0, count: rows + 16)
    }

    deinit { scores.deallocate(); indices.deallocate(); counts.deallocate(); thresholds.deallocate() }

    /// Whether `candidate` with `score` would enter `row`'s selection.
    @inline(__always)
    func admits(row: Int, _ score: Float, _ candidate: Int32) -> Bool {
        guard score > 0 else { return false }
        if Int(counts[row]) < k { return true }
        return SelectionHeap.below(scores[row * k], indices[row * k], score, candidate)
    }

    /// Inserts a candidate that ``admits(row:_:_:)``.
    func insert(row: Int, _ score: Float, _ candidate: Int32) {
        let s = scores + row * k, ix = indices + row * k
        let count = Int(counts[row])
        if count < k {
            s[count] = score; ix[count] = candidate
            SelectionHeap.siftUp(s, ix, from: count)
            counts[row] = Int32(count + 1)
            if count + 1 == k { thresholds[row] = s[0] }
        } else {
            s[0] = score; ix[0] = candidate
            SelectionHeap.siftDown(s, ix, count: k, from: 0)
            thresholds[row] = s[0]
        }
    }

    /// Appends `row`'s selected entries to `out`.
    func append(row: Int, to out: inout [(score: Float, index: Int32)]) {
        for e in 0..<Int(counts[row]) { out.append((scores[row * k + e], indices[row * k + e])) }
    }
}

/// The shared, read-only inputs of the pair accumulation: the normalised rows, their transpose,
/// where each entry sits in the transpose, and, for a constant-valued matrix, each row's
/// normalised value.
private struct PairSums {
    let rows: CSRBuffers
    let columns: CSRBuffers
    let mirrors: UnsafeBufferPointer<Int>
    let scales: UnsafePointer<Float>?
    let shrinkage: Float

    /// Row i's dot products with the rows j > i, added into `scratch` (co-occurrence counts
    /// alone for a constant-valued matrix; otherwise sums, plus counts when shrinking). Rows
    /// sharing a column with i are found through that column; the column's rows are sorted, so
    /// those above i start just after i's own entry (`mirrors`).
    func accumulateAbove(_ i: Int, into scratch: inout PairScratch) {
        let accumulator = scratch.accumulator, counts = scratch.counts
        var work = 0
        let entries = rows.range(of: i)
        for p in entries { work += columns.rowPointers[Int(rows.columnIndices[p]) + 1] - mirrors[p] - 1 }
        // When the accumulations are many compared with n, scanning the scratch row from i + 1
        // is cheaper than keeping a list of the touched entries.
        let dense = work * 4 >= scratch.n
        scratch.dense = dense
        for p in entries {
            let end = columns.rowPointers[Int(rows.columnIndices[p]) + 1], v = rows.values[p]
            let first = mirrors[p] + 1
            if scales != nil {
                if dense {
                    for q in first..<end { accumulator[Int(columns.columnIndices[q])] += 1 }
                } else {
                    for q in first..<end {
                        let j = Int(columns.columnIndices[q])
                        if accumulator[j] == 0 { scratch.touched.append(Int32(j)) }
                        accumulator[j] += 1
                    }
                }
            } else if dense && shrinkage == 0 {
                for q in first..<end { accumulator[Int(columns.columnIndices[q])] += v * columns.values[q] }
            } else {
                for q in first..<end {
                    let j = Int(columns.columnIndices[q])
                    if counts[j] == 0 && !dense { scratch.touched.append(Int32(j)) }
                    counts[j] += 1
                    accumulator[j] += v * columns.values[q]
                }
            }
        }
    }

    /// Offers row i's similarities with the rows above it to both rows' selections, and clears
    /// the scratch row for the next row.
    func offerAbove(_ i: Int, scratch: inout PairScratch, to selection: RowSelections) {
        let accumulator = scratch.accumulator, counts = scratch.counts
        let scaleI = scales?[i] ?? 1
        func offer(_ j: Int) {
            let raw = accumulator[j]
            accumulator[j] = 0
            var s = raw, c = raw
            if let scales { s = raw * scaleI * scales[j] } else { c = Float(counts[j]); counts[j] = 0 }
            if shrinkage > 0 { s *= c / (c + shrinkage) }
            if selection.admits(row: j, s, Int32(i)) { selection.insert(row: j, s, Int32(i)) }
            if selection.admits(row: i, s, Int32(j)) { selection.insert(row: i, s, Int32(j)) }
        }
        guard scratch.dense else {
            for j in scratch.touched { offer(Int(j)) }
            scratch.touched.removeAll(keepingCapacity: true)
            return
        }
        // Shrinking only lowers a score, so a score before shrinking below both thresholds
        // (which are never below 0) rules the entry out.
        let n = scratch.n, thresholds = selection.thresholds
        var j = i + 1
        while j < n {
            let end = min(n, j + 16)
            if end - j == 16 {
                var raw = UnsafeRawPointer(accumulator + j).loadUnaligned(as: SIMD16<Float>.self)
                if let scales {
                    raw = raw * SIMD16(repeating: scaleI) * UnsafeRawPointer(scales + j).loadUnaligned(as: SIMD16<Float>.self)
                }
                let limit = UnsafeRawPointer(thresholds + j).loadUnaligned(as: SIMD16<Float>.self)
                let own = SIMD16<Float>(repeating: thresholds[i])
                if any(((raw .>= limit) .| (raw .>= own)) .& (raw .> 0)) {
                    for t in j..<end { offer(t) }
                } else {
                    UnsafeMutableRawPointer(accumulator + j).storeBytes(of: SIMD16<Float>(), as: SIMD16<Float>.self)
                    if shrinkage > 0 && scales == nil { (counts + j).update(repeating: 0, count: 16) }
                }
            } else {
                for t in j..<end { offer(t) }
            }
            j = end
        }
    }
}
