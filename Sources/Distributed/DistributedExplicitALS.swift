import DenseLinalg
import Factorization

/// One rank's share of a distributed explicit ALS model: its users' and items' factor rows and
/// biases (``BlockPartition`` of each side), and the shared global mean and rating scale.
public struct ExplicitALSShard: Sendable {
    public var users: Range<Int>
    public var items: Range<Int>
    /// users.count × k: each user's whole factor (their own xᵤ plus the implicit zᵤ).
    public var userFactors: Matrix<Float>
    /// items.count × k.
    public var itemFactors: Matrix<Float>
    public var userBias: [Float]
    public var itemBias: [Float]
    /// The implicit factors Y of this rank's items (items.count × k) when implicit feedback is on.
    public var implicitFactors: Matrix<Float>?
    public var globalMean: Float
    public var ratingScale: ClosedRange<Float>
    /// This rank's users' ratings: users.count × all items (the latest rating of each pair).
    public var userRows: SparseMatrix
    /// The iterations done (counting those before a resume).
    public var iterations: Int
    /// The global loss after each iteration when tracked (the same on every rank).
    public var lossHistory: [Double]

    /// What a checkpoint keeps to go on from here: the users' own factors xᵤ (before zᵤ is
    /// added at the end), item factors, biases as one-column matrices, implicit factors.
    public var state: ShardState {
        var matrices = ["user_factors": userFactors, "item_factors": itemFactors,
                        "user_bias": try! Matrix(rows: userBias.count, columns: 1, elements: userBias),
                        "item_bias": try! Matrix(rows: itemBias.count, columns: 1, elements: itemBias)]
        if let implicitFactors { matrices["implicit_factors"] = implicitFactors }
        return ShardState(iterations: iterations, lossHistory: lossHistory, matrices: matrices)
    }
}

/// Biased explicit ALS with weighted-λ and SVD++'s implicit feedback (``ExplicitALS``; Zhou et
/// al. 2008, Koren 2008) with users and items partitioned over the ranks as
/// ``DistributedImplicitALS`` partitions them. Per iteration:
/// 1. the item half: each rank receives the whole user factors xᵤ + zᵤ and biases of the users
///    its items' ratings name (one all-to-all each, routing lists built once), and solves its
///    items' (k+1)-unknown systems with the single-process kernel;
/// 2. the user half likewise with the item factors and biases;
/// 3. the implicit factors Y (partitioned with the items) take the same conjugate-gradient
///    steps as in one process, each step moving rows between the sides twice and all-reducing
///    two dot products (``ImplicitFeedbackTerm`` over an exchange).
/// No Gram matrix is shared (each row's system is built from its own ratings), so besides the
/// CG's all-reduced dot products the answer differs from ``ExplicitALS/fit`` only by the order of
/// the global mean's sum; with one rank it is the same bit for bit.
public enum DistributedExplicitALS {
    /// Trains on the ratings every rank holds a share of. Indices are global.
    /// - Parameters:
    ///   - userIndices, itemIndices, values, timestamps: this rank's ratings; a pair rated more
    ///     than once keeps the rating with the largest timestamp (the later in input order — rank
    ///     order, then each rank's order — on ties; empty timestamps: the later one).
    ///   - users, items: the global dimensions (every rank passes the same).
    ///   - resume: this rank's ``ExplicitALSShard/state`` from a checkpoint of the same run.
    ///   - afterIteration: called on every rank after each iteration (progress, checkpoints).
    /// - Throws: ``FactorizationError`` for invalid input or settings, ``CommunicatorError``
    ///   when the group fails.
    public static func fit(userIndices: [Int32], itemIndices: [Int32], values: [Float], timestamps: [Int64], users: Int, items: Int,
                           configuration: ExplicitALSConfiguration, communicator: some Communicator, resume: ShardState? = nil,
                           afterIteration: ((ExplicitALSShard) throws -> Void)? = nil) throws -> ExplicitALSShard {
        precondition(userIndices.count == itemIndices.count && itemIndices.count == values.count, "one user, item and value per rating")
        precondition(timestamps.isEmpty || timestamps.count == values.count, "one timestamp per rating, or none")
        try configuration.validate()
        let size = communicator.size, rank = communicator.rank, k = configuration.factors
        // Shares balanced by ratings (a row's (k+1)² Cholesky costs about k/3 ratings' syrk work).
        let rowCost = Double(configuration.factors) / 3
        let userParts = try BlockPartition.balanced(count: users, parts: size, indices: userIndices, rowCost: rowCost, communicator: communicator)
        let itemParts = try BlockPartition.balanced(count: items, parts: size, indices: itemIndices, rowCost: rowCost, communicator: communicator)
        let myUsers = userParts.range(of: rank), myItems = itemParts.range(of: rank)
        // (Without timestamps `.latest(order: [])` keeps the later rating in input order.)
        let byUser = try DistributedImplicitALS.shuffle(userIndices, itemIndices, values, order: timestamps,
                                                        owner: { userParts.owner(of: Int($0)) }, communicator)
        let byItem = try DistributedImplicitALS.shuffle(itemIndices, userIndices, values, order: timestamps,
                                                        owner: { itemParts.owner(of: Int($0)) }, communicator)
        let userRows = try SparseMatrix(rows: myUsers.count, columns: items, rowIndices: byUser.rows.map { $0 - Int32(myUsers.lowerBound) },
                                        columnIndices: byUser.columns, values: byUser.values, duplicates: .latest(order: byUser.order))
        let itemRows = try SparseMatrix(rows: myItems.count, columns: users, rowIndices: byItem.rows.map { $0 - Int32(myItems.lowerBound) },
                                        columnIndices: byItem.columns, values: byItem.values, duplicates: .latest(order: byItem.order))
        // The global mean (in the single process's order of users, then their items) and scale.
        var totals = [userRows.values.reduce(0.0) { $0 + Double($1) }, Double(userRows.nnz)]
        try communicator.allReduceSum(&totals)
        guard totals[1] > 0 else { throw FactorizationError.emptyInput(operation: "explicit ALS") }
        guard totals[0].isFinite else {
            throw FactorizationError.nonFiniteInput(operation: "explicit ALS")
        }
        let mean = Float(totals[0] / totals[1])
        let extremes = try communicator.allGather(userRows.nnz > 0 ? [userRows.values.min()!, userRows.values.max()!] : [])
        let scale = extremes.flatMap { $0 }.min()!...extremes.flatMap { $0 }.max()!
        let userHalf = try Route(rows: userRows, fixedParts: itemParts, communicator)
        let itemHalf = try Route(rows: itemRows, fixedParts: userParts, communicator)
        // Each half's ratings with columns renumbered into the rows it receives.
        let userLocal = try SparseMatrix(rows: userRows.rows, columns: userHalf.receivedRows, rowPointers: userRows.rowPointers,
                                         columnIndices: userHalf.localColumns, values: userRows.values)
        let itemLocal = try SparseMatrix(rows: itemRows.rows, columns: itemHalf.receivedRows, rowPointers: itemRows.rowPointers,
                                         columnIndices: itemHalf.localColumns, values: itemRows.values)
        var bytes = 0
        let implicit = configuration.implicitFeedback ? ImplicitFeedbackTerm(
            ratings: userLocal, itemRowPointers: itemRows.rowPointers, itemUsers: itemHalf.localColumns, factors: k,
            lambda: configuration.implicitRegularization, threads: configuration.threads, simd: configuration.simd,
            exchange: .init(toUsers: { try userHalf.gather($0, k: $0.columns, communicator, bytesSent: &bytes) },
                            toItems: { try itemHalf.gather($0, k: $0.columns, communicator, bytesSent: &bytes) },
                            sum: { var s = [$0]; try communicator.allReduceSum(&s); return s[0] })) : nil
        // The single process's initial factors: one normal stream, users then items, each rank
        // keeping its rows.
        var generator = SeededGenerator(seed: configuration.seed)
        let initial = Matrix<Float>.Distribution.normal(mean: 0, standardDeviation: Double(configuration.initialScale))
        var shard = ExplicitALSShard(users: myUsers, items: myItems, userFactors: Matrix(rows: 0, columns: k), itemFactors: Matrix(rows: 0, columns: k),
                                     userBias: [Float](repeating: 0, count: myUsers.count), itemBias: [Float](repeating: 0, count: myItems.count),
                                     implicitFactors: implicit == nil ? nil : Matrix<Float>.zeros(rows: myItems.count, columns: k),
                                     globalMean: mean, ratingScale: scale, userRows: userRows, iterations: 0, lossHistory: [])
        var offsets: Matrix<Float>? = implicit.map { _ in Matrix<Float>.zeros(rows: myUsers.count, columns: k) }
        if let resume {
            let m = resume.matrices
            guard let u = m["user_factors"], let v = m["item_factors"], let bu = m["user_bias"], let bi = m["item_bias"],
                  u.rows == myUsers.count, v.rows == myItems.count, u.columns == k, v.columns == k,
                  bu.rows == myUsers.count, bi.rows == myItems.count, (m["implicit_factors"] != nil) == (implicit != nil) else {
                throw CommunicatorError.invalidArgument("rank \(rank): the checkpoint does not fit this run's share (users \(myUsers), items \(myItems), \(k) factors)")
            }
            (shard.userFactors, shard.itemFactors, shard.userBias, shard.itemBias) = (u, v, bu.elements, bi.elements)
            shard.iterations = resume.iterations
            shard.lossHistory = resume.lossHistory
            if let y = m["implicit_factors"], let implicit {
                shard.implicitFactors = y
                if resume.iterations > 0 { offsets = try implicit.offsets(y) }
            }
        } else {
            shard.userFactors = .random(rows: users, columns: k, distribution: initial, using: &generator, keepingRows: myUsers)
            shard.itemFactors = .random(rows: items, columns: k, distribution: initial, using: &generator, keepingRows: myItems)
        }
        let itemCounts = (0..<itemRows.rows).map { itemRows.rowPointers[$0 + 1] - itemRows.rowPointers[$0] }
        func column(_ values: [Float]) throws -> Matrix<Float> { try Matrix(rows: values.count, columns: 1, elements: values) }
        try Parallel.withBLASThreads(configuration.threads) {
            for _ in stride(from: shard.iterations + 1, through: configuration.iterations, by: 1) {
                // Items from the users' whole factors and biases.
                let whole = try offsets.map { try shard.userFactors + $0 } ?? shard.userFactors
                let usersNeeded = try itemHalf.gather(whole, k: k, communicator, bytesSent: &bytes)
                let userBiasNeeded = try itemHalf.gather(try column(shard.userBias), k: 1, communicator, bytesSent: &bytes).elements
                try ExplicitALS.solveSide(&shard.itemFactors, &shard.itemBias, fixed: usersNeeded, fixedBias: userBiasNeeded,
                                          ratings: itemLocal, mean: mean, configuration)
                // Users from the items.
                let itemsNeeded = try userHalf.gather(shard.itemFactors, k: k, communicator, bytesSent: &bytes)
                let itemBiasNeeded = try userHalf.gather(try column(shard.itemBias), k: 1, communicator, bytesSent: &bytes).elements
                try ExplicitALS.solveSide(&shard.userFactors, &shard.userBias, fixed: itemsNeeded, fixedBias: itemBiasNeeded,
                                          ratings: userLocal, mean: mean, configuration, offsets: offsets)
                if let implicit, var y = shard.implicitFactors {
                    try implicit.improve(&y, users: shard.userFactors, items: itemsNeeded, userBias: shard.userBias,
                                         itemBias: itemBiasNeeded, mean: mean, steps: configuration.implicitSteps)
                    shard.implicitFactors = y
                    offsets = try implicit.offsets(y)
                }
                if configuration.trackLoss {
                    var parts = [ExplicitALS.userObjective(userLocal, shard.userFactors, itemsNeeded, shard.userBias, itemBiasNeeded, mean,
                                                           configuration.regularization, biasLambda: configuration.biasRegularization,
                                                           offsets: offsets)
                                 + ExplicitALS.itemObjective(shard.itemFactors, shard.itemBias, counts: itemCounts, configuration.regularization,
                                                             biasLambda: configuration.biasRegularization)
                                 + (implicit.map { $0.penalty(shard.implicitFactors!) } ?? 0)]
                    try communicator.allReduceSum(&parts)
                    shard.lossHistory.append(parts[0])
                }
                shard.iterations += 1
                try afterIteration?(shard)
            }
        }
        if let offsets { shard.userFactors = try shard.userFactors + offsets }
        let advice = "lower regularization, or check the ratings' scale"
        try requireFiniteResult(shard.userFactors.elements, "explicit ALS", "user factors", advice: advice)
        try requireFiniteResult(shard.itemFactors.elements, "explicit ALS", "item factors", advice: advice)
        try requireFiniteResult(shard.userBias + shard.itemBias + [mean], "explicit ALS", "biases", advice: advice)
        return shard
    }
}
