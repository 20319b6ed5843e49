import Foundation

/// Browsing sessions: ordered titles per session, as inner item indices.
public struct Sessions: Sendable {
    public var ids: [String] = []
    /// Inner user index of each session.
    public var users: [Int32] = []
    /// Titles of each session in order (inner item indices).
    public var items: [[Int32]] = []
    /// Start time of each session (Unix seconds).
    public var starts: [Int64] = []

    public var count: Int { ids.count }
}

extension SyntheticWorld {
    /// Reads a world written by ``generate(_:to:progress:)``: titles and users as metadata,
    /// every view as an implicit interaction (strength 1), and the sessions. `threads` parse
    /// the views (the result does not depend on them).
    public static func load(directory: String, threads: Int = 1) throws -> (dataset: Dataset, sessions: Sessions) {
        var items: [ItemMetadata] = []
        for row in try TextFile.readCSV(directory + "/titles.csv", required: ["title_id", "title", "type", "genres", "director", "cast", "release_year"]) {
            var attributes = row
            for key in ["title_id", "title", "genres", "release_year"] { attributes[key] = nil }
            items.append(ItemMetadata(id: row["title_id"]!, title: row["title"]!,
                                      genres: row["genres"]!.split(separator: "|").map(String.init),
                                      releaseYear: Int(row["release_year"]!), attributes: attributes))
        }
        var users: [UserMetadata] = []
        for row in try TextFile.readCSV(directory + "/users.csv", required: ["user_id", "age", "gender"]) {
            var attributes = row
            for key in ["user_id", "age", "gender"] { attributes[key] = nil }
            users.append(UserMetadata(id: row["user_id"]!, age: Int(row["age"]!), gender: row["gender"], attributes: attributes))
        }
        let base = Interactions(userIDs: IDMap(users.map(\.id)), itemIDs: IDMap(items.map(\.id)))
        var options = RatingsCSVOptions(implicit: true)
        options.threads = threads
        var interactions = try RatingsCSV.load(path: directory + "/interactions.csv", options: options, into: base).interactions
        interactions.viewing = try viewingFields(directory + "/interactions.csv", rows: interactions.count)
        let sessionRows = try RatingsCSV.load(path: directory + "/sessions.csv", options: .init(implicit: true), into: base)
        var sessions = Sessions()
        // Rows are grouped by session in position order; recover the grouping from session_id.
        let ids = try TextFile.readColumns(directory + "/sessions.csv", ["session_id"])[0]
        let rows = sessionRows.interactions
        // Both readers skip the same blank lines; a file on which they disagree is malformed.
        guard ids.count == rows.count else {
            throw DataError(file: directory + "/sessions.csv", reason: "\(ids.count) session ids for \(rows.count) rows")
        }
        for (r, id) in ids.enumerated() {
            if sessions.ids.last != id {
                sessions.ids.append(id); sessions.users.append(rows.users[r]); sessions.items.append([]); sessions.starts.append(rows.timestamps[r])
            }
            sessions.items[sessions.items.count - 1].append(rows.items[r])
        }
        // Titles first seen in sessions join the item map; keep interactions' maps in step.
        interactions.itemIDs = rows.itemIDs
        interactions.userIDs = rows.userIDs
        let genres = Vocabulary.genres.filter { g in items.contains { $0.genres.contains(g) } }
        return (Dataset(interactions: interactions, items: MovieLens.align(items, interactions.itemIDs),
                        users: MovieLens.align(users, interactions.userIDs), genres: genres), sessions)
    }
}

extension SyntheticWorld {
    /// watch_minutes, completion, rating (empty = 0) and device of every row of interactions.csv.
    static func viewingFields(_ path: String, rows: Int) throws -> ViewingFields {
        var v = ViewingFields()
        let columns = try TextFile.readColumns(path, ["watch_minutes", "completion", "rating", "device"])
        guard columns[0].count == rows else { throw DataError(file: path, reason: "expected \(rows) rows, read \(columns[0].count)") }
        for i in 0..<rows {
            guard let minutes = Float(columns[0][i]), let completion = Float(columns[1][i]), minutes.isFinite, completion.isFinite else {
                throw DataError(file: path, line: i + 2, reason: "watch_minutes and completion must be finite numbers")
            }
            let rating = columns[2][i].isEmpty ? 0 : Float(columns[2][i])
            guard let rating, rating.isFinite else { throw DataError(file: path, line: i + 2, reason: "rating \"\(columns[2][i])\" is not a number") }
            v.watchMinutes.append(minutes); v.completion.append(completion); v.ratings.append(rating)
            v.devices.append(v.deviceNames.intern(columns[3][i]))
        }
        return v
    }
}
