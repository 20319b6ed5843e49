import DenseLinalg

/// A train/test partition of an interaction table: indices into its rows.
public struct Split: Sendable, Equatable {
    public var train: [Int]
    public var test: [Int]
}

/// Seeded ways of holding out interactions for evaluation (the names follow lenskit's
/// holdout strategies).
public enum Splitter {
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
