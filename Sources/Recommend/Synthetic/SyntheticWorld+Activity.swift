import DenseLinalg
import Foundation

/// Chooses titles for users: candidates drawn from the popularity distribution and from the
/// user's favourite genres, the best by taste × quality × popularity plus Gumbel noise (a
/// sample from the softmax over the candidates).
struct WorldSampler {
    let titles: [WorldTitle]
    let users: [WorldUser]
    let popularity: WeightedSampler
    let byGenre: [[Int]]
    /// Popularity-weighted samplers over each genre's titles.
    let genrePopularity: [WeightedSampler?]
    let byDirector: [Int: [Int]]
    let activity: WeightedSampler

    init(titles: [WorldTitle], users: [WorldUser]) {
        self.titles = titles
        self.users = users
        popularity = WeightedSampler(titles.map(\.popularity))
        var genres = [[Int]](repeating: [], count: Vocabulary.genres.count)
        var directors: [Int: [Int]] = [:]
        for (t, title) in titles.enumerated() {
            for genre in title.genres { genres[genre].append(t) }
            directors[title.director, default: []].append(t)
        }
        byGenre = genres
        genrePopularity = genres.map { $0.isEmpty ? nil : WeightedSampler($0.map { titles[$0].popularity }) }
        byDirector = directors
        activity = WeightedSampler(users.map(\.activity))
    }

    /// How much user u likes title t, before noise.
    func affinity(_ u: Int, _ t: Int) -> Double {
        let user = users[u], title = titles[t]
        var dot: Float = 0
        for d in 0..<Vocabulary.latent { dot += user.latent[d] * title.latent[d] }
        let genre = title.genres.reduce(0.0) { max($0, user.genreAffinity[$1]) }
        return 3.0 * Double(dot) / Double(Vocabulary.latent).squareRoot() + 2.0 * genre + 0.5 * title.quality
    }

    static func gumbel(_ g: inout SeededGenerator) -> Double { -log(-log(max(1e-300, g.nextUnit()))) }

    /// A title for user u among fresh candidates, avoiding `exclude`.
    func pick(for u: Int, _ g: inout SeededGenerator, exclude: (Int) -> Bool) -> Int {
        var best = -1, bestScore = -Double.infinity
        let favorites = users[u].favorites
        for c in 0..<32 {
            let t: Int
            if c % 2 == 0 {
                t = popularity.sample(&g)
            } else {
                // A title of a favourite genre, popular ones more often (what a genre row shows).
                let genre = favorites[Int(g.next() % UInt64(favorites.count))]
                t = genrePopularity[genre].map { byGenre[genre][$0.sample(&g)] } ?? popularity.sample(&g)
            }
            if exclude(t) { continue }
            let score = affinity(u, t) + 0.4 * log(titles[t].popularity * Double(titles.count)) + 0.5 * WorldSampler.gumbel(&g)
            if score > bestScore { best = t; bestScore = score }
        }
        return best >= 0 ? best : popularity.sample(&g)
    }

    /// Mean and standard deviation of the affinity of the titles users actually pick, from
    /// 4,000 picks drawn with a separate generator (so the views themselves do not change).
    /// Ratings and completion are read off this scale: a title liked as much as a typical
    /// pick gets about 3.8 stars, not the ceiling.
    func pickedAffinityScale(seed: UInt64) -> (mean: Double, sd: Double) {
        var g = SeededGenerator(seed: seed ^ 0x5EED_CA1B)
        let likes = (0..<4_000).map { _ -> Double in
            let u = activity.sample(&g)
            return affinity(u, pick(for: u, &g) { _ in false })
        }
        let mean = likes.reduce(0, +) / Double(likes.count)
        let sd = (likes.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(likes.count)).squareRoot()
        return (mean, max(sd, 1e-6))
    }

    /// Per-user view counts proportional to activity, summing exactly to `total`.
    func viewCounts(_ total: Int, _ g: inout SeededGenerator) -> [Int] {
        let sum = users.reduce(0.0) { $0 + $1.activity }
        var counts = users.map { Int(Double(total) * $0.activity / sum) }
        var assigned = counts.reduce(0, +)
        while assigned < total { counts[activity.sample(&g)] += 1; assigned += 1 }
        return counts
    }

    mutating func writeInteractions(_ configuration: SyntheticWorldConfiguration, _ g: inout SeededGenerator, to path: String,
                                    summary: inout SyntheticWorldSummary, progress: ((String) -> Void)?) throws {
        let counts = viewCounts(configuration.interactions, &g)
        var written = 0, ratings = 0
        let scale = pickedAffinityScale(seed: configuration.seed)
        try AtomicFile.write(to: path) { handle in
            var w = CSVByteWriter(handle)
            w.text("user_id,title_id,timestamp,watch_minutes,completion,rating,device,season,episode\n")
            var watched = Set<Int>()
            for u in 0..<users.count where counts[u] > 0 {
                let user = users[u]
                watched.removeAll(keepingCapacity: true)
                var clock = user.signup + Int64(g.next() % 86_400 * 30)
                var left = counts[u]
                // Spread a user's views over the years after sign-up.
                let gap = Double(max(86_400, (1_735_689_600 - user.signup) / Int64(max(1, left))))
                while left > 0 {
                    let t = pick(for: u, &g) { watched.contains($0) && watched.count < titles.count / 2 }
                    watched.insert(t)
                    let title = titles[t]
                    let like = (affinity(u, t) - scale.mean) / scale.sd
                    // Shows: a binge run of consecutive episodes.
                    var run = 1
                    if title.isShow {
                        while run < min(left, title.episodes, 12) && g.nextUnit() < 0.35 + 0.6 * user.binge { run += 1 }
                    }
                    let firstEpisode = title.isShow ? Int(g.next() % UInt64(max(1, title.episodes - run + 1))) : 0
                    clock += Int64(g.nextUnit() * gap)
                    let day = clock - clock % 86_400
                    var time = day + Int64(user.hour * 3600) + Int64(g.next() % 3600)
                    for e in 0..<run {
                        let completion = min(1, max(0.03, 1 / (1 + exp(-(1.2 * like + 1.3))) + 0.15 * g.nextGaussian()))
                        let device = g.nextUnit() < 0.7 ? user.device : Int(g.next() % 4)
                        w.text(user.id); w.comma(); w.text(title.id); w.comma(); w.int(Int(time)); w.comma()
                        w.decimal(Double(title.minutes) * completion, digits: 1); w.comma(); w.decimal(completion, digits: 3); w.comma()
                        if g.nextUnit() < configuration.ratedFraction {
                            let r = min(5, max(1, Int((3.8 + 0.9 * like + 0.6 * g.nextGaussian()).rounded())))
                            w.int(r); ratings += 1
                        }
                        w.comma(); w.text(Vocabulary.devices[device]); w.comma()
                        if title.isShow {
                            let episode = firstEpisode + e
                            let perSeason = max(1, title.episodes / max(1, title.seasons))
                            w.int(min(title.seasons, episode / perSeason + 1)); w.comma(); w.int(episode % perSeason + 1)
                        } else {
                            w.comma()
                        }
                        try w.endRow()
                        time += Int64(Double(title.minutes) * completion * 60) + 120
                    }
                    left -= run
                    written += run
                }
                if u % 100_000 == 99_999 { progress?("\(written) interactions") }
            }
            try w.flush()
        }
        summary.interactions = written
        summary.ratings = ratings
    }

    mutating func writeSessions(_ configuration: SyntheticWorldConfiguration, _ g: inout SeededGenerator, to path: String,
                                summary: inout SyntheticWorldSummary, progress: ((String) -> Void)?) throws {
        var events = 0
        try AtomicFile.write(to: path) { handle in
            var w = CSVByteWriter(handle)
            w.text("session_id,user_id,position,title_id,timestamp,event\n")
            var seen: [Int] = []
            for s in 0..<configuration.sessions {
                let u = activity.sample(&g)
                // Long-tailed lengths: many of 1–3 titles, some of 20 or more.
                let length = max(1, min(50, Int(exp(0.9 + 0.8 * g.nextGaussian()))))
                var time = Int64(1_735_689_600) + Int64(g.next() % (330 * 86_400))
                var current = pick(for: u, &g) { _ in false }
                seen.removeAll(keepingCapacity: true)
                for position in 0..<length {
                    seen.append(current)
                    w.text("S\(s + 1)"); w.comma(); w.text(users[u].id); w.comma(); w.int(position + 1); w.comma()
                    w.text(titles[current].id); w.comma(); w.int(Int(time)); w.comma()
                    w.text(position == length - 1 || g.nextUnit() < 0.25 ? "play" : "browse")
                    try w.endRow()
                    events += 1
                    time += 20 + Int64(g.next() % 300)
                    // A session never repeats a title; it ends early when the catalogue runs out.
                    guard let following = next(after: current, for: u, &g, avoiding: seen) else { break }
                    current = following
                }
                if s % 100_000 == 99_999 { progress?("\(s + 1) sessions") }
            }
            try w.flush()
        }
        summary.sessions = configuration.sessions
        summary.sessionEvents = events
    }

    /// The next title of a session: candidates sharing a genre or the director with the
    /// current title, and popular ones, scored by similarity to it and the user's taste.
    func next(after current: Int, for u: Int, _ g: inout SeededGenerator, avoiding seen: [Int]) -> Int? {
        let title = titles[current]
        var best = -1, bestScore = -Double.infinity
        for c in 0..<16 {
            let t: Int
            switch c % 4 {
            case 0, 1:
                let list = byGenre[title.genres[Int(g.next() % UInt64(title.genres.count))]]
                t = list[Int(g.next() % UInt64(list.count))]
            case 2:
                let list = byDirector[title.director]!
                t = list[Int(g.next() % UInt64(list.count))]
            default:
                t = popularity.sample(&g)
            }
            if seen.contains(t) { continue }
            let shared = Double(titles[t].genres.filter(title.genres.contains).count)
            let sameDirector = titles[t].director == title.director ? 1.0 : 0.0
            let score = 1.5 * shared + 1.0 * sameDirector + 0.5 * affinity(u, t)
                + 0.3 * log(titles[t].popularity * Double(titles.count)) + WorldSampler.gumbel(&g)
            if score > bestScore { best = t; bestScore = score }
        }
        if best >= 0 { return best }
        for _ in 0..<16 { let t = popularity.sample(&g); if !seen.contains(t) { return t } }
        return titles.indices.first { !seen.contains($0) }
    }
}
