import DenseLinalg

extension ImplicitALSModel {
    /// The factors of a new or updated user from their interactions, against the fixed item
    /// factors, without retraining: the exact solution of
    /// (YᵀY + λI + Σᵢ (cᵢ − 1) yᵢyᵢᵀ) x = Σᵢ cᵢ yᵢ over the given items.
    ///
    /// For a training user this reproduces the factors of the last user half-iteration when
    /// trained with the Cholesky solver (and approximately with conjugate gradient).
    /// - Parameters:
    ///   - items: inner item indices.
    ///   - strengths: interaction strengths xᵢ ≥ 0, one per item (confidence is computed from them).
    /// - Complexity: O(|items|·k² + k³), plus O(n·k²) for YᵀY.
    public func foldIn(items: [Int], strengths: [Float]) throws -> [Float] {
        try foldIn(items: items, strengths: strengths, gram: regularizedGram())
    }

    /// YᵀY + λI (k × k) of the item factors: what every fold-in against these factors shares.
    /// A server folding in many users computes it once and passes it to
    /// ``foldIn(items:strengths:gram:)``.
    /// - Complexity: O(n·k²).
    public func regularizedGram() throws -> Matrix<Float> {
        try ImplicitALS.regularizedGram(itemFactors, configuration.regularization)
    }

    /// ``foldIn(items:strengths:)`` with YᵀY + λI given (``regularizedGram()`` of this model).
    /// - Complexity: O(|items|·k² + k³).
    public func foldIn(items: [Int], strengths: [Float], gram: Matrix<Float>) throws -> [Float] {
        let k = itemFactors.columns
        guard gram.rows == k, gram.columns == k else {
            throw FactorizationError.shapeMismatch(operation: "fold-in", expected: "a \(k)×\(k) Gram matrix", got: "\(gram.rows)×\(gram.columns)")
        }
        guard items.count == strengths.count else {
            throw FactorizationError.shapeMismatch(operation: "fold-in", expected: "\(items.count) strengths", got: "\(strengths.count)")
        }
        for (i, s) in zip(items, strengths) {
            guard i >= 0, i < itemFactors.rows else {
                throw FactorizationError.invalidParameter(name: "item index", value: "\(i)", expected: "0..<\(itemFactors.rows)")
            }
            guard s.isFinite, s >= 0 else {
                throw FactorizationError.invalidParameter(name: "strength", value: "\(s)", expected: "a finite value ≥ 0")
            }
        }
        let indices = items.map { Int32($0) }
        let confidences = strengths.map { configuration.confidence(of: $0) }
        return try itemFactors.withUnsafeBufferPointer { y in
            try ImplicitALS.exactRow(gram: gram, fixed: y.baseAddress!, k: itemFactors.columns, indices: indices,
                                     confidences: confidences, count: indices.count)
        }
    }
}
