import DenseLinalg

extension Splitter {
    /// Per-user random holdout: each user's interactions are shuffled and ⌈(1 − fraction)·n⌉
    /// go to train, the rest to test (users with one interaction keep it in train).
    public static func randomPerUser(_ data: Interactions, testFraction: Double, seed: UInt64) throws -> Split {
        try checkFraction(testFraction)
        var g = SeededGenerator(seed: seed)
        var split = Split(train: [], test: [])
        for rows in byUser(data) {
            var shuffled = rows
            shuffle(&shuffled, &g)
            let trainCount = Int((Double(rows.count) * (1 - testFraction)).rounded(.up))
            split.train += shuffled.prefix(max(1, trainCount))
            split.test += shuffled.dropFirst(max(1, trainCount))
        }
        split.train.sort(); split.test.sort()
        return split
    }
}
