/// What is known about a title beyond its interactions.
public struct ItemMetadata: Sendable, Equatable {
    public var id: String
    public var title: String
    public var genres: [String]
    public var releaseYear: Int?
    /// Any other attributes (director, cast, type, maturity, language, …), by name.
    public var attributes: [String: String]

    public init(id: String, title: String, genres: [String] = [], releaseYear: Int? = nil, attributes: [String: String] = [:]) {
        self.id = id; self.title = title; self.genres = genres; self.releaseYear = releaseYear; self.attributes = attributes
    }
}

/// What is known about a user beyond their interactions.
public struct UserMetadata: Sendable, Equatable {
    public var id: String
    public var age: Int?
    public var gender: String?
    /// Other attributes (occupation, zip code, country, plan, device, …), by name.
    public var attributes: [String: String]

    public init(id: String, age: Int? = nil, gender: String? = nil, attributes: [String: String] = [:]) {
        self.id = id; self.age = age; self.gender = gender; self.attributes = attributes
    }
}

/// Interactions with the metadata of their items and users. `items[i]` describes inner item
/// index i of `interactions.itemIDs` (nil when the data has no metadata for it); likewise
/// `users`.
public struct Dataset: Sendable {
    public var interactions: Interactions
    public var items: [ItemMetadata?]
    public var users: [UserMetadata?]
    /// Every genre name, in the data's order.
    public var genres: [String]
    /// Free-text tags per inner item index (MovieLens `tags.csv`).
    public var tags: [Int: [String]]

    public init(interactions: Interactions, items: [ItemMetadata?] = [], users: [UserMetadata?] = [], genres: [String] = [],
                tags: [Int: [String]] = [:]) {
        self.interactions = interactions; self.items = items; self.users = users; self.genres = genres; self.tags = tags
    }
}

extension Dataset {
    /// The data with more interactions appended after its own rows (so that, for a pair seen
    /// twice, the appended value wins, as a later row of a file does): feedback a service
    /// stored, for the next training run. Ids new to the data are interned (new users and
    /// titles, without metadata); per-view fields of generated worlds are dropped, since the
    /// appended rows have none.
    public func appending(_ rows: [(user: String, item: String, value: Float, timestamp: Int64)]) -> Dataset {
        guard !rows.isEmpty else { return self }
        var out = self
        out.interactions.reserveCapacity(interactions.count + rows.count)
        for row in rows { out.interactions.append(user: row.user, item: row.item, value: row.value, timestamp: row.timestamp) }
        out.interactions.viewing = nil
        if out.items.count < out.interactions.itemIDs.count {
            out.items += [ItemMetadata?](repeating: nil, count: out.interactions.itemIDs.count - out.items.count)
        }
        if !out.users.isEmpty && out.users.count < out.interactions.userIDs.count {
            out.users += [UserMetadata?](repeating: nil, count: out.interactions.userIDs.count - out.users.count)
        }
        return out
    }
}
