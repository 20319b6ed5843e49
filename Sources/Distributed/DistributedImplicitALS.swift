import DenseLinalg
import Factorization

/// A contiguous share of 0..<count for each of `parts` ranks: rank r owns
/// [bounds[r], bounds[r + 1]). Equal shares (``init(count:parts:)``) are computed, never
/// communicated; balanced shares (``balanced(count:parts:indices:rowCost:communicator:)``) are
/// agreed once by one all-reduce of a histogram.
public struct BlockPartition: Sendable, Equatable {
    /// parts + 1 ascending cut points from 0 to count.
    public let bounds: [Int]
    public var count: Int { bounds.last! }
    public var parts: Int { bounds.count - 1 }

    /// Equal shares: rank r owns [r·count/parts, (r + 1)·count/parts).
    public init(count: Int, parts: Int) {
        precondition(count >= 0 && parts > 0, "a partition needs a count ≥ 0 and ≥ 1 part")
        bounds = (0...parts).map { $0 * count / parts }
    }

    /// Shares with the given cut points (parts + 1, ascending, from 0).
    public init(bounds: [Int]) {
        precondition(bounds.count >= 2 && bounds[0] == 0 && zip(bounds, bounds.dropFirst()).allSatisfy { $0 <= $1 }, "ascending cut points from 0")
        self.bounds = bounds
    }

    /// The indices rank `part` owns.
    public func range(of part: Int) -> Range<Int> { bounds[part]..<bounds[part + 1] }

    /// The rank that owns `index` (the last part starting at or before it: empty parts own nothing).
    public func owner(of index: Int) -> Int {
        var lo = 0, hi = parts - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if bounds[mid] <= index { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// Contiguous shares of 0..<count with about equal work: each index weighs its interactions
    /// plus `rowCost` (the per-row share of a solve, in interactions), counted over every rank's
    /// `indices` (one all-reduce of a histogram of at most 65,536 buckets). Long-tailed data
    /// numbered by popularity would otherwise put most interactions on the first rank.
    /// Collective; every rank gets the same partition. One part: 0..<count.
    public static func balanced(count: Int, parts: Int, indices: [Int32], rowCost: Double,
                                communicator: some Communicator) throws -> BlockPartition {
        guard parts > 1, count > 0 else { return BlockPartition(count: count, parts: parts) }
        let buckets = min(count, 65_536)
        let bucketOf = { (index: Int) in index * buckets / count }
        var weights = [Double](repeating: 0, count: buckets)
        for index in indices { weights[bucketOf(Int(index))] += 1 }
        try communicator.allReduceSum(&weights)
        // Rows per bucket: the indices i with bucketOf(i) == b.
        var firstRow = [Int](repeating: 0, count: buckets + 1)
        for b in 0...buckets { firstRow[b] = (b * count + buckets - 1) / buckets }
        for b in 0..<buckets { weights[b] += rowCost * Double(firstRow[b + 1] - firstRow[b]) }
        let total = weights.reduce(0, +)
        var bounds = [0], running = 0.0, b = 0
        for part in 1..<parts {
            let target = total * Double(part) / Double(parts)
            while b < buckets && running + weights[b] / 2 < target { running += weights[b]; b += 1 }
            bounds.append(max(bounds.last!, firstRow[b]))
        }
        bounds.append(count)
        return BlockPartition(bounds: bounds)
    }
}

/// One rank's share of a distributed implicit ALS model: the factor rows of the users and
/// items it owns (``BlockPartition`` of each side over the ranks).
public struct ImplicitALSShard: Sendable {
    /// Global user indices whose rows ``userFactors`` holds, in order.
    public var users: Range<Int>
    /// Global item indices whose rows ``itemFactors`` holds, in order.
    public var items: Range<Int>
    /// users.count × k.
    public var userFactors: Matrix<Float>
    /// items.count × k.
    public var itemFactors: Matrix<Float>
    /// This rank's users' interactions: users.count × all items (strengths as fitted).
    public var userRows: SparseMatrix
    /// The iterations done (counting those before a resume).
    public var iterations: Int
    /// The global loss after each iteration when tracked (the same on every rank).
    public var lossHistory: [Double]
    /// Bytes this rank sent in factor exchanges, per iteration (both halves).
    public var bytesSentPerIteration: [Int]

    /// What a checkpoint keeps to go on from here: the iterations done, the loss history and
    /// the factor rows (`user_factors`, `item_factors`).
    public var state: ShardState {
        ShardState(iterations: iterations, lossHistory: lossHistory, matrices: ["user_factors": userFactors, "item_factors": itemFactors])
    }
}

/// Implicit ALS (Hu, Koren & Volinsky 2008) with users and items partitioned over the ranks
/// of a ``Communicator``, as Spark MLlib's blocked ALS partitions them: each rank holds its
/// users' interaction rows and its items' columns, and per half-iteration
/// 1. the k × k Gram matrix of the fixed side is its local `syrk` summed by an all-reduce;
/// 2. each rank receives exactly the fixed factor rows its own rows touch (routing lists built
///    once, like Spark's out-blocks), by one all-to-all;
/// 3. it solves its rows with the single-process kernel (``ImplicitALS/updateRows``), whose
///    result for a row depends only on G, the row's entries and the rows they name.
/// So the answer differs from ``ImplicitALS/fit`` only by the rounding of the Gram matrices'
/// sums (bit for bit with one rank). No rank holds the whole matrix or factors it does not
/// need. Memory per rank: its nnz share twice (rows and columns), its factor rows, the received
/// rows, and k² for G.
public enum DistributedImplicitALS {
    /// Trains on the interactions every rank holds a share of (any share: entries move to
    /// their owners here). Indices are global: `users` × `items` in all.
    ///
    /// - Parameters:
    ///   - userIndices, itemIndices, values: this rank's triplets (strengths ≥ 0); a pair that
    ///     appears more than once is summed, in rank order then input order.
    ///   - users, items: the global dimensions (every rank passes the same).
    ///   - configuration: as ``ImplicitALS/fit``; `trackLoss` computes the global loss.
    ///   - communicator: the group; every rank calls this with the same arguments but triplets.
    ///   - duplicates: how a pair given more than once combines (`.one`: the binary matrix the
    ///     ranking model trains on; `.sum`: interaction counts).
    ///   - resume: this rank's ``ImplicitALSShard/state`` after `resume.iterations` iterations
    ///     (a checkpoint taken with the same ranks and settings): training goes on from there,
    ///     with the result of an uninterrupted run.
    ///   - afterIteration: called on every rank after each iteration with the shard so far
    ///     (for progress and checkpoints); an error it throws ends training.
    /// - Returns: this rank's shard.
    /// - Throws: ``FactorizationError`` for invalid input, ``CommunicatorError`` when the group fails.
    public static func fit(userIndices: [Int32], itemIndices: [Int32], values: [Float], users: Int, items: Int,
                           configuration: ImplicitALSConfiguration, communicator: some Communicator,
                           duplicates: SparseMatrix.DuplicatePolicy = .sum, resume: ShardState? = nil,
                           afterIteration: ((ImplicitALSShard) throws -> Void)? = nil) throws -> ImplicitALSShard {
        precondition(userIndices.count == itemIndices.count && itemIndices.count == values.count, "one user, item and value per triplet")
        try configuration.validate()
        let size = communicator.size, rank = communicator.rank, k = configuration.factors
        // Shares balanced by work: a CG row (its three G·p products, its block's set-up) weighs
        // about 3k/8 interactions (50k × 10k × 2M long-tailed matrix, 2 ranks: with k/8 the rank
        // holding the tail's many short rows was 1.5× slower, with k/4 1.3×, with k/2 the other
        // rank 1.4×; with 3k/8 within 10%).
        let rowCost = Double(configuration.factors) * 3 / 8
        let userParts = try BlockPartition.balanced(count: users, parts: size, indices: userIndices, rowCost: rowCost, communicator: communicator)
        let itemParts = try BlockPartition.balanced(count: items, parts: size, indices: itemIndices, rowCost: rowCost, communicator: communicator)
        let myUsers = userParts.range(of: rank), myItems = itemParts.range(of: rank)
        // 1. Entries to the owner of their user (user half) and of their item (item half).
        let byUser = try shuffle(userIndices, itemIndices, values, owner: { userParts.owner(of: Int($0)) }, communicator)
        let byItem = try shuffle(itemIndices, userIndices, values, owner: { itemParts.owner(of: Int($0)) }, communicator)
        let userRows = try SparseMatrix(rows: myUsers.count, columns: items, rowIndices: byUser.rows.map { $0 - Int32(myUsers.lowerBound) },
                                        columnIndices: byUser.columns, values: byUser.values, duplicates: duplicates)
        let itemRows = try SparseMatrix(rows: myItems.count, columns: users, rowIndices: byItem.rows.map { $0 - Int32(myItems.lowerBound) },
                                        columnIndices: byItem.columns, values: byItem.values, duplicates: duplicates)
        if let negative = userRows.values.first(where: { !($0 >= 0) || !$0.isFinite }) {
            throw FactorizationError.invalidParameter(name: "interaction strength", value: "\(negative)", expected: "finite values ≥ 0")
        }
        // Shared confidence: only when every value on every rank is the same.
        let first = try communicator.allGather(userRows.values.first.map { [$0] } ?? []).flatMap { $0 }.first
        var same: [Double] = [first.map { v in userRows.values.allSatisfy { $0 == v } ? 1 : 0 } ?? 1]
        try communicator.allReduceSum(&same)
        let uniform = first != nil && same[0] == Double(size) ? configuration.confidence(of: first!) : nil
        // 2. Routing, once: which fixed rows each half needs from whom.
        let userHalf = try Route(rows: userRows, fixedParts: itemParts, communicator)
        let itemHalf = try Route(rows: itemRows, fixedParts: userParts, communicator)
        // 3. The single process's initial factors: the same generator stream, users then items,
        //    each rank keeping its rows.
        var generator = SeededGenerator(seed: configuration.seed)
        let initial = Matrix<Float>.Distribution.uniform(lower: 0, upper: 0.01)
        var userFactors: Matrix<Float>, itemFactors: Matrix<Float>
        if let resume {
            let u = resume.matrices["user_factors"], v = resume.matrices["item_factors"]
            guard let u, let v, u.rows == myUsers.count, v.rows == myItems.count, u.columns == k, v.columns == k else {
                throw CommunicatorError.invalidArgument("rank \(rank): the checkpoint's factors do not fit this run's share (users \(myUsers), items \(myItems), \(k) factors)")
            }
            (userFactors, itemFactors) = (u, v)
        } else {
            userFactors = .random(rows: users, columns: k, distribution: initial, using: &generator, keepingRows: myUsers)
            itemFactors = .random(rows: items, columns: k, distribution: initial, using: &generator, keepingRows: myItems)
        }
        var shard = ImplicitALSShard(users: myUsers, items: myItems, userFactors: userFactors, itemFactors: itemFactors, userRows: userRows,
                                     iterations: resume?.iterations ?? 0, lossHistory: resume?.lossHistory ?? [],
                                     bytesSentPerIteration: [])
        let userConfidences = uniform == nil ? userRows.values.map { configuration.confidence(of: $0) } : []
        let itemConfidences = uniform == nil ? itemRows.values.map { configuration.confidence(of: $0) } : []
        // λᵤ − λ of this rank's users and items under frequency-scaled regularisation (empty at
        // ν = 0): the solves compute it themselves, the loss needs it for its penalty terms.
        func extra(_ rows: SparseMatrix, otherSide: Int) -> [Float] {
            configuration.regularizationExponent == 0 ? [] : rows.rowCounts.map {
                configuration.rowRegularization(entries: $0, otherSide: otherSide) - configuration.regularization
            }
        }
        let extraDiagonal = (users: extra(userRows, otherSide: items), items: extra(itemRows, otherSide: users))
        try Parallel.withBLASThreads(1) {
            for _ in stride(from: shard.iterations + 1, through: configuration.iterations, by: 1) {
                var bytes = 0
                // Items from users.
                let userGram = try gram(userFactors, configuration, communicator)
                let usersNeeded = try itemHalf.gather(userFactors, k: k, communicator, bytesSent: &bytes)
                try ImplicitALS.updateRows(&itemFactors, fixed: usersNeeded, gram: userGram, rowPointers: itemRows.rowPointers,
                                           columnIndices: itemHalf.localColumns, confidences: itemConfidences,
                                           uniformConfidence: uniform, fixedSideRows: users, configuration: configuration)
                // Users from items.
                let itemGram = try gram(itemFactors, configuration, communicator)
                let itemsNeeded = try userHalf.gather(itemFactors, k: k, communicator, bytesSent: &bytes)
                try ImplicitALS.updateRows(&userFactors, fixed: itemsNeeded, gram: itemGram, rowPointers: userRows.rowPointers,
                                           columnIndices: userHalf.localColumns, confidences: userConfidences,
                                           uniformConfidence: uniform, fixedSideRows: items, configuration: configuration)
                shard.bytesSentPerIteration.append(bytes)
                if configuration.trackLoss {
                    shard.lossHistory.append(try globalLoss(userFactors: userFactors, itemFactors: itemFactors, extraDiagonal: extraDiagonal, userRows: userRows,
                                                            localColumns: userHalf.localColumns, itemsNeeded: itemsNeeded,
                                                            configuration: configuration, communicator))
                }
                shard.iterations += 1
                shard.userFactors = userFactors; shard.itemFactors = itemFactors
                try afterIteration?(shard)
            }
        }
        shard.userFactors = userFactors; shard.itemFactors = itemFactors
        let advice = "lower alpha (confidence slope) or regularization"
        try requireFiniteResult(userFactors.elements, "implicit ALS", "user factors", advice: advice)
        try requireFiniteResult(itemFactors.elements, "implicit ALS", "item factors", advice: advice)
        return shard
    }

    /// YᵀY + λI over every rank's rows: local Gram, all-reduced, then λ on the diagonal.
    static func gram(_ local: Matrix<Float>, _ configuration: ImplicitALSConfiguration, _ communicator: some Communicator) throws -> Matrix<Float> {
        let k = local.columns
        var sum = try local.rows > 0 ? local.gram(threads: configuration.threads).elements : [Float](repeating: 0, count: k * k)
        try communicator.allReduceSum(&sum)
        var g = try Matrix(rows: k, columns: k, elements: sum)
        g.addToDiagonal(configuration.regularization)
        return g
    }

    /// Sends each triplet (with its `order`, when given: one per triplet, or empty) to
    /// `owner(key)`; returns what this rank received, in rank order then each rank's order.
    static func shuffle(_ keys: [Int32], _ others: [Int32], _ values: [Float], order: [Int64] = [], owner: (Int32) -> Int,
                        _ communicator: some Communicator) throws -> (rows: [Int32], columns: [Int32], values: [Float], order: [Int64]) {
        let size = communicator.size
        var k = [[Int32]](repeating: [], count: size), o = k, v = [[Float]](repeating: [], count: size), t = [[Int64]](repeating: [], count: size)
        for n in keys.indices {
            let r = owner(keys[n])
            k[r].append(keys[n]); o[r].append(others[n]); v[r].append(values[n])
            if !order.isEmpty { t[r].append(order[n]) }
        }
        return (try communicator.allToAll(k).flatMap { $0 }, try communicator.allToAll(o).flatMap { $0 },
                try communicator.allToAll(v).flatMap { $0 }, order.isEmpty ? [] : try communicator.allToAll(t).flatMap { $0 })
    }

    /// The global loss of ``ImplicitALS/loss``: tr(XᵀX·YᵀY) from two all-reduced Grams, the
    /// nonzeros' terms summed over each rank's user rows, the norms all-reduced.
    static func globalLoss(userFactors: Matrix<Float>, itemFactors: Matrix<Float>, extraDiagonal: (users: [Float], items: [Float]) = ([], []),
                           userRows: SparseMatrix, localColumns: [Int32],
                           itemsNeeded: Matrix<Float>, configuration: ImplicitALSConfiguration, _ communicator: some Communicator) throws -> Double {
        let k = configuration.factors
        var xtx = userFactors.rows > 0 ? try userFactors.gram().elements : [Float](repeating: 0, count: k * k)
        var yty = itemFactors.rows > 0 ? try itemFactors.gram().elements : [Float](repeating: 0, count: k * k)
        try communicator.allReduceSum(&xtx)
        try communicator.allReduceSum(&yty)
        var parts = [0.0, 0.0, 0.0]
        for u in 0..<userRows.rows {
            let x = userFactors.row(u)
            for p in userRows.rowPointers[u]..<userRows.rowPointers[u + 1] {
                let y = itemsNeeded.row(Int(localColumns[p]))
                // A single-precision dot product, as ImplicitALS.loss takes it.
                let s = Double(x.withUnsafeBufferPointer { xp in y.withUnsafeBufferPointer { UnsafeKernels.dot(xp.baseAddress!, $0.baseAddress!, k) } })
                let c = Double(configuration.confidence(of: userRows.values[p]))
                parts[0] += c * (1 - s) * (1 - s) - s * s
            }
        }
        let norms = userFactors.frobeniusNorm * userFactors.frobeniusNorm + itemFactors.frobeniusNorm * itemFactors.frobeniusNorm
        parts[1] = Double(norms)
        // Σ (λᵤ − λ)‖xᵤ‖² over this rank's users and items (frequency-scaled regularisation).
        for (factors, weights) in [(userFactors, extraDiagonal.users), (itemFactors, extraDiagonal.items)] where !weights.isEmpty {
            for r in 0..<factors.rows { parts[2] += Double(weights[r]) * factors.row(r).reduce(0.0) { $0 + Double($1) * Double($1) } }
        }
        try communicator.allReduceSum(&parts)
        var trace = 0.0
        for (a, b) in zip(xtx, yty) { trace += Double(a) * Double(b) }
        return trace + parts[0] + Double(configuration.regularization) * parts[1] + parts[2]
    }
}

/// Which fixed factor rows a half's rows touch, where they live, and the rows' columns renumbered
/// into the received matrix (Spark's in-/out-block metadata). Built once; each iteration's
/// ``gather(_:k:_:bytesSent:)`` is one all-to-all of exactly those rows.
struct Route {
    /// For each rank, the global fixed rows this rank needs from it, ascending.
    let needed: [[Int32]]
    /// For each rank, the local rows of this rank's factors that rank needs, in its order.
    let toSend: [[Int32]]
    /// The half's column indices renumbered into the received rows (rank order, then ascending):
    /// since ranks own ascending ranges, the received rows are in global order, so every row's
    /// columns stay sorted.
    let localColumns: [Int32]
    let receivedRows: Int

    init(rows: SparseMatrix, fixedParts: BlockPartition, _ communicator: some Communicator) throws {
        let size = communicator.size
        var used = [Bool](repeating: false, count: fixedParts.count)
        for c in rows.columnIndices { used[Int(c)] = true }
        var needed = [[Int32]](repeating: [], count: size)
        var position = [Int32](repeating: -1, count: fixedParts.count)
        var next: Int32 = 0
        for (index, isUsed) in used.enumerated() where isUsed {
            needed[fixedParts.owner(of: index)].append(Int32(index))
            position[index] = next
            next += 1
        }
        // Each owner learns which of its rows go where (as local rows).
        let requests = try communicator.allToAll(needed)
        let offset = Int32(fixedParts.range(of: communicator.rank).lowerBound)
        toSend = requests.map { $0.map { $0 - offset } }
        self.needed = needed
        localColumns = rows.columnIndices.map { position[Int($0)] }
        receivedRows = Int(next)
    }

    /// The needed rows of the fixed side's current factors (this rank's share: `local`), by one
    /// all-to-all straight into the result: the counts are known from the routing lists.
    func gather(_ local: Matrix<Float>, k: Int, _ communicator: some Communicator, bytesSent: inout Int) throws -> Matrix<Float> {
        let sendCounts = toSend.map { $0.count * k }, receiveCounts = needed.map { $0.count * k }
        var send = [Float](repeating: 0, count: sendCounts.reduce(0, +))
        send.withUnsafeMutableBufferPointer { out in
            local.withUnsafeBufferPointer { rows in
                var at = 0
                for part in toSend {
                    for r in part {
                        (out.baseAddress! + at).update(from: rows.baseAddress! + Int(r) * k, count: k)
                        at += k
                    }
                }
            }
        }
        bytesSent += 4 * sendCounts.enumerated().reduce(0) { $0 + ($1.offset == communicator.rank ? 0 : $1.element) }
        var m = Matrix<Float>(rows: receivedRows, columns: k)
        try send.withUnsafeBufferPointer { out in
            try m.withUnsafeMutableBufferPointer { into in
                try communicator.allToAll(send: out, sendCounts: sendCounts, receive: into, receiveCounts: receiveCounts)
            }
        }
        return m
    }
}
