import DenseLinalg

extension Splitter {
    /// k-fold over interactions: a seeded permutation cut into k near-equal folds; fold f is
    /// the test set of split f.
    public static func kFold(_ data: Interactions, folds k: Int, seed: UInt64) throws -> [Split] {
        guard k >= 2, k <= data.count else {
            throw RecommenderError.invalidParameter(model: nil, name: "folds", value: "\(k)", expected: "2 ≤ k ≤ \(data.count) interactions")
        }
        var g = SeededGenerator(seed: seed)
        var order = Array(0..<data.count)
        shuffle(&order, &g)
        return (0..<k).map { f in
            let lo = f * data.count / k, hi = (f + 1) * data.count / k
            return Split(train: (Array(order[..<lo]) + Array(order[hi...])).sorted(), test: Array(order[lo..<hi]).sorted())
        }
    }
}
