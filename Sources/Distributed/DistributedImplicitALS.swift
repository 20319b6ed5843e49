import DenseLinalg
import Factorization

/// A contiguous share of 0..<count for each of `parts` ranks: rank r owns
/// [r·count/parts, (r + 1)·count/parts), so ownership is computed, never communicated.
public struct BlockPartition: Sendable, Equatable {
    public let count: Int
    public let parts: Int

    public init(count: Int, parts: Int) {
        precondition(count >= 0 && parts > 0, "a partition needs a count ≥ 0 and ≥ 1 part")
        self.count = count; self.parts = parts
    }

    /// The indices rank `part` owns.
    public func range(of part: Int) -> Range<Int> { (part * count / parts)..<((part + 1) * count / parts) }

    /// The rank that owns `index`.
    public func owner(of index: Int) -> Int {
        // The first part whose upper bound is above index (at most one step from the estimate).
        var part = min(parts - 1, index * parts / max(count, 1))
        while range(of: part).upperBound <= index { part += 1 }
        while range(of: part).lowerBound > index { part -= 1 }
        return part
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
        let userParts = BlockPartition(count: users, parts: size), itemParts = BlockPartition(count: items, parts: size)
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
        func draw(_ total: Int, keep: Range<Int>) -> Matrix<Float> {
            var m = Matrix<Float>(rows: keep.count, columns: k)
            for row in 0..<total {
                for j in 0..<k {
                    let value = Float(0.01 * generator.nextUnit())
                    if keep.contains(row) { m[row - keep.lowerBound, j] = value }
                }
            }
            return m
        }
        var userFactors: Matrix<Float>, itemFactors: Matrix<Float>
        if let resume {
            let u = resume.matrices["user_factors"], v = resume.matrices["item_factors"]
            guard let u, let v, u.rows == myUsers.count, v.rows == myItems.count, u.columns == k, v.columns == k else {
                throw CommunicatorError.invalidArgument("rank \(rank): the checkpoint's factors do not fit this run's share (users \(myUsers), items \(myItems), \(k) factors)")
            }
            (userFactors, itemFactors) = (u, v)
        } else {
            userFactors = draw(users, keep: myUsers)
            itemFactors = draw(items, keep: myItems)
        }
        var shard = ImplicitALSShard(users: myUsers, items: myItems, userFactors: userFactors, itemFactors: itemFactors, userRows: userRows,
                                     iterations: resume?.iterations ?? 0, lossHistory: resume?.lossHistory ?? [],
                                     bytesSentPerIteration: [])
        let userConfidences = uniform == nil ? userRows.values.map { configuration.confidence(of: $0) } : []
        let itemConfidences = uniform == nil ? itemRows.values.map { configuration.confidence(of: $0) } : []
        try Parallel.withBLASThreads(1) {
            for _ in stride(from: shard.iterations + 1, through: configuration.iterations, by: 1) {
                var bytes = 0
                // Items from users.
                let userGram = try gram(userFactors, configuration, communicator)
                let usersNeeded = try itemHalf.gather(userFactors, k: k, communicator, bytesSent: &bytes)
                try ImplicitALS.updateRows(&itemFactors, fixed: usersNeeded, gram: userGram, rowPointers: itemRows.rowPointers,
                                           columnIndices: itemHalf.localColumns, confidences: itemConfidences,
                                           uniformConfidence: uniform, configuration: configuration)
                // Users from items.
                let itemGram = try gram(itemFactors, configuration, communicator)
                let itemsNeeded = try userHalf.gather(itemFactors, k: k, communicator, bytesSent: &bytes)
                try ImplicitALS.updateRows(&userFactors, fixed: itemsNeeded, gram: itemGram, rowPointers: userRows.rowPointers,
                                           columnIndices: userHalf.localColumns, confidences: userConfidences,
                                           uniformConfidence: uniform, configuration: configuration)
                shard.bytesSentPerIteration.append(bytes)
                if configuration.trackLoss {
                    shard.lossHistory.append(try globalLoss(userFactors: userFactors, itemFactors: itemFactors, userRows: userRows,
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

    /// Sends each triplet to `owner(key)`; returns what this rank received, in rank order.
    static func shuffle(_ keys: [Int32], _ others: [Int32], _ values: [Float], owner: (Int32) -> Int,
                        _ communicator: some Communicator) throws -> (rows: [Int32], columns: [Int32], values: [Float]) {
        let size = communicator.size
        var k = [[Int32]](repeating: [], count: size), o = k, v = [[Float]](repeating: [], count: size)
        for t in keys.indices {
            let r = owner(keys[t])
            k[r].append(keys[t]); o[r].append(others[t]); v[r].append(values[t])
        }
        return (try communicator.allToAll(k).flatMap { $0 }, try communicator.allToAll(o).flatMap { $0 },
                try communicator.allToAll(v).flatMap { $0 })
    }

    /// The global loss of ``ImplicitALS/loss``: tr(XᵀX·YᵀY) from two all-reduced Grams, the
    /// nonzeros' terms summed over each rank's user rows, the norms all-reduced.
    static func globalLoss(userFactors: Matrix<Float>, itemFactors: Matrix<Float>, userRows: SparseMatrix, localColumns: [Int32],
                           itemsNeeded: Matrix<Float>, configuration: ImplicitALSConfiguration, _ communicator: some Communicator) throws -> Double {
        let k = configuration.factors
        var xtx = userFactors.rows > 0 ? try userFactors.gram().elements : [Float](repeating: 0, count: k * k)
        var yty = itemFactors.rows > 0 ? try itemFactors.gram().elements : [Float](repeating: 0, count: k * k)
        try communicator.allReduceSum(&xtx)
        try communicator.allReduceSum(&yty)
        var parts = [0.0, 0.0]
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
        try communicator.allReduceSum(&parts)
        var trace = 0.0
        for (a, b) in zip(xtx, yty) { trace += Double(a) * Double(b) }
        return trace + parts[0] + Double(configuration.regularization) * parts[1]
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

    /// The needed rows of the fixed side's current factors (this rank's share: `local`).
    func gather(_ local: Matrix<Float>, k: Int, _ communicator: some Communicator, bytesSent: inout Int) throws -> Matrix<Float> {
        let send: [[Float]] = toSend.map { rows in
            var out = [Float](); out.reserveCapacity(rows.count * k)
            for r in rows { out.append(contentsOf: local.row(Int(r))) }
            return out
        }
        bytesSent += send.enumerated().reduce(0) { $0 + ($1.offset == communicator.rank ? 0 : $1.element.count * 4) }
        let received = try communicator.allToAll(send)
        var m = Matrix<Float>(rows: receivedRows, columns: k)
        var row = 0
        for part in received {
            for start in stride(from: 0, to: part.count, by: k) {
                for j in 0..<k { m[row, j] = part[start + j] }
                row += 1
            }
        }
        return m
    }
}
