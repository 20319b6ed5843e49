import DenseLinalg
import Foundation

extension FeatureEngineer {
    /// Title features; `sessions` adds session appearances (zeros without).
    public static func titleFeatures(_ dataset: Dataset, sessions: Sessions? = nil) throws -> FeatureTable {
        let data = dataset.interactions
        let index = ViewIndex(data)
        let viewing = data.viewing
        let rows = index.byItem
        var f = FeatureColumns()
        func perTitle(_ name: String, _ body: (Int, [Int]) -> Double) { f.add(name, rows.enumerated().map { body($0.offset, $0.element) }) }
        func share(_ r: [Int], _ test: (Int) -> Bool) -> Double { r.isEmpty ? 0 : Double(r.filter(test).count) / Double(r.count) }
        let ratingsOf = index.ratings
        perTitle("views") { Double($1.count) }
        perTitle("unique_viewers") { Double(Set($1.map { data.users[$0] }).count) }
        let ratings = rows.map(ratingsOf)
        f.add("rating_count", ratings.map { Double($0.count) })
        f.add("rating_mean", ratings.map(mean))
        let allRatings = ratings.flatMap { $0 }
        let globalMean = mean(allRatings), prior = Double(allRatings.count) / Double(max(1, rows.count))
        f.add("bayesian_rating", ratings.map { r in prior + Double(r.count) > 0 ? (prior * globalMean + r.reduce(0, +)) / (prior + Double(r.count)) : 0 })
        perTitle("mean_completion") { _, r in viewing.map { v in mean(r.map { Double(v.completion[$0]) }) } ?? 0 }
        perTitle("trend") { _, r in share(r) { index.now - data.timestamps[$0] < 30 * 86_400 } }
        perTitle("binge_rate") { _, r in share(r) { index.binge[$0] } }
        let lastYear = Double(SyntheticWorld.date(index.now).prefix(4)) ?? 0
        perTitle("age_years") { i, _ in dataset.items[i]?.releaseYear.map { lastYear - Double($0) } ?? 0 }
        perTitle("duration_minutes") { i, _ in Double(dataset.items[i]?.attributes["duration_minutes"] ?? "") ?? 0 }
        let order = rows.indices.sorted { rows[$0].count > rows[$1].count || (rows[$0].count == rows[$1].count && $0 < $1) }
        var rank = [Double](repeating: 0, count: rows.count)
        for (position, i) in order.enumerated() { rank[i] = Double(position + 1) }
        f.add("popularity_rank", rank)
        perTitle("genre_count") { i, _ in Double(dataset.items[i]?.genres.count ?? 0) }
        perTitle("night_share") { _, r in share(r) { Clock.isNight(data.timestamps[$0]) } }
        perTitle("weekend_share") { _, r in share(r) { Clock.isWeekend(data.timestamps[$0]) } }
        let userViews = index.byUser.map { Double($0.count) }
        perTitle("mean_viewer_activity") { _, r in mean(Set(r.map { data.users[$0] }).map { userViews[Int($0)] }) }
        var appearances = [Double](repeating: 0, count: rows.count)
        for s in sessions?.items ?? [] { for t in s { appearances[Int(t)] += 1 } }
        f.add("session_appearances", appearances)
        let pairs = try viewCountMatrix(data).mapValues { _ in 1 }
        f.add("pagerank", try GraphFeatures.pageRank(pairs).titles)
        let coView = GraphFeatures.coView(pairs)
        f.add("coview_degree", coView.degree)
        f.add("coview_clustering", coView.clustering)
        return f.table(ids: data.itemIDs.ids)
    }

    /// Interaction features, one row per interaction (ids are the row numbers).
    public static func interactionFeatures(_ dataset: Dataset) -> FeatureTable {
        let data = dataset.interactions
        let index = ViewIndex(data)
        let viewing = data.viewing
        var userMean = [Double](repeating: 0, count: data.userIDs.count)
        for (u, r) in index.byUser.enumerated() { userMean[u] = mean(index.ratings(r)) }
        var position = [Double](repeating: 0, count: data.count)
        for r in index.byUser { for (p, row) in r.enumerated() { position[row] = Double(p + 1) } }
        var f = FeatureColumns()
        let all = Array(0..<data.count)
        f.add("hour", all.map { Double(Clock.hour(data.timestamps[$0])) })
        f.add("weekday", all.map { Double(Clock.weekday(data.timestamps[$0])) })
        f.add("completion", all.map { row in viewing.map { v in Double(v.completion[row]) } ?? 0 })
        f.add("rating_deviation", all.map { row in
            let rating = viewing.map { Double($0.ratings[row]) } ?? Double(data.values[row])
            return rating > 0 ? rating - userMean[Int(data.users[row])] : 0
        })
        f.add("days_since_release", all.map { row in
            guard let year = dataset.items[Int(data.items[row])]?.releaseYear else { return 0 }
            let release = Int64(daysFromCivil(year: year)) * 86_400
            return Double(data.timestamps[row] - release) / 86_400
        })
        f.add("is_binge", all.map { index.binge[$0] ? 1 : 0 })
        f.add("position_in_history", position)
        return f.table(ids: all.map { String($0) })
    }

    /// Days from 1970-01-01 to 1 January of `year` (proleptic Gregorian).
    static func daysFromCivil(year: Int) -> Int {
        let y = year - 1
        return 365 * (y - 1969) + (y / 4 - 1969 / 4) - (y / 100 - 1969 / 100) + (y / 400 - 1969 / 400)
    }
}
