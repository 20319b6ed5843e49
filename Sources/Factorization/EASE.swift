import DenseLinalg
import Foundation

/// Hyperparameters of EASE.
public struct EASEConfiguration: Sendable, Equatable {
    /// λ, the L2 penalty. Default 500 (Steck's setting for MovieLens-sized data).
    public var regularization: Float = 500
    /// Threads for our parallel loops and BLAS calls (the caller's ``ComputeSettings``). Default 1.
    public var threads: Int = 1
    /// Memory the dense item × item matrices may use; nil means the machine's available memory.
    public var memoryLimitBytes: Int? = nil
    /// EDLAE's emphasised-denoising dropout probability p ∈ [0, 1) (Steck, "Autoencoders that
    /// don't overfit towards the identity", NeurIPS 2020, full rank): the penalty becomes
    /// Λ = λI + p/(1−p)·diag(XᵀX), so popular items' self-weights are held back in proportion to
    /// their counts. 0 (the default) is EASE.
    public var dropout: Float = 0
    /// The user weighting exponent e ≥ 0: user u's row enters the Gram matrix with weight
    /// wᵤ ∝ nᵤ^(−e) for nᵤ stored entries, so the few users with long histories no longer
    /// dominate the co-occurrence counts (a weighted least-squares fit, ‖W^½(X − XB)‖²). The
    /// weights are scaled so that their mean over the stored entries is 1 (Σᵤ nᵤwᵤ = Σᵤ nᵤ): the
    /// trace of XᵀWX stays that of XᵀX for 0/1 data, and λ keeps its scale. Scores still use the
    /// unweighted rows. 0 (the default) is EASE's XᵀX. See ``EASE/userWeights(_:exponent:)``.
    public var userWeightExponent: Float = 0

    public init(regularization: Float = 500, threads: Int = 1, memoryLimitBytes: Int? = nil, dropout: Float = 0,
                userWeightExponent: Float = 0) {
        self.regularization = regularization; self.threads = threads; self.memoryLimitBytes = memoryLimitBytes
        self.dropout = dropout; self.userWeightExponent = userWeightExponent
    }
}

/// Embarrassingly Shallow Autoencoder (Steck, "Embarrassingly Shallow Autoencoders for Sparse
/// Data", WWW 2019): the item × item weights in closed form,
/// ```
/// P = (XᵀX + λI)⁻¹,   B = I − P·diag(1/diag(P)),   i.e. Bᵢⱼ = −Pᵢⱼ / Pⱼⱼ, Bⱼⱼ = 0
/// ```
/// Scores of a user are xᵤ·B. With ``EASEConfiguration/dropout`` p > 0 the same closed form with
/// Λ = λI + p/(1−p)·diag(XᵀX) in place of λI is full-rank EDLAE (Steck, NeurIPS 2020). With
/// ``EASEConfiguration/userWeightExponent`` e > 0, XᵀWX (W = diag(wᵤ), wᵤ ∝ nᵤ^(−e)) takes the
/// place of XᵀX, in λ's diagonal emphasis too.
public enum EASE {
    /// Bytes the dense matrices of a fit need for `items` items: XᵀX, its factor and the
    /// weights, in Float.
    public static func requiredBytes(items: Int) -> Int { 3 * items * items * MemoryLayout<Float>.size }

    /// The items × items weight matrix B.
    /// - Throws: ``FactorizationError/tooLarge(operation:requiredBytes:availableBytes:)`` when the
    ///   dense matrices would not fit in memory (saying how much they need); empty or non-finite input.
    /// - Complexity: O(Σᵤ nᵤ² + n³) for n items: the Gram matrix from the sparse rows, then
    ///   Cholesky and its inverse (LAPACK potrf + potri).
    public static func fit(_ x: SparseMatrix, configuration: EASEConfiguration = .init()) throws -> Matrix<Float> {
        try validate(x, "EASE")
        try require(configuration.regularization > 0 && configuration.regularization.isFinite,
                    "regularization", configuration.regularization, "a finite value > 0")
        try require(configuration.threads > 0, "threads", configuration.threads, "a positive integer")
        try require(configuration.dropout >= 0 && configuration.dropout < 1, "dropout", configuration.dropout, "a probability in [0, 1)")
        try require(configuration.userWeightExponent >= 0 && configuration.userWeightExponent <= 4, "userWeightExponent",
                    configuration.userWeightExponent, "a value in [0, 4]")
        let needed = requiredBytes(items: x.columns)
        let available = configuration.memoryLimitBytes ?? availableMemoryBytes()
        guard needed <= available else {
            throw FactorizationError.tooLarge(operation: "EASE with \(x.columns) items", requiredBytes: needed, availableBytes: available)
        }
        var g = gram(x, rowWeights: userWeights(x, exponent: configuration.userWeightExponent), threads: configuration.threads)
        if configuration.dropout > 0 {
            // EDLAE: λ + p/(1−p)·(XᵀX)ᵢᵢ on the diagonal.
            let emphasis = configuration.dropout / (1 - configuration.dropout), n = x.columns
            g.withUnsafeMutableBufferPointer { gp in
                for i in 0..<n { gp[i * n + i] += configuration.regularization + emphasis * gp[i * n + i] }
            }
        } else {
            g.addToDiagonal(configuration.regularization)
        }
        var p = try Parallel.withBLASThreads(configuration.threads) { try g.inversePositiveDefinite() }
        let n = x.columns
        p.withUnsafeMutableBufferPointer { pp in
            var inverseDiagonal = [Float](repeating: 0, count: n)
            for j in 0..<n { inverseDiagonal[j] = -1 / pp[j * n + j] }
            for i in 0..<n {
                let row = pp.baseAddress! + i * n
                for j in 0..<n { row[j] *= inverseDiagonal[j] }
                row[i] = 0
            }
        }
        try requireFiniteResult(p.elements, "EASE", "item weights", advice: "raise regularization")
        return p
    }

    /// The user weights wᵤ ∝ nᵤ^(−e) of ``EASEConfiguration/userWeightExponent``, scaled so that
    /// Σᵤ nᵤwᵤ = Σᵤ nᵤ (nᵤ: row u's stored entries; a row with none gets weight 0). Nil for e = 0
    /// (every weight 1).
    /// - Returns: one weight per row of `x`, or nil.
    public static func userWeights(_ x: SparseMatrix, exponent: Float) -> [Float]? {
        guard exponent != 0 else { return nil }
        let counts = x.rowCounts
        let raw = counts.map { $0 > 0 ? pow(Double($0), -Double(exponent)) : 0 }
        let weighted = zip(counts, raw).reduce(0.0) { $0 + Double($1.0) * $1.1 }
        guard weighted > 0 else { return nil }
        let scale = Double(x.nnz) / weighted
        return raw.map { Float($0 * scale) }
    }

    /// XᵀWX as a dense items × items matrix (W = diag(`rowWeights`), the identity when nil),
    /// built row by row from the sparse data: row i is Σ over the users u of item i of
    /// wᵤ·xᵤᵢ·xᵤ. Rows are independent, so they run in parallel.
    static func gram(_ x: SparseMatrix, rowWeights: [Float]? = nil, threads: Int) -> Matrix<Float> {
        let n = x.columns
        let xt = x.transposed()
        var g = Matrix<Float>(rows: n, columns: n)
        x.withUnsafeCSR { rows in
        xt.withUnsafeCSR { columns in
        g.withUnsafeMutableBufferPointer { gp in
            let g = UncheckedSendable(gp.baseAddress!)
            Parallel.forEachBlock(count: n, threads: threads, minimumBlock: 16) { range in
                for i in range {
                    let row = g.value + i * n
                    for q in columns.range(of: i) {
                        let u = Int(columns.columnIndices[q])
                        let weight = columns.values[q] * (rowWeights?[u] ?? 1)
                        for p in rows.range(of: u) { row[Int(rows.columnIndices[p])] += weight * rows.values[p] }
                    }
                }
            }
        }}}
        return g
    }
}

/// The memory this process can still use (see ``SystemMemory/availableBytes``).
func availableMemoryBytes() -> Int { SystemMemory.availableBytes }
