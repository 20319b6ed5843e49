import Foundation
import Testing
@testable import Recommend

@Suite struct SessionRecommenderTests {
    @Test func followsTheSequencesOfPastSessions() throws {
        // 0 → 1 → 2 always; 3 → 4 → 5 always; 6 is popular but never follows anything.
        var past: [[Int32]] = []
        for _ in 0..<10 { past.append([0, 1, 2]); past.append([3, 4, 5]); past.append([6]); past.append([6]) }
        var model = SessionRecommender()
        try model.fit(past, items: 7)
        #expect(try model.recommend(session: [0], count: 1).first?.index == 1)
        #expect(try model.recommend(session: [0, 1], count: 1).first?.index == 2)
        #expect(try model.recommend(session: [3], count: 2).map(\.index) == [4, 5])
        // Titles of the session are never recommended; an empty or unknown session gets popular titles.
        #expect(try model.recommend(session: [0, 1, 2], count: 7).allSatisfy { ![0, 1, 2].contains($0.index) })
        #expect(try model.recommend(session: [], count: 1).first?.index == 6)
        #expect(try model.recommend(session: [99], count: 1).first?.index == 6)
        #expect(throws: RecommenderError.self) { try SessionRecommender().recommend(session: [0], count: 1) }
    }

    @Test func beatsPopularityOnHeldOutSessionsOfTheWorld() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sessions-\(UUID().uuidString)").path
        _ = try SyntheticWorld.generate(.init(users: 500, titles: 300, interactions: 5_000, sessions: 4_000, seed: 11), to: dir)
        let (world, sessions) = try SyntheticWorld.load(directory: dir)
        let cut = sessions.count * 4 / 5   // sessions are in time order within the file
        var model = SessionRecommender()
        try model.fit(Array(sessions.items[..<cut]), items: world.interactions.itemIDs.count)
        let test = Array(sessions.items[cut...])
        let ours = try model.hitRate(on: test, k: 20), baseline = model.popularityHitRate(on: test, k: 20)
        #expect(ours > 1.5 * baseline, "session hit rate@20 \(ours) vs popularity \(baseline)")
    }
}
