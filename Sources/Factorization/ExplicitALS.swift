import DenseLinalg
import Synchronization

/// Hyperparameters of biased ALS for explicit ratings.
public struct ExplicitALSConfiguration: Sendable, Equatable {
    /// Latent dimension k. Default 50.
    public var factors: Int = 50
    /// λ; each row's penalty is λ times its number of ratings (weighted-λ). Default 0.1.
    public var regularization: Float = 0.1
    /// Full iterations (items then users). Default 15.
    public var iterations: Int = 15
    /// λ_b for the biases, also weighted by the row's rating count. Default 0.01: biases are
    /// well determined by the data and shrinking them as hard as the factors costs accuracy.
    public var biasRegularization: Float = 0.01
    /// Standard deviation of the initial factors. Default 0.1.
    public var initialScale: Float = 0.1
    public var threads: Int = Parallel.availableCores
    public var seed: UInt64 = 42
    /// Whether to compute the loss after every iteration.
    public var trackLoss: Bool = false

    public init(factors: Int = 50, regularization: Float = 0.1, iterations: Int = 15, biasRegularization: Float = 0.01,
                initialScale: Float = 0.1, threads: Int = Parallel.availableCores, seed: UInt64 = 42, trackLoss: Bool = false) {
        self.factors = factors; self.regularization = regularization; self.iterations = iterations
        self.biasRegularization = biasRegularization
        self.initialScale = initialScale; self.threads = threads; self.seed = seed; self.trackLoss = trackLoss
    }
}

/// A trained biased ALS model: r̂ᵤᵢ = μ + bᵤ + bᵢ + xᵤ·yᵢ, clipped to the rating scale.
public struct ExplicitALSModel: Sendable {
    public var globalMean: Float
    public var userBias: [Float]
    public var itemBias: [Float]
    public var userFactors: Matrix<Float>
    public var itemFactors: Matrix<Float>
    /// The smallest and largest training rating; predictions are clipped to them.
    public var ratingScale: ClosedRange<Float>
    public var lossHistory: [Double]

    /// A model from its parts (a saved model read back, for instance).
    public init(globalMean: Float, userBias: [Float], itemBias: [Float], userFactors: Matrix<Float>, itemFactors: Matrix<Float>,
                ratingScale: ClosedRange<Float>, lossHistory: [Double] = []) {
        self.globalMean = globalMean; self.userBias = userBias; self.itemBias = itemBias
        self.userFactors = userFactors; self.itemFactors = itemFactors
        self.ratingScale = ratingScale; self.lossHistory = lossHistory
    }

    /// The predicted rating of a known user and item, clipped to the rating scale.
    public func predict(user: Int, item: Int) -> Float {
        let k = userFactors.columns
        let dot = userFactors.withUnsafeBufferPointer { u in
            itemFactors.withUnsafeBufferPointer { i in UnsafeKernels.dot(u.baseAddress! + user * k, i.baseAddress! + item * k, k) }
        }
        return min(ratingScale.upperBound, max(ratingScale.lowerBound, globalMean + userBias[user] + itemBias[item] + dot))
    }
}

/// Alternating least squares for explicit ratings with user and item biases and weighted-λ
/// regularisation (Zhou, Wilkinson, Schreiber & Pan, "Large-scale Parallel Collaborative
/// Filtering for the Netflix Prize", AAIM 2008). It minimises
/// ```
/// Σ (rᵤᵢ − μ − bᵤ − bᵢ − xᵤ·yᵢ)² + Σᵤ nᵤ(λ‖xᵤ‖² + λ_b bᵤ²) + Σᵢ nᵢ(λ‖yᵢ‖² + λ_b bᵢ²)
/// ```
/// solving exactly for [xᵤ, bᵤ] (and [yᵢ, bᵢ]) with the other side fixed: a (k+1)×(k+1)
/// system per row built by BLAS syrk over the row's gathered factors, solved by Cholesky.
public enum ExplicitALS {
    public static func fit(_ ratings: SparseMatrix, configuration: ExplicitALSConfiguration = .init(),
                           progress: ((Int, Double?) -> Void)? = nil) throws -> ExplicitALSModel {
        try validate(ratings, "explicit ALS")
        try require(configuration.factors > 0, "factors", configuration.factors, "a positive integer")
        try require(configuration.regularization > 0 && configuration.regularization.isFinite,
                    "regularization", configuration.regularization, "a finite value > 0")
        try require(configuration.iterations >= 0, "iterations", configuration.iterations, "an integer ≥ 0")
        try require(configuration.threads > 0, "threads", configuration.threads, "a positive integer")
        let k = configuration.factors
        let mean = Float(ratings.values.reduce(0.0) { $0 + Double($1) } / Double(ratings.nnz))
        var g = SeededGenerator(seed: configuration.seed)
        let scale = Double(configuration.initialScale)
        var users = Matrix<Float>.random(rows: ratings.rows, columns: k, distribution: .normal(mean: 0, standardDeviation: scale), using: &g)
        var items = Matrix<Float>.random(rows: ratings.columns, columns: k, distribution: .normal(mean: 0, standardDeviation: scale), using: &g)
        var userBias = [Float](repeating: 0, count: ratings.rows)
        var itemBias = [Float](repeating: 0, count: ratings.columns)
        let transposed = ratings.transposed()
        var losses: [Double] = []
        try Parallel.withBLASThreads(configuration.threads) {
            for iteration in stride(from: 1, through: configuration.iterations, by: 1) {
                try solveSide(&items, &itemBias, fixed: users, fixedBias: userBias, ratings: transposed, mean: mean, configuration)
                try solveSide(&users, &userBias, fixed: items, fixedBias: itemBias, ratings: ratings, mean: mean, configuration)
                var loss: Double?
                if configuration.trackLoss {
                    loss = objective(ratings, users, items, userBias, itemBias, mean, configuration.regularization,
                                     biasLambda: configuration.biasRegularization)
                    losses.append(loss!)
                }
                progress?(iteration, loss)
            }
        }
        let low = ratings.values.min()!, high = ratings.values.max()!
        return ExplicitALSModel(globalMean: mean, userBias: userBias, itemBias: itemBias, userFactors: users,
                                itemFactors: items, ratingScale: low...high, lossHistory: losses)
    }

    /// Solves every row of one side: (Y'ᵀY' + λnI) [x; b] = Y'ᵀ(r − μ − b_other), Y' = [Y, 1].
    static func solveSide(_ target: inout Matrix<Float>, _ bias: inout [Float], fixed: Matrix<Float>, fixedBias: [Float],
                          ratings: SparseMatrix, mean: Float, _ configuration: ExplicitALSConfiguration) throws {
        let k = target.columns, rows = target.rows
        let failure = Mutex<(any Error)?>(nil)
        target.withUnsafeMutableBufferPointer { tp in
        bias.withUnsafeMutableBufferPointer { bp in
            let shared = UncheckedSendable((tp.baseAddress!, bp.baseAddress!))
            Parallel.forEachBlock(count: rows, threads: configuration.threads, minimumBlock: 16) { range in
                let (x, b) = shared.value
                for u in range {
                    let row = ratings.row(u)
                    let n = row.columns.count
                    if n == 0 { for j in 0..<k { x[u * k + j] = 0 }; b[u] = 0; continue }
                    var gathered = [Float](repeating: 1, count: n * (k + 1))
                    var rhs = [Float](repeating: 0, count: k + 1)
                    for (q, (i32, r)) in zip(row.columns, row.values).enumerated() {
                        let i = Int(i32)
                        let t = r - mean - fixedBias[i]
                        for j in 0..<k {
                            let y = fixed[i, j]
                            gathered[q * (k + 1) + j] = y
                            rhs[j] += t * y
                        }
                        rhs[k] += t
                    }
                    do {
                        var a = try Matrix(rows: n, columns: k + 1, elements: gathered).gram()
                        a.addToDiagonal(configuration.regularization * Float(n))
                        a[k, k] += (configuration.biasRegularization - configuration.regularization) * Float(n)
                        let z = try a.cholesky().solve(rhs)
                        for j in 0..<k { x[u * k + j] = z[j] }
                        b[u] = z[k]
                    } catch {
                        failure.withLock { if $0 == nil { $0 = error } }
                        return
                    }
                }
            }
        }}
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// The regularised squared error the updates minimise (the loss).
    public static func objective(_ ratings: SparseMatrix, _ users: Matrix<Float>, _ items: Matrix<Float>, _ userBias: [Float],
                          _ itemBias: [Float], _ mean: Float, _ lambda: Float, biasLambda: Float? = nil) -> Double {
        let biasLambda = biasLambda ?? lambda
        let k = users.columns
        var total = 0.0
        let itemCounts = ratings.transposed().rowCounts
        for u in 0..<ratings.rows {
            let row = ratings.row(u)
            for (i32, r) in zip(row.columns, row.values) {
                let i = Int(i32)
                var s = mean + userBias[u] + itemBias[i]
                for j in 0..<k { s += users[u, j] * items[i, j] }
                total += Double(r - s) * Double(r - s)
            }
            let norm = lambda * users.row(u).reduce(0) { $0 + $1 * $1 } + biasLambda * userBias[u] * userBias[u]
            total += Double(row.columns.count) * Double(norm)
        }
        for i in 0..<ratings.columns {
            let norm = lambda * items.row(i).reduce(0) { $0 + $1 * $1 } + biasLambda * itemBias[i] * itemBias[i]
            total += Double(itemCounts[i]) * Double(norm)
        }
        return total
    }
}
