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

extension Splitter {
    /// ``randomPerUser(_:testFraction:seed:)`` over each user's distinct (user, item) pairs:
    /// every row of a pair goes to the same side, so a held-out pair never has a repeated row
    /// left in train (which would exclude it from the user's recommendations). Without repeated
    /// pairs it is ``randomPerUser(_:testFraction:seed:)`` exactly.
    public static func randomPerUserPairs(_ data: Interactions, testFraction: Double, seed: UInt64) throws -> Split {
        try checkFraction(testFraction)
        var g = SeededGenerator(seed: seed)
        var split = Split(train: [], test: [])
        for rows in byUser(data) {
            // The user's pairs in order of first appearance, each with its rows.
            var slot: [Int32: Int] = [:], pairs: [[Int]] = []
            for r in rows {
                if let s = slot[data.items[r]] { pairs[s].append(r) } else { slot[data.items[r]] = pairs.count; pairs.append([r]) }
            }
            var order = Array(pairs.indices)
            shuffle(&order, &g)
            let trainCount = max(1, Int((Double(pairs.count) * (1 - testFraction)).rounded(.up)))
            for p in order.prefix(trainCount) { split.train += pairs[p] }
            for p in order.dropFirst(trainCount) { split.test += pairs[p] }
        }
        split.train.sort(); split.test.sort()
        return split
    }
}
