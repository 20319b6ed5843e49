import DenseLinalg

/// Top-N recommendation from factor matrices: scores X·Yᵀ a block of users at a time by GEMM,
/// excludes each user's given items, and keeps the best N by bounded selection (no full sort).
public enum TopN {
    /// The best `count` items for each row of `userFactors` (or for `users` only), excluding
    /// the items stored in row u of `excluding` (users × items, e.g. the training matrix).
    /// - Returns: one neighbour row per user, in the order of `users` (or of all users).
    /// - Complexity: O(u·n·k) flops in GEMM plus O(u·n) comparisons and O(u·N log N) heap work.
    public static func recommend(userFactors: Matrix<Float>, itemFactors: Matrix<Float>, count: Int,
                                 excluding seen: SparseMatrix? = nil, users: [Int]? = nil,
                                 threads: Int = 1) throws -> NeighborList {
        guard userFactors.columns == itemFactors.columns else {
            throw FactorizationError.shapeMismatch(operation: "top-N", expected: "\(userFactors.columns) item factor columns",
                                                   got: "\(itemFactors.columns)")
        }
        try require(count > 0, "count", count, "a positive integer")
        if let seen {
            guard seen.rows == userFactors.rows, seen.columns == itemFactors.rows else {
                throw FactorizationError.shapeMismatch(operation: "top-N", expected: "a \(userFactors.rows)×\(itemFactors.rows) exclusion matrix",
                                                       got: "\(seen.rows)×\(seen.columns)")
            }
        }
        var queries = userFactors
        var excluded = seen
        if let users {
            for u in users where u < 0 || u >= userFactors.rows {
                throw FactorizationError.invalidParameter(name: "user index", value: "\(u)", expected: "0..<\(userFactors.rows)")
            }
            queries = try Matrix(rows: users.count, columns: userFactors.columns,
                                 elements: users.flatMap { userFactors.row($0) })
            excluded = seen?.selectingRows(users)
        }
        return try DenseTopK.select(queries: queries, items: itemFactors, count: count, excluding: excluded,
                                    excludeSelf: false, threads: threads)
    }
}

/// The shared engine of top-N and dense cosine neighbours.
enum DenseTopK {
    /// Queries per block: up to 256, at most 4M scores (16 MiB) per worker: larger GEMMs beat
    /// keeping a whole block's scores in cache (measurements: docs/benchmarks.md, "Design measurements").
    static func blockRows(items: Int) -> Int { max(1, min(256, (1 << 22) / max(1, items))) }

    /// Items per GEMM tile: a block's scores for 1,024 items (1 MiB) stay in cache for the
    /// exclusions and the scan, where whole rows of a large catalogue do not (measurements: docs/benchmarks.md, "Design measurements").
    static let itemTile = 1024

    static func select(queries: Matrix<Float>, items: Matrix<Float>, count: Int, excluding: SparseMatrix?,
                       excludeSelf: Bool, threads: Int, itemTile: Int = itemTile) throws -> NeighborList {
        guard queries.isFinite, items.isFinite else { throw FactorizationError.nonFiniteInput(operation: "top-N") }
        let q = queries.rows, n = items.rows, d = queries.columns
        // No row has more than n candidates (n − 1 without itself): a larger count is clamped
        // before the output is allocated.
        let count = max(1, min(count, n - (excludeSelf ? 1 : 0)))
        var indices = [Int32](repeating: -1, count: q * count)
        var scores = [Float](repeating: 0, count: q * count)
        if q == 0 || n == 0 || d == 0 { return NeighborList(k: count, indices: indices, scores: scores) }
        let block = blockRows(items: n)
        let emptyPointers = [Int](repeating: 0, count: q + 1)
        let exRP = excluding?.rowPointers ?? emptyPointers
        let exCI = excluding?.columnIndices ?? []
        queries.withUnsafeBufferPointer { qp in
        items.withUnsafeBufferPointer { ip in
        exRP.withUnsafeBufferPointer { erp in
        exCI.withUnsafeBufferPointer { eci in
        indices.withUnsafeMutableBufferPointer { outIndex in
        scores.withUnsafeMutableBufferPointer { outScore in
            let shared = UncheckedSendable((qp.baseAddress!, ip.baseAddress!, erp, eci, outIndex.baseAddress!, outScore.baseAddress!))
            Parallel.forEachBlock(count: (q + block - 1) / block, threads: threads, minimumBlock: 1) { blocks in
                let (qp, ip, erp, eci, outIndex, outScore) = shared.value
                let tile = max(1, min(n, itemTile))
                let buffer = UnsafeMutablePointer<Float>.allocate(capacity: block * tile)
                defer { buffer.deallocate() }
                var selectors = (0..<block).map { _ in TopKSelector(capacity: count) }
                var cursors = [Int](repeating: 0, count: block)
                for b in blocks {
                    let start = b * block, rows = min(block, q - start)
                    for r in 0..<rows {
                        selectors[r].reset()
                        cursors[r] = erp.count > start + r + 1 ? erp[start + r] : 0
                    }
                    var first = 0
                    while first < n {
                        let width = min(tile, n - first)
                        UnsafeKernels.gemm(transposeA: false, transposeB: true, m: rows, n: width, k: d, alpha: 1,
                                           a: qp + start * d, lda: d, b: ip + first * d, ldb: d, beta: 0, c: buffer, ldc: width)
                        for r in 0..<rows {
                            let u = start + r
                            let row = buffer + r * width
                            // The user's excluded items in this tile (sorted, so a cursor walks them).
                            if erp.count > u + 1 {
                                var p = cursors[r]
                                while p < erp[u + 1], Int(eci[p]) < first + width { row[Int(eci[p]) - first] = -.infinity; p += 1 }
                                cursors[r] = p
                            }
                            if excludeSelf, u >= first, u < first + width { row[u - first] = -.infinity }
                            // Ties keep the smaller index, so a later equal score never enters.
                            var threshold = selectors[r].threshold
                            var j = 0
                            while j < width {
                                let end = min(width, j + 32)
                                if end - j < 32 || UnsafeKernels.any32(row + j, above: threshold) {
                                    for t in j..<end where row[t] > threshold {
                                        selectors[r].insert(row[t], Int32(first + t))
                                        threshold = selectors[r].threshold
                                    }
                                }
                                j = end
                            }
                        }
                        first += width
                    }
                    for r in 0..<rows {
                        let u = start + r
                        for (rank, entry) in selectors[r].sorted().enumerated() {
                            outIndex[u * count + rank] = Int32(entry.index)
                            outScore[u * count + rank] = entry.score
                        }
                    }
                }
            }
        }}}}}}
        return NeighborList(k: count, indices: indices, scores: scores)
    }
}

extension TopN {
    /// The best `count` columns of each row of a score matrix (users × items), excluding the
    /// entries stored in the same row of `excluding`. Ties keep the smaller index.
    public static func select(scores: Matrix<Float>, excluding seen: SparseMatrix?, count: Int) throws -> NeighborList {
        try require(count > 0, "count", count, "a positive integer")
        if let seen, seen.rows != scores.rows || seen.columns != scores.columns {
            throw FactorizationError.shapeMismatch(operation: "top-N", expected: "a \(scores.rows)×\(scores.columns) exclusion matrix",
                                                   got: "\(seen.rows)×\(seen.columns)")
        }
        let n = scores.columns
        let count = max(1, min(count, n))  // at most n candidates per row
        var lists: [[(index: Int, score: Float)]] = []
        lists.reserveCapacity(scores.rows)
        scores.withUnsafeBufferPointer { s in
            var excluded = Set<Int32>()
            for r in 0..<scores.rows {
                excluded.removeAll(keepingCapacity: true)
                if let seen { excluded.formUnion(seen.row(r).columns) }
                lists.append(best(UnsafeBufferPointer(rebasing: s[(r * n)..<(r * n + n)]), count: count) { !excluded.contains(Int32($0)) })
            }
        }
        return NeighborList(lists: lists, k: count)
    }

    /// The `count` best entries of one row of scores (score descending, ties to the smaller
    /// index) among those `keep` accepts, by bounded selection: the one selection behind top-N,
    /// similar items, cold start and every model's recommendations. −∞ and NaN never enter.
    /// - Complexity: O(n) comparisons plus O(m log count) for the m entries that enter.
    public static func best(_ scores: UnsafeBufferPointer<Float>, count: Int, where keep: (Int) -> Bool = { _ in true })
        -> [(index: Int, score: Float)] {
        var selector = TopKSelector(capacity: max(0, count))
        var threshold = -Float.infinity
        for i in 0..<scores.count where scores[i] > threshold && keep(i) {
            selector.insert(scores[i], Int32(i))
            threshold = selector.threshold
        }
        return selector.sorted()
    }

    /// ``best(_:count:where:)`` over an array.
    public static func best(_ scores: [Float], count: Int, where keep: (Int) -> Bool = { _ in true }) -> [(index: Int, score: Float)] {
        scores.withUnsafeBufferPointer { best($0, count: count, where: keep) }
    }
}
