import Foundation

/// Loaders for the MovieLens releases (GroupLens Research, University of Minnesota).
public enum MovieLens {
    /// The titles of MovieLens 100K (`u.item` with the genre names of `u.genre`) in file order.
    public static func items100K(directory: String) throws -> (items: [ItemMetadata], genres: [String]) {
        let genres = try TextFile.readLines(directory + "/u.genre").compactMap { line -> String? in
            let fields = line.text.split(separator: "|", omittingEmptySubsequences: false)
            return fields.count == 2 && !fields[0].isEmpty ? String(fields[0]) : nil
        }
        guard genres.count == 19 else {
            throw DataError(file: directory + "/u.genre", reason: "expected 19 genres, found \(genres.count)")
        }
        var items: [ItemMetadata] = []
        let itemPath = directory + "/u.item"
        for line in try TextFile.readLines(itemPath) where !line.text.isEmpty {
            let f = line.text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 5 + genres.count else {
                throw DataError(file: itemPath, line: line.number, reason: "expected \(5 + genres.count) fields, found \(f.count)")
            }
            guard !f[0].isEmpty else { throw DataError(file: itemPath, line: line.number, reason: "empty item id") }
            var itemGenres: [String] = []
            for (g, flag) in f[5...].enumerated() {
                switch flag {
                case "1": itemGenres.append(genres[g])
                case "0": break
                default: throw DataError(file: itemPath, line: line.number, reason: "genre flag \"\(flag)\" is not 0 or 1")
                }
            }
            // Release date "01-Jan-1995"; the year also appears in the title "Toy Story (1995)".
            let year = f[2].split(separator: "-").last.flatMap { Int($0) }
            items.append(ItemMetadata(id: f[0], title: f[1], genres: itemGenres, releaseYear: year,
                                      attributes: f[4].isEmpty ? [:] : ["url": f[4]]))
        }
        return (items, genres)
    }

    /// MovieLens 100K from its folder: `u.data` (tab-separated user, item, rating, timestamp),
    /// `u.item` (Latin-1, `|`-separated: id, title, release date, video date, URL, 19 genre
    /// flags in the order of `u.genre`) and `u.user` (id|age|gender|occupation|zip).
    /// Items and users are indexed in the order of `u.item` and `u.user`.
    /// - Throws: ``DataError`` naming the file, the line and what was wrong.
    public static func load100K(directory: String) throws -> Dataset {
        let (items, genres) = try items100K(directory: directory)
        var users: [UserMetadata] = []
        let userPath = directory + "/u.user"
        for line in try TextFile.readLines(userPath) where !line.text.isEmpty {
            let f = line.text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 5 else { throw DataError(file: userPath, line: line.number, reason: "expected 5 fields, found \(f.count)") }
            guard let age = Int(f[1]) else {
                throw DataError(file: userPath, line: line.number, reason: "age \"\(f[1])\" is not a number")
            }
            users.append(UserMetadata(id: f[0], age: age, gender: f[2], attributes: ["occupation": f[3], "zip": f[4]]))
        }
        var interactions = Interactions(userIDs: IDMap(users.map(\.id)), itemIDs: IDMap(items.map(\.id)))
        interactions = try RatingsCSV.load(
            path: directory + "/u.data",
            options: .init(delimiter: 9, columnNames: ["user", "item", "rating", "timestamp"]),
            into: interactions).interactions
        return Dataset(interactions: interactions, items: align(items, interactions.itemIDs),
                       users: align(users, interactions.userIDs), genres: genres)
    }

    /// A MovieLens CSV release (`ratings.csv`; `movies.csv` with `|`-separated genres and the
    /// year in the title; `tags.csv` when present) from its folder.
    public static func loadCSVRelease(directory: String) throws -> Dataset {
        var items: [ItemMetadata] = []
        var genreOrder: [String] = []
        let moviesPath = directory + "/movies.csv"
        if FileManager.default.fileExists(atPath: moviesPath) {
            let rows = try TextFile.readCSV(moviesPath, required: ["movieid", "title", "genres"])
            for row in rows {
                let genres = row["genres"]!.split(separator: "|").map(String.init).filter { $0 != "(no genres listed)" }
                for g in genres where !genreOrder.contains(g) { genreOrder.append(g) }
                let title = row["title"]!.trimmingCharacters(in: .whitespaces)
                var year: Int?
                if title.hasSuffix(")"), let open = title.lastIndex(of: "(") {
                    year = Int(title[title.index(after: open)..<title.index(before: title.endIndex)])
                }
                items.append(ItemMetadata(id: row["movieid"]!, title: title, genres: genres, releaseYear: year))
            }
        }
        var interactions = Interactions(itemIDs: IDMap(items.map(\.id)))
        interactions = try RatingsCSV.load(path: directory + "/ratings.csv", into: interactions).interactions
        var tags: [Int: [String]] = [:]
        let tagsPath = directory + "/tags.csv"
        if FileManager.default.fileExists(atPath: tagsPath) {
            for row in try TextFile.readCSV(tagsPath, required: ["movieid", "tag"]) {
                if let item = interactions.itemIDs.index(of: row["movieid"]!) { tags[item, default: []].append(row["tag"]!) }
            }
        }
        return Dataset(interactions: interactions, items: align(items, interactions.itemIDs), users: [],
                       genres: genreOrder, tags: tags)
    }

    /// Metadata reordered to inner indices (nil where an id has none).
    static func align<T>(_ records: [T], _ ids: IDMap) -> [T?] where T: Identified {
        var byIndex = [T?](repeating: nil, count: ids.count)
        for r in records { if let i = ids.index(of: r.id) { byIndex[i] = r } }
        return byIndex
    }
}

/// Records with a raw id.
protocol Identified { var id: String { get } }
extension ItemMetadata: Identified {}
extension UserMetadata: Identified {}
