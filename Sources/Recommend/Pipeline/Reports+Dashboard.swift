import DenseLinalg
import Foundation

/// The dashboard's twelve panels, drawn from a pipeline's measurements.
extension Reports {
    public static func panels(_ r: PipelineResult) -> [ChartPanel] {
        let data = r.dataset.interactions
        var panels: [ChartPanel] = []

        // 1. User activity: users per band of views (powers of two).
        let userCounts = data.userCounts.filter { $0 > 0 }
        let bands = powerOfTwoBands(userCounts)
        panels.append(ChartPanel(title: "User activity distribution", xLabel: "views per user", yLabel: "users",
                                 content: .bars(labels: bands.labels, values: bands.counts),
                                 note: String(format: "median %d views per user", median(userCounts))))

        // 2. Title popularity long tail.
        let itemCounts = data.itemCounts.sorted(by: >)
        let top = itemCounts.prefix(itemCounts.count / 5).reduce(0, +)
        panels.append(ChartPanel(title: "Title popularity long tail", xLabel: "title rank by views (log)", yLabel: "views (log)",
                                 content: .lines(series: [("views", itemCounts.enumerated().map { (Double($0.offset + 1), Double($0.element)) })], logX: true, logY: true),
                                 note: String(format: "top 20%% of titles take %.0f%% of views", 100 * Double(top) / Double(max(1, data.count)))))

        // 3. Ratings.
        var ratingCounts = [Double](repeating: 0, count: 5)
        for v in data.viewing?.ratings ?? [] where v >= 1 && v <= 5 { ratingCounts[Int(v.rounded()) - 1] += 1 }
        let rated = ratingCounts.reduce(0, +)
        panels.append(ChartPanel(title: "Rating distribution", xLabel: "rating (stars)", yLabel: "rated views",
                                 content: .bars(labels: ["1", "2", "3", "4", "5"], values: ratingCounts),
                                 note: String(format: "%.0f%% of views rated, mean %.2f", 100 * rated / Double(max(1, data.count)),
                                              zip(1...5, ratingCounts).reduce(0.0) { $0 + Double($1.0) * $1.1 } / max(1, rated))))

        // 4. Genre preferences: share of views by genre.
        let genres = ContentPerformance.genres(data, items: r.dataset.items).prefix(12)
        panels.append(ChartPanel(title: "Genre preferences", xLabel: "share of views (%)", yLabel: "",
                                 content: .horizontalBars(labels: genres.map(\.name), values: genres.map { 100 * Double($0.views) / Double(max(1, data.count)) }),
                                 note: "a view counts for each genre of its title"))

        // 5. Sparsity: density of the users × titles matrix, both sorted by activity.
        panels.append(sparsityPanel(data))

        // 6. Model comparison.
        let reports = r.reports
        panels.append(ChartPanel(title: "Model performance comparison", xLabel: "model", yLabel: "score at K = \(r.configuration.k)",
                                 content: .groupedBars(labels: reports.map(\.model), series: [("nDCG@\(r.configuration.k)", reports.map(\.ndcg)),
                                                                                              ("precision@\(r.configuration.k)", reports.map(\.precision))]),
                                 note: r.best.map { String(format: "best: %@ (nDCG %.3f)", $0.model, $0.ndcg) } ?? ""))

        // 7. Segments.
        if let s = r.segmentation {
            panels.append(ChartPanel(title: "User segments (k-means++)", xLabel: "users", yLabel: "",
                                     content: .horizontalBars(labels: s.segments.enumerated().map { "S\($0.offset + 1): \($0.element.description)" },
                                                              values: s.segments.map { Double($0.size) }),
                                     note: String(format: "k = %d chosen by silhouette (%.3f)", s.k, s.silhouette)))
        }

        // 8. Viewing time: weekday × hour.
        var grid = [[Double]](repeating: [Double](repeating: 0, count: 24), count: 7)
        for t in data.timestamps {
            let day = Int(t / 86_400), hour = Int((t % 86_400) / 3_600)
            grid[(day + 3) % 7][hour] += 1   // 1 January 1970 was a Thursday
        }
        panels.append(ChartPanel(title: "Viewing-time patterns", xLabel: "hour of day (UTC)", yLabel: "weekday",
                                 content: .heatmap(rowLabels: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
                                                   columnLabels: (0..<24).map { $0 % 3 == 0 ? "\($0)" : "" }, values: grid, legend: "views"),
                                 note: "views started per hour and weekday"))

        // 9. Cold start: nDCG by training-history length for the best model, the hybrid and popularity.
        let shown = [r.best?.model, "hybrid", "popular"].compactMap { $0 }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let bandNames = Evaluator.historyBands.map(\.name).filter { band in reports.contains { $0.segments.contains { $0.name == band } } }
        let series = shown.compactMap { name in reports.first { $0.model == name } }.map { report in
            (name: report.model, values: bandNames.map { band in report.segments.first { $0.name == band }?.ndcg ?? 0 })
        }
        panels.append(ChartPanel(title: "Cold-start analysis", xLabel: "titles in the user's training history", yLabel: "nDCG@\(r.configuration.k)",
                                 content: .groupedBars(labels: bandNames, series: series), note: "accuracy by history length"))

        // 10. Diversity.
        panels.append(ChartPanel(title: "Recommendation diversity", xLabel: "model", yLabel: "intra-list diversity",
                                 content: .bars(labels: reports.map(\.model), values: reports.map(\.diversity)),
                                 note: "1 − mean pairwise genre cosine within a top-\(r.configuration.k) list"))

        // 11. Session lengths.
        var lengths = [Double](repeating: 0, count: 10)
        for s in r.sessions.items where !s.isEmpty { lengths[min(9, s.count - 1)] += 1 }
        panels.append(ChartPanel(title: "Session length distribution", xLabel: "titles browsed per session", yLabel: "sessions",
                                 content: .bars(labels: (1...9).map(String.init) + ["10+"], values: lengths),
                                 note: String(format: "session model hit rate@20 %.2f vs popularity %.2f", r.sessionHitRate, r.sessionPopularityHitRate)))

        // 12. Coverage and novelty.
        panels.append(ChartPanel(title: "Coverage and novelty by model", xLabel: "catalogue coverage", yLabel: "novelty (bits)",
                                 content: .scatter(points: reports.map { ($0.model, $0.coverage, $0.novelty) }),
                                 note: "share of titles ever recommended vs mean self-information"))
        return panels
    }

    /// Users and titles sorted by activity and popularity, binned into a 40 × 40 grid of
    /// densities (share of filled cells, in %).
    static func sparsityPanel(_ data: Interactions) -> ChartPanel {
        let users = data.userIDs.count, items = data.itemIDs.count
        let userRank = rankDescending(data.userCounts), itemRank = rankDescending(data.itemCounts)
        let bins = 40
        var filled = [[Double]](repeating: [Double](repeating: 0, count: bins), count: bins)
        var pairs = Set<Int64>()
        for t in 0..<data.count where pairs.insert(Int64(data.users[t]) << 32 | Int64(data.items[t])).inserted {
            filled[userRank[Int(data.users[t])] * bins / max(1, users)][itemRank[Int(data.items[t])] * bins / max(1, items)] += 1
        }
        let cell = Double(max(1, users)) / Double(bins) * Double(max(1, items)) / Double(bins)
        let density = filled.map { row in row.map { 100 * $0 / cell } }
        return ChartPanel(title: "Interaction matrix sparsity", xLabel: "titles, most viewed first →", yLabel: "users, most active first →",
                          content: .heatmap(rowLabels: [String](repeating: "", count: bins), columnLabels: [String](repeating: "", count: bins),
                                            values: density, legend: "% filled"),
                          note: String(format: "%d × %d, %.2f%% of cells filled", users, items, 100 * Double(pairs.count) / (Double(users) * Double(max(1, items)))))
    }

    static func rankDescending(_ counts: [Int]) -> [Int] {
        var rank = [Int](repeating: 0, count: counts.count)
        for (r, i) in counts.indices.sorted(by: { (counts[$0], -$0) > (counts[$1], -$1) }).enumerated() { rank[i] = r }
        return rank
    }

    static func powerOfTwoBands(_ values: [Int]) -> (labels: [String], counts: [Double]) {
        let top = values.max() ?? 1
        var labels: [String] = [], counts: [Double] = []
        var lo = 1
        while lo <= top {
            let hi = lo * 2 - 1
            labels.append(lo == hi ? "\(lo)" : "\(lo)–\(hi)")
            counts.append(Double(values.filter { $0 >= lo && $0 <= hi }.count))
            lo *= 2
        }
        return (labels, counts)
    }

    static func median(_ values: [Int]) -> Int {
        let s = values.sorted()
        return s.isEmpty ? 0 : s[s.count / 2]
    }
}
