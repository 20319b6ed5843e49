import DenseLinalg
import Foundation

/// A synthetic Netflix-like world: titles, users with latent tastes, viewing interactions that
/// follow taste × quality × popularity, and browsing sessions whose transitions follow
/// genre, director and taste similarity. Deterministic for a seed: the same configuration
/// writes byte-identical files.
public struct SyntheticWorldConfiguration: Sendable, Equatable {
    public var users = 5_000
    public var titles = 2_000
    public var interactions = 100_000
    public var sessions = 60_000
    public var seed: UInt64 = 42
    /// Fraction of views that carry a 1–5 rating.
    public var ratedFraction = 0.35

    public init(users: Int = 5_000, titles: Int = 2_000, interactions: Int = 100_000, sessions: Int = 60_000, seed: UInt64 = 42) {
        self.users = users; self.titles = titles; self.interactions = interactions; self.sessions = sessions; self.seed = seed
    }

    func validate() throws {
        for (name, value, minimum) in [("users", users, 1), ("titles", titles, 1), ("interactions", interactions, 0), ("sessions", sessions, 0)]
        where value < minimum {
            throw RecommenderError.invalidParameter(model: nil, name: name, value: "\(value)", expected: "at least \(minimum)")
        }
        // Titles and users are held in memory (a few hundred bytes each), and the pipeline loads
        // every interaction and session view back (~64 bytes each): refuse what cannot fit.
        let needed = SystemMemory.bytes([(users, 512), (titles, 1024), (interactions, 64), (sessions, 256)])
        guard SystemMemory.fits(needed) else {
            throw RecommenderError.invalidInput(model: "synthetic world", reason: "a world of \(users) users, \(titles) titles, \(interactions) interactions and \(sessions) sessions needs more memory than the \(SystemMemory.availableBytes >> 20) MiB available")
        }
    }
}

/// The fixed vocabularies of the world.
enum Vocabulary {
    static let genres = ["Action", "Adventure", "Animation", "Comedy", "Crime", "Documentary", "Drama", "Family",
                         "Fantasy", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western", "Reality"]
    static let genreWeights: [Double] = [9, 6, 4, 10, 6, 3, 12, 4, 4, 5, 1.5, 3, 6, 5, 7, 1.5, 1, 2]
    static let languages = ["English", "Spanish", "French", "Korean", "Japanese", "Hindi", "German"]
    static let languageWeights: [Double] = [60, 12, 6, 8, 6, 5, 3]
    static let movieRatings = ["G", "PG", "PG-13", "R"]
    static let showRatings = ["TV-Y", "TV-PG", "TV-14", "TV-MA"]
    static let countries = ["US", "UK", "CA", "BR", "MX", "DE", "FR", "IN", "JP", "KR", "AU", "ES"]
    static let countryWeights: [Double] = [30, 8, 5, 9, 6, 6, 5, 10, 5, 4, 4, 4]
    static let plans = ["Basic", "Standard", "Premium"]
    static let devices = ["TV", "Mobile", "Tablet", "Laptop"]
    static let adjectives = ["Silent", "Crimson", "Hidden", "Last", "Broken", "Golden", "Midnight", "Lost", "Wild", "Frozen",
                             "Electric", "Secret", "Burning", "Distant", "Hollow", "Iron", "Velvet", "Savage", "Quiet", "Endless"]
    static let nouns = ["River", "Empire", "Garden", "Signal", "Harbor", "Witness", "Frontier", "Kingdom", "Echo", "Orchard",
                        "Voyage", "Protocol", "Legacy", "Shadow", "Summit", "Circuit", "Promise", "Horizon", "Atlas", "Tide"]
    static let firstNames = ["Ava", "Liam", "Noor", "Kenji", "Sofia", "Mateo", "Priya", "Lars", "Chloe", "Omar",
                             "Ines", "Yuki", "Dmitri", "Amara", "Felix", "Lucia", "Ravi", "Hana", "Tomas", "Zara"]
    static let lastNames = ["Moreau", "Okafor", "Lindqvist", "Tanaka", "Alvarez", "Novak", "Haddad", "Kowalski", "Reyes",
                            "Brennan", "Sato", "Fischer", "Mensah", "Varga", "Costa", "Ibrahim", "Larsen", "Park", "Rossi", "Quinn"]
    /// Latent dimensions of taste and title vectors.
    static let latent = 8
}

/// Draws indices in proportion to fixed weights in O(log n) (cumulative sums, binary search).
struct WeightedSampler: Sendable {
    let cumulative: [Double]

    init(_ weights: [Double]) {
        var total = 0.0
        cumulative = weights.map { total += max(0, $0); return total }
    }

    func sample(_ g: inout SeededGenerator) -> Int {
        let x = g.nextUnit() * cumulative.last!
        var lo = 0, hi = cumulative.count - 1
        while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] <= x { lo = mid + 1 } else { hi = mid } }
        return lo
    }
}

/// A title of the world, with its latent traits.
struct WorldTitle {
    var id: String
    var name: String
    var isShow: Bool
    var genres: [Int]
    var director: Int
    var cast: [Int]
    var year: Int
    var minutes: Int          // a movie's, or one episode's
    var seasons: Int, episodes: Int
    var maturity: String
    var language: Int
    var quality: Double
    var popularity: Double
    var latent: [Float]
}

/// A user of the world, with their latent traits.
struct WorldUser {
    var id: String
    var age: Int
    var gender: String
    var country: Int
    var plan: Int
    var device: Int
    var signup: Int64          // Unix seconds
    var favorites: [Int]       // genre indices
    var genreAffinity: [Double]
    var activity: Double
    var binge: Double
    var hour: Int
    var latent: [Float]
}
