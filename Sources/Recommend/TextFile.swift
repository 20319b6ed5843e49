import Foundation

/// Small text-file readers for metadata files (MovieLens, the synthetic world).
enum TextFile {
    /// The lines of a Latin-1 (or ASCII/UTF-8-compatible) text file with their numbers.
    static func readLines(_ path: String) throws -> [(number: Int, text: String)] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError(file: path, reason: "cannot open")
        }
        if data.contains(0) { throw DataError(file: path, reason: "binary content (NUL byte)") }
        // Latin-1 maps each byte to the code point of the same value.
        let text = String(data.map { Character(Unicode.Scalar($0)) })
        return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map {
            ($0.offset + 1, $0.element.hasSuffix("\r") ? String($0.element.dropLast()) : String($0.element))
        }
    }

    /// Rows of a small header-driven CSV (quoted fields allowed) as lowercase-column dictionaries.
    static func readCSV(_ path: String, required: [String]) throws -> [[String: String]] {
        let lines = try readLines(path)
        guard let header = lines.first, !header.text.isEmpty else { throw DataError(file: path, reason: "empty file: expected a header line") }
        let names = splitCSV(header.text).map { $0.lowercased() }
        for r in required where !names.contains(r) {
            throw DataError(file: path, line: 1, reason: "missing column \"\(r)\" (header has: \(names.joined(separator: ", ")))")
        }
        var rows: [[String: String]] = []
        for line in lines.dropFirst() where !line.text.isEmpty {
            guard let fields = splitCSVChecked(line.text), fields.count == names.count else {
                throw DataError(file: path, line: line.number, reason: "expected \(names.count) fields as in the header")
            }
            rows.append(Dictionary(uniqueKeysWithValues: zip(names, fields)))
        }
        return rows
    }

    static func splitCSV(_ line: String) -> [String] { splitCSVChecked(line) ?? [line] }

    /// Splits one CSV line, honouring double quotes ("" inside quotes is a quote); nil on an
    /// unterminated quote.
    static func splitCSVChecked(_ line: String) -> [String]? {
        var fields: [String] = [], current = "", quoted = false
        var chars = line.makeIterator()
        while let c = chars.next() {
            if quoted {
                if c == "\"" {
                    if let next = chars.next() {
                        if next == "\"" { current.append("\"") } else if next == "," { quoted = false; fields.append(current); current = "" } else { return nil }
                    } else { quoted = false }
                } else { current.append(c) }
            } else if c == "\"" && current.isEmpty {
                quoted = true
            } else if c == "," {
                fields.append(current); current = ""
            } else {
                current.append(c)
            }
        }
        if quoted { return nil }
        fields.append(current)
        return fields
    }
}
