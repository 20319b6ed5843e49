import Foundation
import Testing
@testable import Recommend

@Suite struct TextFileTests {
    static func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("columns-\(UUID().uuidString).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Byte-cut columns agree with the row-dictionary reader: quotes, CRLF, empty fields, a
    /// missing final newline.
    @Test func readColumnsMatchesReadCSV() throws {
        let path = try Self.file("id,Name,score\r\n1,\"Smith, Jo\",3\r\n2,,\r\n3,\"say \"\"hi\"\"\",5")
        let columns = try TextFile.readColumns(path, ["score", "name"])
        let rows = try TextFile.readCSV(path, required: ["score", "name"])
        #expect(columns[0] == rows.map { $0["score"]! } && columns[1] == rows.map { $0["name"]! })
        #expect(columns[1] == ["Smith, Jo", "", "say \"hi\""])
    }

    @Test func readColumnsNamesFileLineAndProblem() throws {
        let short = try Self.file("a,b\n1,2\n3\n")
        #expect(throws: DataError(file: short, line: 3, reason: "expected 2 fields as in the header")) { try TextFile.readColumns(short, ["a"]) }
        let missing = try Self.file("a,b\n1,2\n")
        #expect(throws: DataError.self) { try TextFile.readColumns(missing, ["c"]) }
        let empty = try Self.file("")
        #expect(throws: DataError(file: empty, reason: "empty file: expected a header line")) { try TextFile.readColumns(empty, ["a"]) }
    }
}
