import DenseLinalg
import Factorization
import Testing
@testable import Recommend

@Suite struct ColdStartTests {
    /// Titles 0–3 are "A" (0 and 1 liked by young women), 4–5 "B" (liked by older men).
    func setUp() throws -> (ColdStart, TrainingData) {
        var data = Interactions(userIDs: IDMap((0..<8).map { "u\($0)" }), itemIDs: IDMap((0..<6).map { "t\($0)" }))
        var users: [UserMetadata?] = []
        for u in 0..<8 {
            let young = u < 4
            users.append(UserMetadata(id: "u\(u)", age: young ? 22 : 58, gender: young ? "F" : "M"))
            for i in young ? [0, 1, 2] : [4, 5, 3] { data.append(user: Int32(u), item: Int32(i), value: 1) }
        }
        // Make title 3 the most popular overall.
        data.append(user: 0, item: 3, value: 1); data.append(user: 1, item: 3, value: 1)
        let items = (0..<6).map { ItemMetadata(id: "t\($0)", title: "T\($0)", genres: [$0 < 4 ? "A" : "B"]) }
        let train = try TrainingData(data, items: items, threads: 1, seed: 3)
        let als = try ImplicitALS.fit(train.binary, configuration: .init(factors: 3, regularization: 0.1, iterations: 10, threads: 1))
        var content = ContentRecommender()
        try content.fit(train)
        return (ColdStart(history: train.binary, users: users, als: als, content: content), train)
    }

    @Test func newUserWithoutHistoryGetsSegmentBlendedPopularity() throws {
        let (cold, _) = try setUp()
        let (items, strategy) = try cold.recommend(history: [], profile: UserMetadata(id: "new", age: 60, gender: "M"), count: 2)
        #expect(strategy == .segmentPopularity)
        #expect(items.first?.index == 3)                            // popular overall and in the segment
        #expect(Set(items.map(\.index)).isSubset(of: [3, 4, 5]))     // the older men's titles
        let young = try cold.recommend(history: [], profile: UserMetadata(id: "new2", age: 21, gender: "F"), count: 3)
        #expect(Set(young.items.map(\.index)) == [0, 1, 3] || Set(young.items.map(\.index)) == [0, 3, 1])
        #expect(ColdStart.segment(UserMetadata(id: "x", age: 37, gender: "F")) == "age 35–44 / F")
    }

    @Test func newUserWithHistoryIsFoldedIn() throws {
        let (cold, _) = try setUp()
        let (items, strategy) = try cold.recommend(history: [4], profile: nil, count: 2)
        #expect(strategy == .foldInAndContent)
        #expect(items.first?.index == 5 && !items.contains { $0.index == 4 })
    }

    /// The same path serves a saved model: ALS alone folds in, no history is popularity, and the
    /// labels are the ones `rectrain recommend` prints.
    @Test func oneStrategyPerModelShape() throws {
        let (_, train) = try setUp()
        var als = ALSRecommender(configuration: .init(factors: 3, regularization: 0.1, iterations: 10, threads: 1))
        try als.fit(train)
        let cold = ColdStart(history: train.binary, model: als)
        let folded = try cold.recommend(history: [4], count: 2)
        #expect(folded.strategy == .foldIn && folded.strategy.rawValue == "als-fold-in" && !folded.items.contains { $0.index == 4 })
        let popular = try cold.recommend(history: [], count: 2)
        #expect(popular.strategy == .popularity && popular.items.map(\.score) == Array(train.binary.columnSums.sorted(by: >).prefix(2)))
        let saved = SavedModel(model: als, data: train)
        #expect(try saved.recommend(user: "nobody", count: 2, history: [train.interactions.itemIDs.id(at: 4)]).strategy == "cold-start: als-fold-in")
    }

    @Test func newTitleGetsContentSimilarity() throws {
        let (cold, _) = try setUp()
        let (items, strategy) = try cold.similar(toNew: ItemMetadata(id: "new", title: "New", genres: ["B"]), count: 3)
        #expect(strategy == .contentSimilarity && Set(items.map(\.index)) == [4, 5])
    }
}
