import Foundation
import Testing
@testable import Recommend

@Suite struct MovieLensTests {
    static let ml100k = "../shared/data/ml-100k"

    @Test(.enabled(if: FileManager.default.fileExists(atPath: ml100k + "/u.data"), "../shared is absent"))
    func movieLens100KLoadsWithGenresAndDemographics() throws {
        let data = try MovieLens.load100K(directory: Self.ml100k)
        #expect(data.interactions.userIDs.count == 943)
        #expect(data.interactions.itemIDs.count == 1682)
        #expect(data.interactions.count == 100_000)
        #expect(data.genres.count == 19 && data.genres[1] == "Action")
        let toyStory = data.items[data.interactions.itemIDs.index(of: "1")!]!
        #expect(toyStory.title == "Toy Story (1995)" && toyStory.genres == ["Animation", "Children's", "Comedy"])
        #expect(toyStory.releaseYear == 1995)
        let user = data.users[data.interactions.userIDs.index(of: "1")!]!
        #expect(user.age == 24 && user.gender == "M" && user.attributes["occupation"] == "technician")
        #expect(data.items.allSatisfy { $0 != nil } && data.users.allSatisfy { $0 != nil })
        // Latin-1 titles decode: "Misérables" appears in 100K's u.item.
        #expect(data.items.contains { $0!.title.contains("é") })
        let x = try data.interactions.matrix(.value)
        #expect(x.rows == 943 && x.columns == 1682 && x.nnz == 100_000)
        #expect(x.values.allSatisfy { (1...5).contains($0) })
    }

    func release(_ files: [String: String]) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ml-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, text) in files { try Data(text.utf8).write(to: URL(fileURLWithPath: folder + "/" + name)) }
        return folder
    }

    @Test func csvReleaseLoadsRatingsMoviesAndTags() throws {
        let folder = try release([
            "ratings.csv": "userId,movieId,rating,timestamp\n1,10,4.0,100\n2,20,3.5,200\n",
            "movies.csv": "movieId,title,genres\n10,\"Heat, The (1995)\",Action|Crime\n20,Toy Story (1995),Animation|Children\n30,Nothing (2001),(no genres listed)\n",
            "tags.csv": "userId,movieId,tag,timestamp\n1,10,heist,5\n",
        ])
        let data = try MovieLens.loadCSVRelease(directory: folder)
        #expect(data.interactions.count == 2 && data.interactions.itemIDs.count == 3)
        let heat = data.items[data.interactions.itemIDs.index(of: "10")!]!
        #expect(heat.title == "Heat, The (1995)" && heat.genres == ["Action", "Crime"] && heat.releaseYear == 1995)
        #expect(data.items[2]!.genres.isEmpty)
        #expect(data.genres == ["Action", "Crime", "Animation", "Children"])
        #expect(data.tags[data.interactions.itemIDs.index(of: "10")!] == ["heist"])
    }

    @Test func malformedMetadataNamesFileAndLine() throws {
        let genres = (0..<19).map { "g\($0)|\($0)" }.joined(separator: "\n")
        let flags = Array(repeating: "0", count: 19).joined(separator: "|")
        let folder = try release([
            "u.genre": genres,
            "u.item": "1|A (1990)|01-Jan-1990||url|\(flags)\n2|B|01-Jan-1990||url|0|1\n",
            "u.user": "1|20|M|x|1\n",
            "u.data": "1\t1\t5\t10\n",
        ])
        do {
            _ = try MovieLens.load100K(directory: folder)
            Issue.record("expected an error")
        } catch let error as DataError {
            #expect(error.file.hasSuffix("u.item") && error.line == 2 && error.reason.contains("expected 24 fields"), "\(error)")
        }
        let badUser = try release(["u.genre": genres, "u.item": "1|A|01-Jan-1990||url|\(flags)\n",
                                   "u.user": "1|twenty|M|x|1\n", "u.data": "1\t1\t5\t10\n"])
        #expect(throws: DataError(file: badUser + "/u.user", line: 1, reason: "age \"twenty\" is not a number")) {
            try MovieLens.load100K(directory: badUser)
        }
        let ok = try MovieLens.load100K(directory: try release(["u.genre": genres, "u.item": "1|A (1990)|01-Jan-1990||url|\(flags)\n",
                                                               "u.user": "1|20|M|x|1\n", "u.data": "1\t1\t5\t10\n"]))
        #expect(ok.interactions.count == 1 && ok.items[0]!.releaseYear == 1990)
    }
}
