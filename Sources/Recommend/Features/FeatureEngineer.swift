import DenseLinalg
import Foundation

/// Engineered features of users, titles and interactions, with their definitions (the README's
/// feature table is generated from ``definitions``).
public enum FeatureEngineer {
    /// (name, definition) of every fixed feature; `genre_share_<genre>` and
    /// `device_share_<device>` expand to one column per genre and device in the data.
    public static let definitions: [(table: String, name: String, definition: String)] = [
        ("user", "view_count", "number of views"),
        ("user", "distinct_titles", "number of distinct titles viewed"),
        ("user", "active_days", "number of distinct UTC days with a view"),
        ("user", "views_per_active_day", "view_count / active_days"),
        ("user", "tenure_days", "days from the first to the last view"),
        ("user", "recency_days", "days from the last view to the data's last timestamp"),
        ("user", "mean_completion", "mean completion of the views (0 without viewing data)"),
        ("user", "total_watch_hours", "sum of watch minutes / 60"),
        ("user", "rating_count", "number of rated views"),
        ("user", "rating_mean", "mean rating (0 when none)"),
        ("user", "rating_std", "population standard deviation of the ratings"),
        ("user", "binge_ratio", "share of views that continue a binge (same title as the user's previous view, started ≤ 6 h before)"),
        ("user", "night_share", "share of views starting 22:00–05:59 UTC"),
        ("user", "weekend_share", "share of views on Saturday or Sunday (UTC)"),
        ("user", "genre_entropy", "Shannon entropy (nats) of the user's genre shares"),
        ("user", "popularity_preference", "mean of ln(1 + views of the title) over the user's views"),
        ("user", "show_share", "share of views of titles whose type is show"),
        ("user", "sessions", "number of browsing sessions"),
        ("user", "mean_session_length", "mean titles per session (0 without sessions)"),
        ("user", "pagerank", "PageRank of the user in the user–title graph (damping 0.85)"),
        ("user", "genre_share_<genre>", "share of the user's views of titles in the genre (X·G, rows normalised)"),
        ("user", "device_share_<device>", "share of the user's views on the device"),
        ("title", "views", "number of views"),
        ("title", "unique_viewers", "number of distinct viewers"),
        ("title", "rating_count", "number of rated views"),
        ("title", "rating_mean", "mean rating (0 when none)"),
        ("title", "bayesian_rating", "(C·m + Σ ratings) / (C + rating_count); m the global mean rating, C the mean rating count per title"),
        ("title", "mean_completion", "mean completion of its views"),
        ("title", "trend", "share of its views in the data's last 30 days"),
        ("title", "binge_rate", "share of its views that continue a binge"),
        ("title", "age_years", "year of the data's last timestamp − release year (0 when unknown)"),
        ("title", "duration_minutes", "duration of the movie or of one episode (0 when unknown)"),
        ("title", "popularity_rank", "1 for the most viewed title (ties by inner index)"),
        ("title", "genre_count", "number of genres"),
        ("title", "night_share", "share of its views starting 22:00–05:59 UTC"),
        ("title", "weekend_share", "share of its views on Saturday or Sunday"),
        ("title", "mean_viewer_activity", "mean view_count of its distinct viewers"),
        ("title", "session_appearances", "number of session events showing it"),
        ("title", "pagerank", "PageRank of the title in the user–title graph"),
        ("title", "coview_degree", "number of other titles co-viewed by at least one user"),
        ("title", "coview_clustering", "local clustering coefficient in the co-view 20-nearest-neighbour graph"),
        ("interaction", "hour", "UTC hour the view started"),
        ("interaction", "weekday", "UTC weekday, Monday = 0"),
        ("interaction", "completion", "fraction of the title watched"),
        ("interaction", "rating_deviation", "rating − the user's mean rating (0 when unrated)"),
        ("interaction", "days_since_release", "days from 1 January of the release year to the view"),
        ("interaction", "is_binge", "1 when the view continues a binge"),
        ("interaction", "position_in_history", "1-based rank of the view in the user's views by time"),
    ]

    /// Users × titles, each entry the number of views of the pair.
    static func viewCountMatrix(_ data: Interactions) throws -> SparseMatrix {
        try SparseMatrix(rows: data.userIDs.count, columns: data.itemIDs.count, rowIndices: data.users.map(Int.init),
                         columnIndices: data.items.map(Int.init), values: [Float](repeating: 1, count: data.count))
    }

    static func itemGenreMatrix(_ dataset: Dataset) throws -> (SparseMatrix, [String]) {
        let genres = dataset.genres
        var rows: [Int] = [], cols: [Int] = []
        for (i, item) in dataset.items.enumerated() {
            for g in item?.genres ?? [] { if let c = genres.firstIndex(of: g) { rows.append(i); cols.append(c) } }
        }
        let g = try SparseMatrix(rows: dataset.interactions.itemIDs.count, columns: genres.count, rowIndices: rows,
                                 columnIndices: cols, values: [Float](repeating: 1, count: rows.count))
        return (g, genres)
    }

    /// User features; `sessions` adds the session columns (zeros without).
    public static func userFeatures(_ dataset: Dataset, sessions: Sessions? = nil) throws -> FeatureTable {
        let data = dataset.interactions
        let index = ViewIndex(data)
        let views = try viewCountMatrix(data)   // views per (user, title), repeats counted
        let pairs = views.mapValues { _ in 1 }
        let itemViews = index.byItem.map { Double($0.count) }
        let viewing = data.viewing
        var f = FeatureColumns()
        let rows = index.byUser
        func perUser(_ name: String, _ body: ([Int]) -> Double) { f.add(name, rows.map(body)) }
        perUser("view_count") { Double($0.count) }
        perUser("distinct_titles") { Double(Set($0.map { data.items[$0] }).count) }
        perUser("active_days") { Double(Set($0.map { Clock.day(data.timestamps[$0]) }).count) }
        perUser("views_per_active_day") { r in
            let days = Set(r.map { Clock.day(data.timestamps[$0]) }).count
            return days == 0 ? 0 : Double(r.count) / Double(days)
        }
        perUser("tenure_days") { r in r.isEmpty ? 0 : Double(data.timestamps[r.last!] - data.timestamps[r.first!]) / 86_400 }
        perUser("recency_days") { r in r.isEmpty ? 0 : Double(index.now - data.timestamps[r.last!]) / 86_400 }
        perUser("mean_completion") { r in viewing.map { v in mean(r.map { Double(v.completion[$0]) }) } ?? 0 }
        perUser("total_watch_hours") { r in viewing.map { v in r.reduce(0) { $0 + Double(v.watchMinutes[$1]) } / 60 } ?? 0 }
        let ratingsOf = index.ratings
        perUser("rating_count") { Double(ratingsOf($0).count) }
        perUser("rating_mean") { mean(ratingsOf($0)) }
        perUser("rating_std") { standardDeviation(ratingsOf($0)) }
        perUser("binge_ratio") { r in r.isEmpty ? 0 : Double(r.filter { index.binge[$0] }.count) / Double(r.count) }
        perUser("night_share") { r in r.isEmpty ? 0 : Double(r.filter { Clock.isNight(data.timestamps[$0]) }.count) / Double(r.count) }
        perUser("weekend_share") { r in r.isEmpty ? 0 : Double(r.filter { Clock.isWeekend(data.timestamps[$0]) }.count) / Double(r.count) }
        // Genre shares through the linear-algebra layer: (users × titles view counts) · (titles × genres).
        let (g, genres) = try itemGenreMatrix(dataset)
        let viewsByGenre = try views.multiply(g.toDense())
        let genreRows = (0..<data.userIDs.count).map { u in (0..<genres.count).map { Double(viewsByGenre[u, $0]) } }
        f.add("genre_entropy", genreRows.map(entropy))
        perUser("popularity_preference") { r in mean(r.map { log(1 + itemViews[Int(data.items[$0])]) }) }
        perUser("show_share") { r in
            r.isEmpty ? 0 : Double(r.filter { dataset.items[Int(data.items[$0])]?.attributes["type"] == "show" }.count) / Double(r.count)
        }
        var sessionCount = [Double](repeating: 0, count: data.userIDs.count), sessionLength = sessionCount
        if let sessions {
            for (s, u) in sessions.users.enumerated() { sessionCount[Int(u)] += 1; sessionLength[Int(u)] += Double(sessions.items[s].count) }
        }
        f.add("sessions", sessionCount)
        f.add("mean_session_length", zip(sessionLength, sessionCount).map { $1 > 0 ? $0 / $1 : 0 })
        f.add("pagerank", try GraphFeatures.pageRank(pairs).users)
        for (c, genre) in genres.enumerated() {
            f.add("genre_share_\(genre)", genreRows.map { row in let t = row.reduce(0, +); return t > 0 ? row[c] / t : 0 })
        }
        if let v = viewing {
            for (d, device) in v.deviceNames.ids.enumerated() {
                perUser("device_share_\(device)") { r in r.isEmpty ? 0 : Double(r.filter { v.devices[$0] == Int32(d) }.count) / Double(r.count) }
            }
        }
        return f.table(ids: data.userIDs.ids)
    }
}
