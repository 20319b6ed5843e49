import Foundation

/// Small text-file readers for metadata files (MovieLens, the synthetic world).
enum TextFile {
    /// The bytes of a file, read with stdio until its end (Foundation's
    /// `FileManager.contents(atPath:)` leaked a 4 KiB buffer per call on Linux, found by
    /// fuzzing; a server that reloads models must not). Nil when the file cannot be opened or
    /// read (a folder, a missing file, no permission).
    static func readBytes(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var info = stat()
        // Only regular files: a device (/dev/zero) or a pipe would be read without end.
        guard fstat(fileno(file), &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        if info.st_size > 0 { bytes.reserveCapacity(Int(info.st_size)) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress!, 1, $0.count, file) }
            if n > 0 { bytes.append(contentsOf: chunk[..<n]) }
            if n < chunk.count { return ferror(file) != 0 ? nil : bytes }
        }
    }

    /// The lines of a text file with their numbers: UTF-8 (a leading byte-order mark skipped),
    /// or Latin-1 when the bytes are not valid UTF-8 (as MovieLens 100K's `u.item` is).
    static func readLines(_ path: String) throws -> [(number: Int, text: String)] {
        guard var bytes = readBytes(path) else { throw DataError(file: path, reason: "cannot open") }
        if bytes.contains(0) { throw DataError(file: path, reason: "binary content (NUL byte)") }
        if bytes.starts(with: byteOrderMark) { bytes.removeFirst(byteOrderMark.count) }
        let utf8 = String(validating: bytes, as: UTF8.self) != nil
        // Lines are cut at the bytes ("\r\n" is one Character in Swift, so a String split would
        // miss it); Latin-1 maps each byte to the code point of the same value.
        return bytes.split(separator: 10, omittingEmptySubsequences: false).enumerated().map { n, bytes in
            let line = bytes.last == 13 ? bytes.dropLast() : bytes[...]
            let text = utf8 ? String(decoding: line, as: UTF8.self) : String(String.UnicodeScalarView(line.map { Unicode.Scalar($0) }))
            return (n + 1, text)
        }
    }

    /// The UTF-8 byte-order mark that some editors (Excel) write before the first line.
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Rows of a small header-driven CSV (quoted fields allowed) as lowercase-column dictionaries.
    static func readCSV(_ path: String, required: [String]) throws -> [[String: String]] {
        let lines = try readLines(path)
        guard let header = lines.first, !header.text.isEmpty else { throw DataError(file: path, reason: "empty file: expected a header line") }
        let names = splitCSV(header.text).map { $0.lowercased() }
        if let twice = names.indices.first(where: { names[..<$0].contains(names[$0]) }) {
            throw DataError(file: path, line: 1, reason: "column \"\(names[twice])\" appears twice in the header")
        }
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

    /// The named columns of a large UTF-8 CSV with a header, one array per name (in the order
    /// asked), without building a row dictionary: fields are cut at the bytes, and only lines
    /// with a double quote go through the quote-aware splitter.
    static func readColumns(_ path: String, _ names: [String]) throws -> [[String]] {
        guard let data = readBytes(path) else { throw DataError(file: path, reason: "cannot open") }
        return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> [[String]] in
            let bytes = raw.bindMemory(to: UInt8.self)
            var lineNumber = 0, start = bytes.starts(with: byteOrderMark) ? byteOrderMark.count : 0
            var positions: [Int] = [], width = 0
            var out = [[String]](repeating: [], count: names.count)
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != 10 { end += 1 }
                var stop = end
                if stop > start && bytes[stop - 1] == 13 { stop -= 1 }
                lineNumber += 1
                defer { start = end + 1 }
                if stop == start && lineNumber > 1 { continue }
                let line = UnsafeBufferPointer(rebasing: bytes[start..<stop])
                var fields: [String]
                if line.contains(34) {
                    guard let split = splitCSVChecked(String(decoding: line, as: UTF8.self)) else {
                        throw DataError(file: path, line: lineNumber, reason: "unterminated quote")
                    }
                    fields = split
                } else {
                    fields = []
                    var fieldStart = 0
                    for i in 0...line.count where i == line.count || line[i] == 44 {
                        fields.append(String(decoding: UnsafeBufferPointer(rebasing: line[fieldStart..<i]), as: UTF8.self))
                        fieldStart = i + 1
                    }
                }
                if lineNumber == 1 {
                    let header = fields.map { $0.lowercased() }
                    width = header.count
                    for name in names {
                        guard let p = header.firstIndex(of: name) else {
                            throw DataError(file: path, line: 1, reason: "missing column \"\(name)\" (header has: \(header.joined(separator: ", ")))")
                        }
                        positions.append(p)
                    }
                    continue
                }
                guard fields.count == width else { throw DataError(file: path, line: lineNumber, reason: "expected \(width) fields as in the header") }
                for (c, p) in positions.enumerated() { out[c].append(fields[p]) }
            }
            guard lineNumber > 0 else { throw DataError(file: path, reason: "empty file: expected a header line") }
            return out
        }
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
