import DenseLinalg

extension Splitter {
    /// Cold-start users: a seeded `fraction` of users has every interaction in test, none in train.
    public static func heldOutUsers(_ data: Interactions, fraction: Double, seed: UInt64) throws -> Split {
        try heldOut(data.users, count: data.userIDs.count, fraction: fraction, seed: seed)
    }

    /// Cold-start titles: a seeded `fraction` of items has every interaction in test, none in train.
    public static func heldOutItems(_ data: Interactions, fraction: Double, seed: UInt64) throws -> Split {
        try heldOut(data.items, count: data.itemIDs.count, fraction: fraction, seed: seed)
    }

    static func heldOut(_ keys: [Int32], count: Int, fraction: Double, seed: UInt64) throws -> Split {
        try checkFraction(fraction)
        var g = SeededGenerator(seed: seed)
        var ids = Array(0..<count)
        shuffle(&ids, &g)
        var held = [Bool](repeating: false, count: count)
        for id in ids.prefix(Int((Double(count) * fraction).rounded())) { held[id] = true }
        var split = Split(train: [], test: [])
        for (row, key) in keys.enumerated() {
            if held[Int(key)] { split.test.append(row) } else { split.train.append(row) }
        }
        return split
    }
}
