import DenseLinalg
import Foundation

/// Users grouped by k-means++ on standardised behaviour features, k chosen by silhouette, each
/// segment described by the features where its mean stands furthest from the population's.
public struct Segmentation: Sendable {
    /// The features clustered on (counts enter as ln(1 + x), so heavy users do not dominate).
    public static let features = ["view_count", "distinct_titles", "active_days", "mean_completion", "binge_ratio", "night_share",
                                  "weekend_share", "genre_entropy", "popularity_preference", "show_share", "mean_session_length"]
    static let logScaled: Set<String> = ["view_count", "distinct_titles", "active_days"]

    public var ids: [String]
    public var k: Int
    public var silhouette: Double
    public var assignments: [Int]
    /// Per segment: size, a short description, and the mean of each raw feature.
    public var segments: [(size: Int, description: String, means: [Double])]
    public var featureNames: [String]
    var raw: Matrix<Double>

    /// Clusters the users of `table` (columns missing from it are left out).
    public static func run(_ table: FeatureTable, candidates: ClosedRange<Int> = 2...6, seed: UInt64) throws -> Segmentation {
        let names = features.filter { table.names.contains($0) }
        guard !names.isEmpty else { throw RecommenderError.invalidInput(model: "segmentation", reason: "the feature table has none of the behaviour features") }
        let columns = names.map { table.column($0)! }
        var raw = Matrix<Double>(rows: table.ids.count, columns: names.count)
        var transformed = raw
        for (j, name) in names.enumerated() {
            for i in 0..<table.ids.count {
                raw[i, j] = columns[j][i]
                transformed[i, j] = logScaled.contains(name) ? log1p(max(0, columns[j][i])) : columns[j][i]
            }
        }
        let z = KMeans.standardized(transformed)
        let (k, clustering, silhouette) = try KMeans.chooseK(z, candidates: candidates, seed: seed)
        // Order segments by size, largest first, so that labels are stable and readable.
        var sizes = [Int](repeating: 0, count: k)
        for a in clustering.assignments { sizes[a] += 1 }
        let order = (0..<k).sorted { (sizes[$0], -$0) > (sizes[$1], -$1) }
        let rank = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        let assignments = clustering.assignments.map { rank[$0]! }
        var segments: [(size: Int, description: String, means: [Double])] = []
        for s in 0..<k {
            let members = assignments.indices.filter { assignments[$0] == s }
            let means = (0..<names.count).map { j in members.reduce(0) { $0 + raw[$1, j] } / Double(max(1, members.count)) }
            let zMeans = (0..<names.count).map { j in members.reduce(0) { $0 + z[$1, j] } / Double(max(1, members.count)) }
            let top = zMeans.indices.sorted { abs(zMeans[$0]) > abs(zMeans[$1]) }.prefix(2)
            let description = top.map { "\(zMeans[$0] > 0 ? "high" : "low") \(names[$0].replacingOccurrences(of: "_", with: " "))" }.joined(separator: ", ")
            segments.append((members.count, description, means))
        }
        return Segmentation(ids: table.ids, k: k, silhouette: silhouette, assignments: assignments, segments: segments,
                            featureNames: names, raw: raw)
    }

    /// `user_segments.csv`: user_id, segment (1-based), segment description, the clustered features.
    public func writeCSV(to path: String) throws {
        try AtomicFile.write(to: path) { handle in
            var out = BufferedWriter(handle)
            try out.write((["user_id", "segment", "segment_description"] + featureNames).joined(separator: ",") + "\n")
            for (i, id) in ids.enumerated() {
                let values = (0..<featureNames.count).map { String(format: "%.6g", raw[i, $0]) }
                try out.write(([id, "\(assignments[i] + 1)", "\"\(segments[assignments[i]].description)\""] + values).joined(separator: ",") + "\n")
            }
            try out.flush()
        }
    }
}
