import DenseLinalg

/// The k most similar rows of every row: `indices[i·k ..< (i+1)·k]` best first, padded with −1
/// (and score 0) when a row has fewer than k neighbours.
public struct NeighborList: Sendable, Equatable {
    public let k: Int
    public let indices: [Int32]
    public let scores: [Float]

    /// A list of `k` neighbours per row; `indices` padded with −1 where a row has fewer.
    public init(k: Int, indices: [Int32], scores: [Float]) {
        precondition(indices.count == scores.count && (k == 0 || indices.count % k == 0), "neighbour list shape")
        self.k = k; self.indices = indices; self.scores = scores
    }

    /// Number of rows.
    public var count: Int { k == 0 ? 0 : indices.count / k }

    /// The neighbours of row `i`, best first.
    public func neighbors(of i: Int) -> [(index: Int, score: Float)] {
        (i * k ..< (i + 1) * k).compactMap { indices[$0] >= 0 ? (Int(indices[$0]), scores[$0]) : nil }
    }
}

/// Cosine similarity with bounded top-k selection, never materialising an n × n matrix.
///
/// ```
/// sim(i, j) = aᵢ·aⱼ / (‖aᵢ‖ ‖aⱼ‖),  optionally × c / (c + shrink)
/// ```
/// with c the number of co-occurring nonzeros (Koren's shrinkage). Rows are L2-normalised once;
/// each row's similarities are accumulated sparsely (its co-occurring rows only) into a dense
/// scratch row and the best k kept by a bounded heap: memory O(n·k + n) per thread.
public enum CosineNeighbors {
    /// Top-k neighbours among the rows of `a` (users for user–user; pass Xᵀ, or use
    /// ``items(_:k:shrinkage:threads:)``, for item–item). A row is never its own neighbour;
    /// rows with similarity 0 are not neighbours.
    /// - Complexity: O(Σ over columns of (column count)²) time.
    public static func rows(_ a: SparseMatrix, k: Int, shrinkage: Float = 0, threads: Int = Parallel.availableCores) throws -> NeighborList {
        try validate(a, "cosine neighbours")
        try require(k > 0, "k", k, "a positive integer")
        try require(shrinkage >= 0 && shrinkage.isFinite, "shrinkage", shrinkage, "a finite value ≥ 0")
        let norms = a.rowNorms
        let normalized = a.scalingRows(by: norms.map { $0 > 0 ? 1 / $0 : 0 })
        let byColumn = normalized.transposed()
        let n = a.rows
        var indices = [Int32](repeating: -1, count: n * k)
        var scores = [Float](repeating: 0, count: n * k)
        normalized.withUnsafeCSR { rows in
        byColumn.withUnsafeCSR { columns in
        indices.withUnsafeMutableBufferPointer { outIndex in
        scores.withUnsafeMutableBufferPointer { outScore in
            let output = UncheckedSendable((outIndex.baseAddress!, outScore.baseAddress!))
            Parallel.forEachBlock(count: n, threads: threads, minimumBlock: 32) { range in
                let (outIndex, outScore) = output.value
                let accumulator = UnsafeMutablePointer<Float>.allocate(capacity: n)
                let counts = UnsafeMutablePointer<Int32>.allocate(capacity: n)
                accumulator.initialize(repeating: 0, count: n)
                counts.initialize(repeating: 0, count: n)
                defer { accumulator.deallocate(); counts.deallocate() }
                var touched: [Int32] = []
                var selector = TopKSelector(capacity: k)
                for i in range {
                    selector.reset()
                    // Accumulations this row will make; when they are many compared with n, scanning
                    // the whole scratch row is cheaper than keeping a list of the touched entries.
                    var work = 0
                    for p in rows.range(of: i) { work += columns.range(of: Int(rows.columnIndices[p])).count }
                    let dense = work * 4 >= n
                    for p in rows.range(of: i) {
                        let column = Int(rows.columnIndices[p]), v = rows.values[p]
                        let entries = columns.range(of: column)
                        if dense && shrinkage == 0 {
                            for q in entries { accumulator[Int(columns.columnIndices[q])] += v * columns.values[q] }
                        } else {
                            for q in entries {
                                let j = Int(columns.columnIndices[q])
                                if counts[j] == 0 && !dense { touched.append(Int32(j)) }
                                counts[j] += 1
                                accumulator[j] += v * columns.values[q]
                            }
                        }
                    }
                    func offer(_ j: Int) {
                        var s = accumulator[j]
                        if shrinkage > 0 { let c = Float(counts[j]); s *= c / (c + shrinkage) }
                        accumulator[j] = 0; counts[j] = 0
                        if j != i, s > 0, s > selector.threshold { selector.insert(s, Int32(j)) }
                    }
                    if dense {
                        for j in 0..<n where accumulator[j] != 0 || counts[j] != 0 { offer(j) }
                    } else {
                        for j in touched { offer(Int(j)) }
                        touched.removeAll(keepingCapacity: true)
                    }
                    for (r, entry) in selector.sorted().enumerated() {
                        outIndex[i * k + r] = Int32(entry.index)
                        outScore[i * k + r] = entry.score
                    }
                }
            }
        }}}}
        return NeighborList(k: k, indices: indices, scores: scores)
    }

    /// Item–item neighbours: the columns of a users × items matrix.
    public static func items(_ x: SparseMatrix, k: Int, shrinkage: Float = 0, threads: Int = Parallel.availableCores) throws -> NeighborList {
        try rows(x.transposed(), k: k, shrinkage: shrinkage, threads: threads)
    }

    /// Top-k neighbours among the rows of a dense factor matrix (e.g. item factors): rows are
    /// L2-normalised, similarities computed a block of rows at a time by GEMM, and each row's
    /// best k kept by a bounded heap. Memory O(n·k + block·n).
    public static func dense(_ f: Matrix<Float>, k: Int, threads: Int = Parallel.availableCores) throws -> NeighborList {
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
        return try DenseTopK.select(queries: normalized, items: normalized, count: k, excluding: nil,
                                    excludeSelf: true, threads: threads)
    }
}

