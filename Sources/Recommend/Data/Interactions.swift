import Foundation
import DenseLinalg

/// A table of user–item interactions with raw ids mapped once to dense inner indices.
///
/// Columns are stored as parallel arrays: user, item, value (a rating or an implicit
/// strength), timestamp (Unix seconds, 0 when unknown).
public struct Interactions: Sendable {
    public var userIDs: IDMap
    public var itemIDs: IDMap
    public var users: [Int32] = []
    public var items: [Int32] = []
    public var values: [Float] = []
    /// Empty when the loader was told not to keep them (``RatingsCSVOptions/keepTimestamps``):
    /// every row is then at time 0.
    public var timestamps: [Int64] = []
    /// Watch minutes, completion, rating and device per row, where the data has them.
    public var viewing: ViewingFields? = nil

    public init(userIDs: IDMap = IDMap(), itemIDs: IDMap = IDMap()) {
        self.userIDs = userIDs
        self.itemIDs = itemIDs
    }

    /// Number of interactions.
    public var count: Int { values.count }

    /// Reserves room for `count` interactions in every column.
    public mutating func reserveCapacity(_ count: Int) {
        users.reserveCapacity(count); items.reserveCapacity(count)
        values.reserveCapacity(count); timestamps.reserveCapacity(count)
    }

    /// Appends one interaction, interning its ids.
    public mutating func append(user: String, item: String, value: Float, timestamp: Int64 = 0) {
        users.append(userIDs.intern(user))
        items.append(itemIDs.intern(item))
        values.append(value)
        timestamps.append(timestamp)
    }

    /// Appends one interaction by inner indices.
    public mutating func append(user: Int32, item: Int32, value: Float, timestamp: Int64 = 0) {
        users.append(user)
        items.append(item)
        values.append(value)
        timestamps.append(timestamp)
    }

    /// What each stored matrix entry holds.
    public enum MatrixValue: Sendable {
        /// 1 for every interacted pair.
        case binary
        /// The value (rating or strength); repeated pairs are summed.
        case value
        /// The most recent value for a repeated pair.
        case lastValue
        /// 1 + α·(summed value), the implicit-feedback confidence of Hu, Koren & Volinsky.
        case confidence(alpha: Float)
        /// Σ value·2^(−age / half-life) over a pair's interactions, age measured back from the
        /// latest timestamp in the table.
        case timeDecayed(halfLifeDays: Double)
    }

    /// The users × items CSR matrix. Repeated (user, item) pairs collapse to one entry.
    /// `threads` sort the rows (the matrix does not depend on them).
    public func matrix(_ kind: MatrixValue = .binary, users userCount: Int? = nil, items itemCount: Int? = nil,
                       threads: Int = 1) throws -> SparseMatrix {
        let rows = userCount ?? userIDs.count, columns = itemCount ?? itemIDs.count
        func build(_ values: [Float], _ duplicates: SparseMatrix.DuplicatePolicy) throws -> SparseMatrix {
            try SparseMatrix(rows: rows, columns: columns, rowIndices: users, columnIndices: items, values: values,
                             duplicates: duplicates, threads: threads)
        }
        switch kind {
        case .binary:
            return try build(values, .one)
        case .value:
            return try build(values, .sum)
        case let .confidence(alpha):
            return try build(values, .sum).mapValues { 1 + alpha * $0 }
        case let .timeDecayed(halfLife):
            guard halfLife > 0 else { throw RecommenderError.invalidParameter(model: nil, name: "half-life", value: "\(halfLife)", expected: "a positive number of days") }
            let now = timestamps.max() ?? 0
            let weights = (0..<count).map { t in
                values[t] * Float(pow(2, -Double(now - (timestamps.isEmpty ? 0 : timestamps[t])) / 86_400 / halfLife))
            }
            return try build(weights, .sum)
        case .lastValue:
            // The latest by timestamp (then by position) of each pair.
            return try build(values, .latest(order: timestamps))
        }
    }
}

extension Interactions {
    /// One row per distinct (user, item) pair, the first in row order, with its value and
    /// timestamp (repeated views of a title collapse, as the ranking protocol counts them).
    public func distinctPairs() -> Interactions {
        var out = Interactions(userIDs: userIDs, itemIDs: itemIDs)
        var seen = Set<Int64>()
        for r in 0..<count where seen.insert(Int64(users[r]) << 32 | Int64(items[r])).inserted {
            out.append(user: users[r], item: items[r], value: values[r], timestamp: timestamps[r])
        }
        return out
    }

    /// Number of interactions of each user (inner index order).
    public var userCounts: [Int] {
        var c = [Int](repeating: 0, count: userIDs.count)
        for u in users { c[Int(u)] += 1 }
        return c
    }

    /// Number of interactions of each item (inner index order).
    public var itemCounts: [Int] {
        var c = [Int](repeating: 0, count: itemIDs.count)
        for i in items { c[Int(i)] += 1 }
        return c
    }
}

/// Optional per-view fields of viewing data, aligned with an ``Interactions`` table's rows.
public struct ViewingFields: Sendable, Equatable {
    /// Minutes watched.
    public var watchMinutes: [Float] = []
    /// Fraction of the title watched, 0–1.
    public var completion: [Float] = []
    /// Rating 1–5, or 0 when the view was not rated.
    public var ratings: [Float] = []
    /// Device of each view, an index into `deviceNames`.
    public var devices: [Int32] = []
    public var deviceNames = IDMap()

    public init() {}
}
