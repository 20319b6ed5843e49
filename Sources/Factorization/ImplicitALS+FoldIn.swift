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
        let gram = try ImplicitALS.regularizedGram(itemFactors, configuration.regularization)
        let indices = items.map { Int32($0) }
        let confidences = strengths.map { configuration.confidence(of: $0) }
        return try itemFactors.withUnsafeBufferPointer { y in
            try ImplicitALS.exactRow(gram: gram, fixed: y.baseAddress!, k: itemFactors.columns, indices: indices,
                                     confidences: confidences, count: indices.count)
        }
    }
}
