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

    public init(regularization: Float = 500, threads: Int = 1, memoryLimitBytes: Int? = nil, dropout: Float = 0) {
        self.regularization = regularization; self.threads = threads; self.memoryLimitBytes = memoryLimitBytes
        self.dropout = dropout
    }
}

/// Embarrassingly Shallow Autoencoder (Steck, "Embarrassingly Shallow Autoencoders for Sparse
/// Data", WWW 2019): the item × item weights in closed form,
/// ```
/// P = (XᵀX + λI)⁻¹,   B = I − P·diag(1/diag(P)),   i.e. Bᵢⱼ = −Pᵢⱼ / Pⱼⱼ, Bⱼⱼ = 0
/// ```
/// Scores of a user are xᵤ·B. With ``EASEConfiguration/dropout`` p > 0 the same closed form with
/// Λ = λI + p/(1−p)·diag(XᵀX) in place of λI is full-rank EDLAE (Steck, NeurIPS 2020).
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
        let needed = requiredBytes(items: x.columns)
        let available = configuration.memoryLimitBytes ?? availableMemoryBytes()
        guard needed <= available else {
            throw FactorizationError.tooLarge(operation: "EASE with \(x.columns) items", requiredBytes: needed, availableBytes: available)
        }
        var g = gram(x, threads: configuration.threads)
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

    /// XᵀX as a dense items × items matrix, built row by row from the sparse data:
    /// row i is Σ over the users u of item i of xᵤᵢ·xᵤ. Rows are independent, so they run in parallel.
    static func gram(_ x: SparseMatrix, threads: Int) -> Matrix<Float> {
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
                        let u = Int(columns.columnIndices[q]), weight = columns.values[q]
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
