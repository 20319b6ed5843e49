import DenseLinalg
import Factorization

/// Session-based next-title recommendation from the titles of the current session, in real
/// time. It combines
/// - sequential rules: how often title b followed title a within a few steps in past sessions,
///   weighted 1/distance, read from the session's recent titles with a decay; and
/// - V-SKNN (Ludewig & Jannach, "Evaluation of session-based recommendation algorithms",
///   UMUAI 2018): past sessions sharing titles with the current one, recent positions weighing
///   more, vote for their titles in proportion to their similarity.
/// Each part is normalised to a maximum of 1 before they are added.
///
/// As a ``Recommender`` it learns from the training data's browsing sessions (or, without
/// them, from each user's views cut into sessions at gaps of more than an hour), and scores a
/// known user's next title from their most recent titles.
public struct SessionRecommender: Recommender, RegisteredModel {
    public static let registration = ModelRegistration("session", .ranking, "next title from the current session: sequential rules and V-SKNN (Ludewig & Jannach, UMUAI 2018)",
                                                  hyperparameters: [.neighbors: "100"],
                                                  readsRows: true)
    public static func make(_ o: ModelOptions) throws -> Self {
        var model = Self()
        if let v = o.neighbors { model.neighbors = v }
        return model
    }

    /// Neighbour sessions kept per request. Default 100.
    public var neighbors = 100
    /// Most recent sessions per title considered as neighbours. Default 500.
    public var sampleSize = 500
    /// Steps ahead a sequential rule reaches. Default 3.
    public var window = 3
    /// Weight of the rules part against the neighbours part. Default 1.
    public var ruleWeight: Float = 1
    /// As a ``Recommender``: how many of a user's latest titles form their query session.
    /// Default 30.
    public var historyLength = 30

    var sessions: [[Int32]] = []
    /// Sessions containing each title, most recent last.
    var sessionsOf: [[Int32]] = []
    /// rules: titles × titles, entry (a, b) = Σ 1/distance over b following a.
    var rules: SparseMatrix?
    var popularity: [Float] = []
    /// The latest titles of each training user (oldest first, at most `historyLength`).
    var recent: [[Int32]] = []

    public init() {}

    public var trainedUsers: Int { recent.count }

    /// Learns from `data.sessions`, or from sessions cut out of the users' views.
    public mutating func fit(_ data: TrainingData) throws {
        let byUser = SessionRecommender.timelines(data.interactions, users: data.users)
        recent = byUser.map { Array($0.suffix(historyLength).map(\.item)) }
        try fit(data.sessions ?? SessionRecommender.sessions(byUser, gapSeconds: 3_600), items: data.itemCount)
    }

    public func scores(user: Int) throws -> [Float] {
        try checkUser(user)
        return try scores(session: recent[user].map(Int.init))
    }

    /// Each user's views (item, timestamp) in time order (ties by position).
    static func timelines(_ data: Interactions, users: Int) -> [[(item: Int32, time: Int64)]] {
        var out = [[(item: Int32, time: Int64)]](repeating: [], count: users)
        let order = (0..<data.count).sorted { (data.timestamps[$0], $0) < (data.timestamps[$1], $1) }
        for r in order where Int(data.users[r]) < users { out[Int(data.users[r])].append((data.items[r], data.timestamps[r])) }
        return out
    }

    /// Sessions cut from timelines wherever two views are more than `gapSeconds` apart, in
    /// order of their start; a title repeated within a session counts once.
    static func sessions(_ timelines: [[(item: Int32, time: Int64)]], gapSeconds: Int64) -> [[Int32]] {
        var out: [(start: Int64, items: [Int32])] = []
        for views in timelines {
            var current: [Int32] = [], start: Int64 = 0, last = Int64.min
            for (item, time) in views {
                if !current.isEmpty && time - last > gapSeconds { out.append((start, current)); current = [] }
                if current.isEmpty { start = time }
                if !current.contains(item) { current.append(item) }
                last = time
            }
            if !current.isEmpty { out.append((start, current)) }
        }
        return out.enumerated().sorted { ($0.element.start, $0.offset) < ($1.element.start, $1.offset) }.map(\.element.items)
    }

    /// Learns from past sessions (titles as inner indices below `items`), in chronological order.
    public mutating func fit(_ past: [[Int32]], items: Int) throws {
        guard items > 0 else { throw RecommenderError.invalidInput(model: name, reason: "no titles to recommend") }
        sessions = past
        sessionsOf = [[Int32]](repeating: [], count: items)
        var r: [Int] = [], c: [Int] = [], v: [Float] = []
        popularity = [Float](repeating: 0, count: items)
        for (s, titles) in past.enumerated() {
            for t in Set(titles) where Int(t) < items { sessionsOf[Int(t)].append(Int32(s)) }
            for (i, a) in titles.enumerated() where Int(a) < items {
                popularity[Int(a)] += 1
                for d in stride(from: 1, through: min(window, titles.count - 1 - i), by: 1)
                    where Int(titles[i + d]) < items && titles[i + d] != a {
                    r.append(Int(a)); c.append(Int(titles[i + d])); v.append(1 / Float(d))
                }
            }
        }
        rules = try SparseMatrix(rows: items, columns: items, rowIndices: r, columnIndices: c, values: v)
    }

    /// Scores of every title as the next one after `session` (oldest first).
    public func scores(session: [Int]) throws -> [Float] {
        guard let rules else { throw RecommenderError.notFitted(model: "session") }
        let items = rules.rows
        let known = session.filter { $0 >= 0 && $0 < items }
        var ruleScores = [Float](repeating: 0, count: items)
        // Rules from the recent titles, the last weighing 1, earlier ones 1/(1 + steps back).
        for (back, a) in known.reversed().prefix(window).enumerated() {
            let row = rules.row(a)
            for (b, w) in zip(row.columns, row.values) { ruleScores[Int(b)] += w / Float(1 + back) }
        }
        // V-SKNN: position weights rise linearly to 1 at the last title.
        var weight: [Int: Float] = [:]
        for (p, t) in known.enumerated() { weight[t] = max(weight[t] ?? 0, Float(p + 1) / Float(known.count)) }
        // Summed in title order: a Dictionary's order changes from process to process, and so
        // would the last bits of the sums and then the ties between neighbour sessions.
        var overlap: [Int32: Float] = [:]
        for (t, w) in weight.sorted(by: { $0.key < $1.key }) { for s in sessionsOf[t].suffix(sampleSize) { overlap[s, default: 0] += w } }
        var knnScores = [Float](repeating: 0, count: items)
        let querySize = Float(max(1, weight.count)).squareRoot()
        let best = overlap.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key > $1.key) }.prefix(neighbors)
        for (s, shared) in best {
            let past = sessions[Int(s)]
            let similarity = shared / (querySize * Float(Set(past).count).squareRoot())
            for t in Set(past) where Int(t) < items { knnScores[Int(t)] += similarity }
        }
        let ruleMax = ruleScores.max() ?? 0, knnMax = knnScores.max() ?? 0
        // Popularity, scaled below any real evidence, breaks ties and serves empty sessions.
        let popMax = popularity.max() ?? 1
        return (0..<items).map { j in
            (ruleMax > 0 ? ruleWeight * ruleScores[j] / ruleMax : 0) + (knnMax > 0 ? knnScores[j] / knnMax : 0)
                + 1e-3 * popularity[j] / max(popMax, 1)
        }
    }

    /// The `count` best next titles, excluding those already in the session.
    public func recommend(session: [Int], count: Int) throws -> [(index: Int, score: Float)] {
        let s = try scores(session: session)
        let exclude = Set(session)
        return TopN.best(s, count: count) { !exclude.contains($0) }
    }

    /// The share of steps of `sessions` whose next title is in the top `k` given the titles
    /// before it (each session contributes its steps 2…n).
    public func hitRate(on test: [[Int32]], k: Int = 20) throws -> Double {
        var hits = 0, steps = 0
        for session in test where session.count > 1 {
            for t in 1..<session.count {
                let top = try recommend(session: session[..<t].map(Int.init), count: k)
                if top.contains(where: { $0.index == Int(session[t]) }) { hits += 1 }
                steps += 1
            }
        }
        return steps == 0 ? 0 : Double(hits) / Double(steps)
    }

    /// The same measure for the most popular titles, the baseline.
    public func popularityHitRate(on test: [[Int32]], k: Int = 20) -> Double {
        let top = popularity.indices.sorted { popularity[$0] > popularity[$1] || (popularity[$0] == popularity[$1] && $0 < $1) }
        var hits = 0, steps = 0
        for session in test where session.count > 1 {
            for t in 1..<session.count {
                let seen = Set(session[..<t].map(Int.init))
                if top.lazy.filter({ !seen.contains($0) }).prefix(k).contains(Int(session[t])) { hits += 1 }
                steps += 1
            }
        }
        return steps == 0 ? 0 : Double(hits) / Double(steps)
    }
}

extension SessionRecommender: PersistentModel {
    func encode(into w: inout ArchiveWriter) throws {
        w.table(["neighbors": "\(neighbors)", "sample_size": "\(sampleSize)", "window": "\(window)", "rule_weight": "\(ruleWeight)",
                 "history_length": "\(historyLength)"])
        w.int(sessionsOf.count)
        w.ints(sessions.map(\.count)); w.int32s(sessions.flatMap { $0 })
        w.ints(recent.map(\.count)); w.int32s(recent.flatMap { $0 })
    }

    static func decode(_ r: inout ArchiveReader, _ p: ModelArchive.Hyperparameters, _ c: ModelArchive.Context) throws -> Self {
        var m = Self()
        m.neighbors = try p.int("neighbors"); m.sampleSize = try p.int("sample_size")
        m.window = try p.int("window"); m.ruleWeight = try p.float("rule_weight")
        m.historyLength = try p.int("history_length")
        let titles = try r.int()
        let sessions = try ModelArchive.ragged(&r, bound: titles), recent = try ModelArchive.ragged(&r, bound: titles)
        try c.check(titles == c.items && recent.count == c.users && m.window > 0, "session data")
        try m.fit(sessions, items: titles)
        m.recent = recent
        return m
    }
}
