import Foundation
import Testing
@testable import Recommend

/// Model files written by an earlier build (`scripts/model-fixtures.sh`, every model kind on a
/// tiny dataset) load with the current code and give the answers recorded with them: the file
/// format and what each model computes from it stay as they were.
@Suite struct ModelFileFixtureTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/models").standardized
    static let kinds = ["popular", "itemknn", "rp3beta", "userknn", "content", "svd", "nmf", "als", "ease", "edlae", "sansa", "session", "hybrid", "als-explicit"]

    struct Answer: Decodable { var item: String; var score: Double; var rank: Int }
    struct Listing: Decodable { var items: [Answer]; var strategy: String? }
    struct Answers: Decodable { var recommend: [String: Listing]; var similar: Listing? }

    /// Scores agree to 10⁻⁵ (relative, or absolute below 1): the answers were recorded by the
    /// release binary, and debug and release builds round the factor products' last bits apart.
    static func close(_ got: [Float], _ expected: [Double]) -> Bool {
        got.count == expected.count && zip(got, expected).allSatisfy { abs(Double($0) - $1) <= 1e-5 * max(1, abs($1)) }
    }

    @Test(arguments: kinds)
    func oldModelFilesAnswerAsTheyDid(kind: String) throws {
        let saved = try SavedModel.read(path: Self.folder.appendingPathComponent("\(kind).rec").path)
        let expected = try JSONDecoder().decode(Answers.self, from: Data(contentsOf: Self.folder.appendingPathComponent("\(kind).answers.json")))
        #expect(saved.model.name == kind)
        for (user, listing) in expected.recommend {
            let got = try saved.recommend(user: user, count: 3)
            #expect(got.strategy == listing.strategy, "\(kind) \(user)")
            #expect(got.items.map(\.item) == listing.items.map(\.item), "\(kind) \(user)")
            #expect(Self.close(got.items.map(\.score), listing.items.map(\.score)), "\(kind) \(user)")
        }
        if let similar = expected.similar {
            let got = try saved.similar(item: "t2", count: 3)
            #expect(got.map(\.item) == similar.items.map(\.item) && Self.close(got.map(\.score), similar.items.map(\.score)), "\(kind)")
        } else {
            #expect(throws: RecommenderError.self) { try saved.similar(item: "t2", count: 3) }
        }
    }
}
