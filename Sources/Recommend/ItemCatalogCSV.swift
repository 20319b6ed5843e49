import Foundation

/// Item metadata from a CSV with an id column (`item`, `movieId`, `title_id`, …), an optional
/// `title` and a `|`-separated `genres` column: MovieLens movies.csv or the synthetic titles.csv.
public enum ItemCatalogCSV {
    /// Metadata aligned to `ids` (nil for ids the file does not describe).
    /// MovieLens 100K's `u.item` (with `u.genre` beside it) is read as it is released.
    public static func load(path: String, ids: IDMap) throws -> [ItemMetadata?] {
        if URL(fileURLWithPath: path).lastPathComponent == "u.item" {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            return MovieLens.align(try MovieLens.items100K(directory: folder).items, ids)
        }
        let rows = try TextFile.readCSV(path, required: ["genres"])
        guard let idColumn = RatingsCSV.itemNames.first(where: { rows.first?[$0] != nil }) else {
            throw DataError(file: path, line: 1, reason: "missing item id column: expected one of \(RatingsCSV.itemNames.joined(separator: ", "))")
        }
        var out = [ItemMetadata?](repeating: nil, count: ids.count)
        for row in rows {
            guard let i = ids.index(of: row[idColumn]!) else { continue }
            out[i] = ItemMetadata(id: row[idColumn]!, title: row["title"] ?? row[idColumn]!,
                                  genres: row["genres"]!.split(separator: "|").map(String.init))
        }
        return out
    }
}
