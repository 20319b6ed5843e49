import DenseLinalg

/// A train/test partition of an interaction table: indices into its rows.
public struct Split: Sendable, Equatable {
    public var train: [Int]
    public var test: [Int]
}

/// Seeded ways of holding out interactions for evaluation (the names follow lenskit's
/// holdout strategies).
public enum Splitter {
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

    /// The rows of each user, in row order, users in inner-index order.
    static func byUser(_ data: Interactions) -> [[Int]] {
        var rows = [[Int]](repeating: [], count: data.userIDs.count)
        for (row, u) in data.users.enumerated() { rows[Int(u)].append(row) }
        return rows
    }

    static func shuffle(_ a: inout [Int], _ g: inout SeededGenerator) {
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, Int(g.next() % UInt64(i + 1))) }
    }

    static func checkFraction(_ f: Double) throws {
        guard f > 0, f < 1 else { throw RecommenderError.invalidParameter(model: nil, name: "fraction", value: "\(f)", expected: "a value in (0, 1)") }
    }
}

extension Interactions {
    /// The interactions at `rows`, keeping the same id maps (so inner indices agree across splits).
    public func subset(_ rows: [Int]) -> Interactions {
        var out = Interactions(userIDs: userIDs, itemIDs: itemIDs)
        out.users = rows.map { users[$0] }; out.items = rows.map { items[$0] }
        out.values = rows.map { values[$0] }; out.timestamps = rows.map { timestamps[$0] }
        if let v = viewing {
            var w = ViewingFields()
            w.watchMinutes = rows.map { v.watchMinutes[$0] }; w.completion = rows.map { v.completion[$0] }
            w.ratings = rows.map { v.ratings[$0] }; w.devices = rows.map { v.devices[$0] }; w.deviceNames = v.deviceNames
            out.viewing = w
        }
        return out
    }
}
