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
        var out = [ItemMetadata?](repeating: nil, count: ids.count)
        guard !rows.isEmpty else { return out }
        guard let idColumn = RatingsCSV.itemNames.first(where: { rows.first?[$0] != nil }) else {
            throw DataError(file: path, line: 1, reason: "missing item id column: expected one of \(RatingsCSV.itemNames.joined(separator: ", "))")
        }
        for row in rows {
            // Ids compare as the ratings loader reads them: surrounding spaces and tabs dropped.
            let id = row[idColumn]!.trimmingCharacters(in: [" ", "\t"])
            guard let i = ids.index(of: id) else { continue }
            out[i] = ItemMetadata(id: id, title: row["title"] ?? id,
                                  genres: row["genres"]!.split(separator: "|").map(String.init))
        }
        return out
    }
}
