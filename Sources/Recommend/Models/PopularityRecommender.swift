import DenseLinalg
import Factorization

/// Most popular items: score = number of users who interacted (optionally time-decayed).
public struct PopularityRecommender: Recommender, RegisteredModel {
    public static let registration = ModelRegistration("popular", .ranking, "the most watched titles (the baseline every model must beat)",
                                                  readsRows: true)
    public static func make(_ options: ModelOptions) throws -> Self { Self() }

    /// Half-life in days of a time-decayed count; nil counts every interaction equally.
    public var halfLifeDays: Double? = nil
    /// Users per item (or their time-decayed sum), length items.
    public internal(set) var popularity: [Float] = []
    public internal(set) var trainedUsers = 0

    public init(halfLifeDays: Double? = nil) { self.halfLifeDays = halfLifeDays }

    public mutating func fit(_ data: TrainingData) throws {
        if let halfLifeDays {
            popularity = try data.interactions.matrix(.timeDecayed(halfLifeDays: halfLifeDays)).columnSums
        } else {
            popularity = data.binary.columnSums
        }
        trainedUsers = data.users
    }

    public func scores(user: Int) throws -> [Float] {
        try checkUser(user)
        return popularity
    }
}

extension PopularityRecommender: PersistentModel {
    func encode(into w: inout ArchiveWriter) throws {
        w.table(["half_life_days": halfLifeDays.map { "\($0)" } ?? ""])
        w.floats(popularity)
    }

    static func decode(_ r: inout ArchiveReader, _ p: ModelArchive.Hyperparameters, _ c: ModelArchive.Context) throws -> Self {
        var m = Self(halfLifeDays: Double(try p.string("half_life_days")))
        m.popularity = try r.floats()
        try c.check(m.popularity.count == c.items, "popularity length \(m.popularity.count)")
        m.trainedUsers = c.users
        return m
    }
}
