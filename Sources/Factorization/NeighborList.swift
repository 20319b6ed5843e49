import DenseLinalg

/// The k most similar rows of every row: `indices[i·k ..< (i+1)·k]` best first, padded with −1
/// (and score 0) when a row has fewer than k neighbours. The kernels that build one clamp k to
/// the number of candidates, so `k` may be smaller than the one asked for.
public struct NeighborList: Sendable, Equatable {
    public let k: Int
    public let indices: [Int32]
    public let scores: [Float]

    /// A list of `k` neighbours per row; `indices` padded with −1 where a row has fewer.
    public init(k: Int, indices: [Int32], scores: [Float]) {
        precondition(indices.count == scores.count && (k == 0 || indices.count % k == 0), "neighbour list shape")
        self.k = k; self.indices = indices; self.scores = scores
    }

    /// Lists of possibly different lengths laid out with `k` columns (by default the longest
    /// list's length, at least 1), padded with −1.
    public init(lists: [[(index: Int, score: Float)]], k: Int? = nil) {
        let k = k ?? max(1, lists.lazy.map(\.count).max() ?? 1)
        var indices = [Int32](repeating: -1, count: lists.count * k), scores = [Float](repeating: 0, count: lists.count * k)
        for (r, list) in lists.enumerated() {
            for (rank, entry) in list.prefix(k).enumerated() { indices[r * k + rank] = Int32(entry.index); scores[r * k + rank] = entry.score }
        }
        self.init(k: k, indices: indices, scores: scores)
    }

    /// Number of rows.
    public var count: Int { k == 0 ? 0 : indices.count / k }

    /// The neighbours of row `i`, best first.
    public func neighbors(of i: Int) -> [(index: Int, score: Float)] {
        (i * k ..< (i + 1) * k).compactMap { indices[$0] >= 0 ? (Int(indices[$0]), scores[$0]) : nil }
    }
}
