import DenseLinalg
import Foundation
import Testing
@testable import Recommend

/// Every feature's definition, checked on a tiny hand-made dataset: three titles, three users
/// (C never watches), five views from Monday 2024-01-01 00:00 UTC on.
@Suite struct FeatureTests {
    static let monday: Int64 = 1_704_067_200
    static let hour: Int64 = 3600, day: Int64 = 86_400

    static func dataset() -> (Dataset, Sessions) {
        var data = Interactions(userIDs: IDMap(["A", "B", "C"]), itemIDs: IDMap(["T1", "T2", "T3"]))
        var viewing = ViewingFields()
        let rows: [(String, String, Int64, Float, Float, Float, String)] = [
            ("A", "T1", monday + 20 * hour, 1.0, 100, 4, "TV"),                 // Mon 20:00
            ("A", "T2", monday + day + 23 * hour, 0.5, 15, 0, "Mobile"),        // Tue 23:00, night
            ("A", "T2", monday + 2 * day, 1.0, 30, 0, "Mobile"),                // Wed 00:00, binge
            ("B", "T1", monday + 5 * day + 10 * hour, 0.8, 80, 2, "TV"),        // Sat 10:00
            ("B", "T3", monday + 40 * day + 12 * hour, 0.6, 54, 5, "TV"),       // Sat 12:00, the last view
        ]
        for (u, t, time, completion, minutes, rating, device) in rows {
            data.append(user: u, item: t, value: 1, timestamp: time)
            viewing.completion.append(completion); viewing.watchMinutes.append(minutes); viewing.ratings.append(rating)
            viewing.devices.append(viewing.deviceNames.intern(device))
        }
        data.viewing = viewing
        let items = [
            ItemMetadata(id: "T1", title: "One", genres: ["Drama", "Comedy"], releaseYear: 2020, attributes: ["type": "movie", "duration_minutes": "100"]),
            ItemMetadata(id: "T2", title: "Two", genres: ["Drama"], releaseYear: 2019, attributes: ["type": "show", "duration_minutes": "30"]),
            ItemMetadata(id: "T3", title: "Three", genres: ["Action"], releaseYear: 2021, attributes: ["type": "movie", "duration_minutes": "90"]),
        ]
        var sessions = Sessions()
        for (id, user, titles) in [("S1", Int32(0), [Int32(0), 1]), ("S2", 0, [2]), ("S3", 1, [1, 2, 0])] {
            sessions.ids.append(id); sessions.users.append(user); sessions.items.append(titles); sessions.starts.append(monday)
        }
        return (Dataset(interactions: data, items: items, users: [nil, nil, nil], genres: ["Drama", "Comedy", "Action"]), sessions)
    }

    func check(_ table: FeatureTable, _ expected: [String: [String: Double]], sourceLocation: SourceLocation = #_sourceLocation) {
        for (name, values) in expected {
            for (id, want) in values {
                let got: Double? = table.value(name, for: id)
                let close: Bool = got.map { abs($0 - want) < 1e-5 } ?? false
                let shown: String = got.map { "\($0)" } ?? "missing"
                #expect(close, "\(name)[\(id)] = \(shown), want \(want)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func userFeatures() throws {
        let (data, sessions) = Self.dataset()
        let t = try FeatureEngineer.userFeatures(data, sessions: sessions)
        check(t, [
            "view_count": ["A": 3, "B": 2, "C": 0],
            "distinct_titles": ["A": 2, "B": 2, "C": 0],
            "active_days": ["A": 3, "B": 2],
            "views_per_active_day": ["A": 1, "B": 1, "C": 0],
            "tenure_days": ["A": 28.0 / 24, "B": 35 + 2.0 / 24],
            "recency_days": ["A": 38.5, "B": 0],
            "mean_completion": ["A": 2.5 / 3, "B": 0.7],
            "total_watch_hours": ["A": 145.0 / 60, "B": 134.0 / 60],
            "rating_count": ["A": 1, "B": 2],
            "rating_mean": ["A": 4, "B": 3.5, "C": 0],
            "rating_std": ["A": 0, "B": 1.5],
            "binge_ratio": ["A": 1.0 / 3, "B": 0],
            "night_share": ["A": 2.0 / 3, "B": 0],
            "weekend_share": ["A": 0, "B": 1],
            "genre_entropy": ["A": -(0.75 * log(0.75) + 0.25 * log(0.25)), "B": log(3.0), "C": 0],
            "popularity_preference": ["A": log(3.0), "B": (log(3.0) + log(2.0)) / 2],
            "show_share": ["A": 2.0 / 3, "B": 0],
            "sessions": ["A": 2, "B": 1, "C": 0],
            "mean_session_length": ["A": 1.5, "B": 3, "C": 0],
            "genre_share_Drama": ["A": 0.75, "B": 1.0 / 3],
            "genre_share_Comedy": ["A": 0.25, "B": 1.0 / 3],
            "genre_share_Action": ["A": 0, "B": 1.0 / 3],
            "device_share_TV": ["A": 1.0 / 3, "B": 1],
            "device_share_Mobile": ["A": 2.0 / 3, "B": 0],
        ])
    }

    @Test func titleFeatures() throws {
        let (data, sessions) = Self.dataset()
        let t = try FeatureEngineer.titleFeatures(data, sessions: sessions)
        let m = 11.0 / 3  // global mean rating; prior weight C = 3 ratings / 3 titles = 1
        check(t, [
            "views": ["T1": 2, "T2": 2, "T3": 1],
            "unique_viewers": ["T1": 2, "T2": 1, "T3": 1],
            "rating_count": ["T1": 2, "T2": 0, "T3": 1],
            "rating_mean": ["T1": 3, "T2": 0, "T3": 5],
            "bayesian_rating": ["T1": (m + 6) / 3, "T2": m, "T3": (m + 5) / 2],
            "mean_completion": ["T1": 0.9, "T2": 0.75, "T3": 0.6],
            "trend": ["T1": 0, "T2": 0, "T3": 1],
            "binge_rate": ["T1": 0, "T2": 0.5, "T3": 0],
            "age_years": ["T1": 4, "T2": 5, "T3": 3],
            "duration_minutes": ["T1": 100, "T2": 30, "T3": 90],
            "popularity_rank": ["T1": 1, "T2": 2, "T3": 3],
            "genre_count": ["T1": 2, "T2": 1, "T3": 1],
            "night_share": ["T1": 0, "T2": 1, "T3": 0],
            "weekend_share": ["T1": 0.5, "T2": 0, "T3": 1],
            "mean_viewer_activity": ["T1": 2.5, "T2": 3, "T3": 2],
            "session_appearances": ["T1": 2, "T2": 2, "T3": 2],
            "coview_degree": ["T1": 2, "T2": 1, "T3": 1],
            "coview_clustering": ["T1": 0, "T2": 0, "T3": 0],
        ])
    }

    @Test func interactionFeatures() throws {
        let (data, _) = Self.dataset()
        let t = FeatureEngineer.interactionFeatures(data)
        check(t, [
            "hour": ["0": 20, "1": 23, "2": 0, "3": 10, "4": 12],
            "weekday": ["0": 0, "1": 1, "2": 2, "3": 5, "4": 5],
            "completion": ["0": 1, "1": 0.5, "4": 0.6],
            "rating_deviation": ["0": 0, "1": 0, "3": -1.5, "4": 1.5],
            "days_since_release": ["0": 1461 + 20.0 / 24, "4": 1095 + 40.5],
            "is_binge": ["1": 0, "2": 1],
            "position_in_history": ["0": 1, "1": 2, "2": 3, "3": 1, "4": 2],
        ])
    }

    /// PageRank against a dense power iteration written out plainly.
    @Test func pageRankMatchesADenseReference() throws {
        let (data, _) = Self.dataset()
        let users = try FeatureEngineer.userFeatures(data), titles = try FeatureEngineer.titleFeatures(data)
        let ids = ["A", "B", "C", "T1", "T2", "T3"]
        let edges = [(0, 3), (0, 4), (1, 3), (1, 5)]  // distinct user–title pairs
        var adjacency = [[Double]](repeating: [Double](repeating: 0, count: 6), count: 6)
        for (u, t) in edges { adjacency[u][t] = 1; adjacency[t][u] = 1 }
        var rank = [Double](repeating: 1.0 / 6, count: 6)
        for _ in 0..<500 {
            var next = [Double](repeating: 0, count: 6)
            var dangling = 0.0
            for i in 0..<6 {
                let degree = adjacency[i].reduce(0, +)
                if degree == 0 { dangling += rank[i]; continue }
                for j in 0..<6 where adjacency[i][j] > 0 { next[j] += 0.85 * rank[i] / degree }
            }
            rank = next.map { $0 + 0.15 / 6 + 0.85 * dangling / 6 }
        }
        for (i, id) in ids.enumerated() {
            let got = i < 3 ? users.value("pagerank", for: id)! : titles.value("pagerank", for: id)!
            #expect(abs(got - rank[i]) < 1e-5, "pagerank[\(id)] = \(got), want \(rank[i])")
        }
        let userTotal: Double = users.column("pagerank")!.reduce(0, +)
        let titleTotal: Double = titles.column("pagerank")!.reduce(0, +)
        #expect(abs(userTotal + titleTotal - 1) < 1e-9)
    }

    @Test func coViewClusteringCountsTriangles() throws {
        // Users {0,1}, {1,2}, {0,2} make a triangle of titles 0-1-2; {0,3} hangs title 3 on 0.
        let x = try SparseMatrix(rows: 4, columns: 4, triplets: [(0, 0, 1), (0, 1, 1), (1, 1, 1), (1, 2, 1), (2, 0, 1), (2, 2, 1), (3, 0, 1), (3, 3, 1)])
        let (degree, clustering) = GraphFeatures.coView(x)
        #expect(degree == [3, 2, 2, 1])
        #expect(abs(clustering[0] - 1.0 / 3) < 1e-12 && clustering[1] == 1 && clustering[2] == 1 && clustering[3] == 0)
    }

    @Test func syntheticWorldHasOverFiftyFeaturesAndTheyExport() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("features-\(UUID().uuidString)").path
        _ = try SyntheticWorld.generate(.init(users: 200, titles: 80, interactions: 3_000, sessions: 300, seed: 2), to: dir)
        let (world, sessions) = try SyntheticWorld.load(directory: dir)
        let users = try FeatureEngineer.userFeatures(world, sessions: sessions)
        let titles = try FeatureEngineer.titleFeatures(world, sessions: sessions)
        let interactions = FeatureEngineer.interactionFeatures(world)
        #expect(users.names.count + titles.names.count + interactions.names.count >= 50)
        for d in FeatureEngineer.definitions where !d.name.contains("<") {
            let table = d.table == "user" ? users : d.table == "title" ? titles : interactions
            #expect(table.names.contains(d.name), "\(d.table) feature \(d.name) is documented but not computed")
        }
        #expect(users.values.isFinite && titles.values.isFinite && interactions.values.isFinite)
        try users.writeCSV(to: dir + "/user_features.csv", idColumn: "user_id")
        let back = try TextFile.readCSV(dir + "/user_features.csv", required: ["user_id", "view_count"])
        #expect(back.count == 200 && back[0]["view_count"] == String(format: "%.6f", users.values[0, 0]))
    }
}
