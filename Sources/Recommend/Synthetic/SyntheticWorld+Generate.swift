import DenseLinalg
import Foundation

/// What `SyntheticWorld.generate` wrote.
public struct SyntheticWorldSummary: Sendable, Equatable {
    public var titles = 0, users = 0, interactions = 0, sessions = 0, sessionEvents = 0, ratings = 0
}

public enum SyntheticWorld {
    /// Writes `titles.csv`, `users.csv`, `interactions.csv` and `sessions.csv` into `directory`
    /// (created when missing), each atomically, streaming rows as they are generated.
    /// - Complexity: O(interactions + session events + titles + users) time; memory O(titles + users).
    public static func generate(_ configuration: SyntheticWorldConfiguration, to directory: String,
                                progress: ((String) -> Void)? = nil) throws -> SyntheticWorldSummary {
        try configuration.validate()
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw DataError(file: directory, reason: "cannot create the output folder: \(error.localizedDescription)")
        }
        var g = SeededGenerator(seed: configuration.seed)
        let genreVectors = (0..<Vocabulary.genres.count).map { _ in gaussianVector(&g) }
        let titles = makeTitles(configuration.titles, genreVectors, &g)
        let users = makeUsers(configuration.users, genreVectors, &g)
        var summary = SyntheticWorldSummary(titles: titles.count, users: users.count)
        try writeTitles(titles, to: directory + "/titles.csv")
        try writeUsers(users, to: directory + "/users.csv")
        progress?("titles and users written")
        var world = WorldSampler(titles: titles, users: users)
        try world.writeInteractions(configuration, &g, to: directory + "/interactions.csv", summary: &summary, progress: progress)
        try world.writeSessions(configuration, &g, to: directory + "/sessions.csv", summary: &summary, progress: progress)
        return summary
    }

    static func gaussianVector(_ g: inout SeededGenerator, scale: Double = 1) -> [Float] {
        (0..<Vocabulary.latent).map { _ in Float(scale * g.nextGaussian()) }
    }

    static func zipfWeights(_ n: Int, exponent: Double, offset: Double) -> [Double] {
        (0..<n).map { 1 / pow(Double($0) + offset, exponent) }
    }

    static func makeTitles(_ count: Int, _ genreVectors: [[Float]], _ g: inout SeededGenerator) -> [WorldTitle] {
        let genreSampler = WeightedSampler(Vocabulary.genreWeights)
        let languageSampler = WeightedSampler(Vocabulary.languageWeights)
        let directorSampler = WeightedSampler(zipfWeights(max(10, count / 8), exponent: 1.0, offset: 2))
        let castSampler = WeightedSampler(zipfWeights(max(30, count / 2), exponent: 0.8, offset: 5))
        var rank = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) { rank.swapAt(i, Int(g.next() % UInt64(i + 1))) }
        return (0..<count).map { t in
            let isShow = g.nextUnit() < 0.3
            var genres: [Int] = []
            let wanted = 1 + Int(g.next() % 3)
            while genres.count < wanted {
                let genre = genreSampler.sample(&g)
                if !genres.contains(genre) { genres.append(genre) }
            }
            var latent = [Float](repeating: 0, count: Vocabulary.latent)
            for genre in genres { for d in 0..<latent.count { latent[d] += genreVectors[genre][d] / Float(genres.count) } }
            let noise = gaussianVector(&g, scale: 0.6)
            for d in 0..<latent.count { latent[d] += noise[d] }
            let quality = g.nextGaussian()
            let adjective = Vocabulary.adjectives[Int(g.next() % UInt64(Vocabulary.adjectives.count))]
            let noun = Vocabulary.nouns[Int(g.next() % UInt64(Vocabulary.nouns.count))]
            let year = max(1970, 2025 - Int(-log(1 - g.nextUnit()) * 9))
            let seasons = isShow ? 1 + Int(g.next() % 6) : 0
            let episodes = isShow ? seasons * (6 + Int(g.next() % 8)) : 0
            let minutes = isShow ? 22 + Int(g.next() % 39) : 80 + Int(g.next() % 81)
            let ratings = isShow ? Vocabulary.showRatings : Vocabulary.movieRatings
            return WorldTitle(
                id: String(format: "TITLE_%04d", t + 1), name: "The \(adjective) \(noun)" + (isShow ? "" : " (\(year))"),
                isShow: isShow, genres: genres, director: directorSampler.sample(&g),
                cast: (0..<3).map { _ in castSampler.sample(&g) }, year: year, minutes: minutes,
                seasons: seasons, episodes: episodes, maturity: ratings[Int(g.next() % UInt64(ratings.count))],
                language: languageSampler.sample(&g), quality: quality,
                popularity: exp(0.5 * quality) / pow(Double(rank[t]) + 10, 0.9), latent: latent)
        }
    }

    static func makeUsers(_ count: Int, _ genreVectors: [[Float]], _ g: inout SeededGenerator) -> [WorldUser] {
        let genreSampler = WeightedSampler(Vocabulary.genreWeights)
        let countrySampler = WeightedSampler(Vocabulary.countryWeights)
        let start: Int64 = 1_420_070_400  // 2015-01-01
        return (0..<count).map { u in
            var favorites: [Int] = []
            let wanted = 2 + Int(g.next() % 2)
            while favorites.count < wanted {
                let genre = genreSampler.sample(&g)
                if !favorites.contains(genre) { favorites.append(genre) }
            }
            var affinity = [Double](repeating: 0, count: Vocabulary.genres.count)
            for (rank, genre) in favorites.enumerated() { affinity[genre] = 1.0 - 0.25 * Double(rank) }
            var latent = [Float](repeating: 0, count: Vocabulary.latent)
            for genre in favorites { for d in 0..<latent.count { latent[d] += genreVectors[genre][d] / Float(favorites.count) } }
            let noise = gaussianVector(&g, scale: 0.7)
            for d in 0..<latent.count { latent[d] += noise[d] }
            let genderDraw = g.nextUnit()
            let hourDraw = g.nextUnit()
            return WorldUser(
                id: String(format: "USER_%05d", u + 1), age: min(80, 18 + Int(-log(1 - g.nextUnit()) * 14)),
                gender: genderDraw < 0.48 ? "M" : (genderDraw < 0.96 ? "F" : "Other"),
                country: countrySampler.sample(&g), plan: Int(g.next() % 3), device: Int(g.next() % 4),
                signup: start + Int64(g.next() % (10 * 365 * 86_400)), favorites: favorites, genreAffinity: affinity,
                activity: exp(1.1 * g.nextGaussian()), binge: pow(g.nextUnit(), 1.5),
                hour: hourDraw < 0.7 ? 19 + Int(g.next() % 5) : Int(g.next() % 24), latent: latent)
        }
    }

    static func writeTitles(_ titles: [WorldTitle], to path: String) throws {
        try AtomicFile.write(to: path) { handle in
            var w = CSVByteWriter(handle)
            w.text("title_id,title,type,genres,director,cast,release_year,duration_minutes,seasons,episodes,maturity_rating,language,quality,popularity\n")
            for t in titles {
                w.text(t.id); w.comma(); w.quoted(t.name); w.comma(); w.text(t.isShow ? "show" : "movie"); w.comma()
                w.text(t.genres.map { Vocabulary.genres[$0] }.joined(separator: "|")); w.comma()
                w.text(personName(t.director, salt: 7)); w.comma()
                w.text(t.cast.map { personName($0, salt: 3) }.joined(separator: "|")); w.comma()
                w.int(t.year); w.comma(); w.int(t.minutes); w.comma(); w.int(t.seasons); w.comma(); w.int(t.episodes); w.comma()
                w.text(t.maturity); w.comma(); w.text(Vocabulary.languages[t.language]); w.comma()
                w.decimal(t.quality, digits: 4); w.comma(); w.decimal(t.popularity * 1000, digits: 6)
                try w.endRow()
            }
            try w.flush()
        }
    }

    static func writeUsers(_ users: [WorldUser], to path: String) throws {
        try AtomicFile.write(to: path) { handle in
            var w = CSVByteWriter(handle)
            w.text("user_id,age,gender,country,plan,main_device,signup_date,favorite_genres,activity_level,binge_tendency,preferred_hour\n")
            for u in users {
                w.text(u.id); w.comma(); w.int(u.age); w.comma(); w.text(u.gender); w.comma()
                w.text(Vocabulary.countries[u.country]); w.comma(); w.text(Vocabulary.plans[u.plan]); w.comma()
                w.text(Vocabulary.devices[u.device]); w.comma(); w.text(date(u.signup)); w.comma()
                w.text(u.favorites.map { Vocabulary.genres[$0] }.joined(separator: "|")); w.comma()
                w.decimal(u.activity, digits: 4); w.comma(); w.decimal(u.binge, digits: 4); w.comma(); w.int(u.hour)
                try w.endRow()
            }
            try w.flush()
        }
    }

    /// A stable made-up name for person number `n`.
    static func personName(_ n: Int, salt: Int) -> String {
        let first = Vocabulary.firstNames[(n * salt + n / 20) % Vocabulary.firstNames.count]
        let last = Vocabulary.lastNames[(n + n / 20 * 3) % Vocabulary.lastNames.count]
        return n < 400 ? "\(first) \(last)" : "\(first) \(last) \(n / 400 + 1)"
    }

    /// yyyy-mm-dd (UTC) of a Unix time, without Foundation's formatters (deterministic, fast).
    static func date(_ seconds: Int64) -> String {
        // Civil-from-days (Howard Hinnant's algorithm).
        let z = seconds / 86_400 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return String(format: "%04d-%02d-%02d", Int(y), Int(m), Int(d))
    }
}
