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
    /// - Complexity: O(|items|·k² + k³), plus O(n·k²) the first time for YᵀY.
    public func foldIn(items: [Int], strengths: [Float]) throws -> [Float] {
        let k = itemFactors.columns
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
        var a = try itemGramPlusRegularization()
        var b = [Float](repeating: 0, count: k)
        for (i, s) in zip(items, strengths) {
            let c = configuration.confidence(of: s)
            let y = itemFactors.row(i)
            for r in 0..<k {
                b[r] += c * y[r]
                for col in 0..<k { a[r, col] += (c - 1) * y[r] * y[col] }
            }
        }
        return try a.cholesky().solve(b)
    }

    /// YᵀY + λI.
    func itemGramPlusRegularization() throws -> Matrix<Float> {
        var g = try itemFactors.gram()
        g.addToDiagonal(configuration.regularization)
        return g
    }
}
