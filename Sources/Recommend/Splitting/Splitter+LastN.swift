import DenseLinalg

extension Splitter {
    /// Leave-last-N: each user's `n` most recent interactions (by timestamp, then position) are
    /// the test set; users with at most n interactions keep all in train.
    public static func lastN(_ data: Interactions, n: Int) throws -> Split {
        guard n > 0 else { throw RecommenderError.invalidParameter(model: nil, name: "n", value: "\(n)", expected: "at least 1 (leave-last-N)") }
        var split = Split(train: [], test: [])
        for rows in byUser(data) {
            let ordered = rows.sorted { (data.timestamps[$0], $0) < (data.timestamps[$1], $1) }
            if ordered.count <= n { split.train += ordered; continue }
            split.train += ordered.dropLast(n)
            split.test += ordered.suffix(n)
        }
        split.train.sort(); split.test.sort()
        return split
    }
}
