import Foundation
import Testing
@testable import Recommend

/// Writes `text` to a fresh temporary file and returns its path.
func temporaryFile(_ text: String, name: String = "ratings.csv") throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("recommend-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let path = folder.appendingPathComponent(name).path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

@Suite struct RatingsCSVTests {
    @Test func loadsHeaderDrivenFilesWithAnyDelimiterAndColumnOrder() throws {
        let csv = try temporaryFile("user,item,rating,timestamp\nu1,i1,4,100\nu2,i1,3.5,101\r\nu1,i2,5,102\n")
        let loaded = try RatingsCSV.load(path: csv).interactions
        #expect(loaded.count == 3 && loaded.userIDs.ids == ["u1", "u2"] && loaded.itemIDs.ids == ["i1", "i2"])
        #expect(loaded.values == [4, 3.5, 5] && loaded.timestamps == [100, 101, 102])

        let tsv = try temporaryFile("movieId\tuserId\trating\n10\t1\t2\n11\t1\t1\n")
        let t = try RatingsCSV.load(path: tsv).interactions
        #expect(t.userIDs.ids == ["1"] && t.itemIDs.ids == ["10", "11"] && t.values == [2, 1])

        let implicit = try temporaryFile("user;item\n\"a;b\";x\nc;\"y \"\"z\"\"\"\n")
        let i = try RatingsCSV.load(path: implicit).interactions
        #expect(i.values == [1, 1] && i.userIDs.ids == ["a;b", "c"] && i.itemIDs.ids == ["x", "y \"z\""])

        let named = try temporaryFile("who,what,stars\nu,i,3\n")
        let n = try RatingsCSV.load(path: named, options: .init(userColumn: "who", itemColumn: "what", ratingColumn: "stars")).interactions
        #expect(n.values == [3])
    }

    /// Malformed files: each is rejected naming the file, the line and the reason.
    static let malformed: [(name: String, content: String, line: Int?, reason: String)] = [
        ("empty", "", nil, "empty file"),
        ("header only", "user,item,rating\n", nil, "no data rows"),
        ("missing item column", "user,rating\nu,3\n", 1, "missing item column"),
        ("one column", "user\nu\n", 1, "cannot detect the delimiter"),
        ("non-numeric rating", "user,item,rating\nu,i,abc\n", 2, "is not a number"),
        ("NaN rating", "user,item,rating\nu,i,3\nu,j,nan\n", 3, "not finite"),
        ("infinite rating", "user,item,rating\nu,i,inf\n", 2, "not finite"),
        ("too few fields", "user,item,rating\nu,i\n", 2, "expected 3 fields"),
        ("too many fields", "user,item,rating\nu,i,3,4\n", 2, "expected 3 fields"),
        ("empty user", "user,item,rating\n,i,3\n", 2, "empty user id"),
        ("empty item", "user,item,rating\nu,,3\n", 2, "empty item id"),
        ("unterminated quote", "user,item,rating\n\"u,i,3\n", 2, "unterminated quoted field"),
        ("binary garbage", "user,item,rating\nu,i,3\n\u{0}\u{1}\u{2},x,1\n", 3, "binary content"),
        ("binary header", "\u{0}\u{0}\u{7F}ELF\n", 1, "binary content"),
        ("bad timestamp", "user,item,rating,timestamp\nu,i,3,yesterday\n", 2, "timestamp"),
        ("named column absent", "user,item\nu,i\n", 1, "missing column"),
    ]

    @Test func malformedFilesNameFileLineAndReason() throws {
        for bad in Self.malformed {
            let path = try temporaryFile(bad.content)
            let options = bad.name == "named column absent" ? RatingsCSVOptions(ratingColumn: "stars") : RatingsCSVOptions()
            do {
                _ = try RatingsCSV.load(path: path, options: options)
                Issue.record("\(bad.name): expected an error")
            } catch let error as DataError {
                #expect(error.file == path, "\(bad.name)")
                #expect(error.line == bad.line, "\(bad.name): \(error)")
                #expect(error.reason.contains(bad.reason), "\(bad.name): \(error)")
            }
        }
        #expect(throws: DataError.self) { try RatingsCSV.load(path: "/nonexistent/ratings.csv") }
    }

    @Test func badLinesCanBeSkippedAndCounted() throws {
        let path = try temporaryFile("user,item,rating\nu,i,3\nu,j,x\nv,i\nv,j,4\n")
        let loaded = try RatingsCSV.load(path: path, options: .init(skipBadLines: true))
        #expect(loaded.interactions.count == 2 && loaded.skippedLines == 2)
        #expect(loaded.skippedExamples.map(\.line) == [3, 4])
    }

    @Test func sharedMovieLensSplitsLoadWhenPresent() throws {
        let path = "../shared/data/splits/ml100k/topn_train.csv"
        guard FileManager.default.fileExists(atPath: path) else { return }  // ../shared is absent elsewhere
        let loaded = try RatingsCSV.load(path: path).interactions
        #expect(loaded.userIDs.count == 943)
        #expect(loaded.count > 70_000 && loaded.count < 80_000)
    }
}

@Suite struct InteractionsTests {
    @Test func matrixKindsAndIDMaps() throws {
        var data = Interactions()
        data.append(user: "a", item: "x", value: 2, timestamp: 5)
        data.append(user: "b", item: "y", value: 4, timestamp: 1)
        data.append(user: "a", item: "x", value: 3, timestamp: 9)
        #expect(data.userIDs.index(of: "b") == 1 && data.userIDs.id(at: 0) == "a" && data.userIDs.index(of: "zz") == nil)
        let binary = try data.matrix(.binary)
        #expect(binary.nnz == 2 && binary.values == [1, 1])
        #expect(try data.matrix(.value)[0, 0] == 5)
        #expect(try data.matrix(.lastValue)[0, 0] == 3)
        #expect(try data.matrix(.confidence(alpha: 2))[0, 0] == 11 && data.matrix(.confidence(alpha: 2))[1, 1] == 9)
        // Half-life 1 day; "now" is t = 9 s: the pair (a, x) decays by 2^(−4/86400) and 2^(0).
        let decayed = try data.matrix(.timeDecayed(halfLifeDays: 1))
        #expect(abs(decayed[0, 0] - Float(2 * pow(2, -4.0 / 86_400) + 3)) < 1e-5)
        #expect(abs(decayed[1, 1] - Float(4 * pow(2, -8.0 / 86_400))) < 1e-5)
        #expect(throws: RecommenderError.self) { try data.matrix(.timeDecayed(halfLifeDays: 0)) }
        #expect(data.userCounts == [2, 1] && data.itemCounts == [2, 1])
        #expect(try data.matrix(.binary).transposed().rows == 2)
    }

    @Test func longTailedMatricesAreExactAndDeterministic() throws {
        let a = try LongTailedMatrix.generate(users: 300, items: 200, nnz: 5000, seed: 1)
        let b = try LongTailedMatrix.generate(users: 300, items: 200, nnz: 5000, seed: 1)
        let c = try LongTailedMatrix.generate(users: 300, items: 200, nnz: 5000, seed: 2)
        #expect(a.count == 5000 && a.users == b.users && a.items == b.items && a.items != c.items)
        #expect(try a.matrix(.binary).nnz == 5000)  // pairs are distinct
        // Long tail: the busiest user has far more than the median one.
        let counts = try a.matrix(.binary).rowCounts.sorted()
        #expect(counts.last! > 5 * counts[counts.count / 2])
    }

    @Test func csvRoundTripIsAtomic() throws {
        let data = try LongTailedMatrix.generate(users: 20, items: 10, nnz: 60, seed: 3)
        let path = try temporaryFile("old content")
        try data.writeCSV(to: path)
        let back = try RatingsCSV.load(path: path).interactions
        #expect(back.count == 60 && back.values == data.values && back.timestamps == data.timestamps)
        let folder = (path as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["ratings.csv"])  // no temporary left
        #expect(throws: DataError.self) { try data.writeCSV(to: "/nonexistent-folder/x.csv") }
    }
}
