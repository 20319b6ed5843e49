import DenseLinalg
import Foundation

/// A table of named numeric features, one row per user or title (raw ids), stored as a
/// rows × features `Matrix<Double>`.
public struct FeatureTable: Sendable {
    public var ids: [String]
    public var names: [String]
    public var values: Matrix<Double>

    public init(ids: [String], names: [String], values: Matrix<Double>) {
        precondition(values.rows == ids.count && values.columns == names.count, "feature table shape")
        self.ids = ids; self.names = names; self.values = values
    }

    /// The value of feature `name` for row `id`.
    public func value(_ name: String, for id: String) -> Double? {
        guard let c = names.firstIndex(of: name), let r = ids.firstIndex(of: id) else { return nil }
        return values[r, c]
    }

    /// The column of feature `name`.
    public func column(_ name: String) -> [Double]? {
        names.firstIndex(of: name).map { values.column($0) }
    }

    /// Writes `idColumn,<names…>` CSV atomically; values with up to 6 decimals.
    public func writeCSV(to path: String, idColumn: String) throws {
        try AtomicFile.write(to: path) { handle in
            var w = CSVByteWriter(handle)
            w.text(([idColumn] + names).joined(separator: ",")); try w.endRow()
            for r in 0..<ids.count {
                w.quoted(ids[r])
                for c in 0..<names.count { w.comma(); w.decimal(values[r, c], digits: 6) }
                try w.endRow()
            }
            try w.flush()
        }
    }
}

/// Builds a feature table column by column.
struct FeatureColumns {
    var names: [String] = []
    var columns: [[Double]] = []

    mutating func add(_ name: String, _ column: [Double]) {
        names.append(name)
        columns.append(column)
    }

    func table(ids: [String]) -> FeatureTable {
        var m = Matrix<Double>(rows: ids.count, columns: names.count)
        for (c, column) in columns.enumerated() { for r in 0..<ids.count { m[r, c] = column[r] } }
        return FeatureTable(ids: ids, names: names, values: m)
    }
}

/// Calendar helpers on Unix seconds (UTC).
enum Clock {
    static func day(_ t: Int64) -> Int64 { t >= 0 ? t / 86_400 : (t - 86_399) / 86_400 }
    static func hour(_ t: Int64) -> Int { Int((t - day(t) * 86_400) / 3600) }
    /// Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday).
    static func weekday(_ t: Int64) -> Int { Int(((day(t) + 3) % 7 + 7) % 7) }
    static func isNight(_ t: Int64) -> Bool { let h = hour(t); return h >= 22 || h < 6 }
    static func isWeekend(_ t: Int64) -> Bool { weekday(t) >= 5 }
}

/// Per-row facts shared by the feature builders.
struct ViewIndex {
    let data: Interactions
    /// Rows of each user, ordered by (timestamp, row).
    let byUser: [[Int]]
    /// Rows of each item.
    let byItem: [[Int]]
    /// Whether a row continues a binge: the same user's previous view (by time) was of the same
    /// title and started at most 6 hours earlier.
    let binge: [Bool]
    /// The latest timestamp in the data: "now" for recency, trend and age.
    let now: Int64

    /// The ratings among `rows`: viewing data's 1–5 ratings (unrated views left out), or the
    /// values themselves for rating data.
    func ratings(_ rows: [Int]) -> [Double] {
        if let v = data.viewing { return rows.compactMap { v.ratings[$0] > 0 ? Double(v.ratings[$0]) : nil } }
        return rows.map { Double(data.values[$0]) }
    }

    init(_ data: Interactions) {
        self.data = data
        var users = [[Int]](repeating: [], count: data.userIDs.count)
        var items = [[Int]](repeating: [], count: data.itemIDs.count)
        for r in 0..<data.count { users[Int(data.users[r])].append(r); items[Int(data.items[r])].append(r) }
        for u in users.indices { users[u].sort { (data.timestamps[$0], $0) < (data.timestamps[$1], $1) } }
        var binge = [Bool](repeating: false, count: data.count)
        for rows in users {
            for (a, b) in zip(rows, rows.dropFirst())
            where data.items[a] == data.items[b] && data.timestamps[b] - data.timestamps[a] <= 6 * 3600 {
                binge[b] = true
            }
        }
        byUser = users; byItem = items
        self.binge = binge
        now = data.timestamps.max() ?? 0
    }
}

func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }

/// Population standard deviation, 0 for fewer than two values.
func standardDeviation(_ xs: [Double]) -> Double {
    guard xs.count > 1 else { return 0 }
    let m = mean(xs)
    return (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count)).squareRoot()
}

/// Shannon entropy (nats) of non-negative weights, 0 when they sum to 0.
func entropy(_ weights: [Double]) -> Double {
    let total = weights.reduce(0, +)
    guard total > 0 else { return 0 }
    return -weights.reduce(0) { $1 > 0 ? $0 + ($1 / total) * log($1 / total) : $0 }
}
