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

    /// Why the model scores `item` for a user with these interactions: the share of each
    /// history item in the fold-in score (Hu, Koren & Volinsky, ICDM 2008, §5; as implicit's
    /// `explain`). With Wᵤ = (YᵀY + λI + Σᵢ (cᵢ − 1) yᵢyᵢᵀ)⁻¹ the user's weighted Gram
    /// matrix inverted, the score of item j is Σᵢ cᵢ · (yⱼᵀ Wᵤ yᵢ): the contribution of history
    /// item i is its term, and the contributions add up to the fold-in score yⱼ · xᵤ.
    /// - Parameters:
    ///   - items, strengths: the history as for ``foldIn(items:strengths:)``.
    ///   - item: the explained item's inner index.
    ///   - gram: YᵀY + λI (``regularizedGram()``).
    /// - Returns: one contribution per entry of `items`, in their order.
    /// - Throws: as ``foldIn(items:strengths:gram:)``; an item outside the catalogue.
    /// - Complexity: O(|items|·k² + k³).
    public func explain(items: [Int], strengths: [Float], item: Int, gram: Matrix<Float>) throws -> [Float] {
        try checkFoldIn(items: items, strengths: strengths, gram: gram)
        guard item >= 0, item < itemFactors.rows else {
            throw FactorizationError.invalidParameter(name: "item index", value: "\(item)", expected: "0..<\(itemFactors.rows)")
        }
        let k = itemFactors.columns
        let indices = items.map { Int32($0) }
        let confidences = strengths.map { configuration.confidence(of: $0) }
        let system = itemFactors.withUnsafeBufferPointer { y in
            ImplicitALS.rowSystem(gram: gram, fixed: y.baseAddress!, k: k, indices: indices, confidences: confidences, count: indices.count,
                                  extraDiagonal: extraDiagonal(entries: indices.count))
        }
        let weighted = try system.cholesky().solve(itemFactors.row(item))  // Wᵤ yⱼ
        return itemFactors.withUnsafeBufferPointer { y in
            indices.indices.map { q in
                let yi = y.baseAddress! + Int(indices[q]) * k
                var dot: Float = 0
                for j in 0..<k { dot += weighted[j] * yi[j] }
                return confidences[q] * dot
            }
        }
    }

    /// ``foldIn(items:strengths:)`` with YᵀY + λI given (``regularizedGram()`` of this model).
    /// - Complexity: O(|items|·k² + k³).
    public func foldIn(items: [Int], strengths: [Float], gram: Matrix<Float>) throws -> [Float] {
        try checkFoldIn(items: items, strengths: strengths, gram: gram)
        let indices = items.map { Int32($0) }
        let confidences = strengths.map { configuration.confidence(of: $0) }
        return try itemFactors.withUnsafeBufferPointer { y in
            try ImplicitALS.exactRow(gram: gram, fixed: y.baseAddress!, k: itemFactors.columns, indices: indices,
                                     confidences: confidences, count: indices.count, extraDiagonal: extraDiagonal(entries: indices.count))
        }
    }

    /// λᵤ − λ of a user with `entries` interactions (0 unless ν ≠ 0), as training regularised them.
    func extraDiagonal(entries: Int) -> Float {
        configuration.rowRegularization(entries: entries, otherSide: itemFactors.rows) - configuration.regularization
    }

    /// The arguments of a fold-in: a k × k Gram matrix, one strength ≥ 0 per item, items in the catalogue.
    func checkFoldIn(items: [Int], strengths: [Float], gram: Matrix<Float>) throws {
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
    }
}
