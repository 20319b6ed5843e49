import DenseLinalg
import Factorization
import Testing
@testable import Recommend

/// A training user's own history, scored by ``HistoryScorer``, gives the model's scores for that
/// user: the path a server takes once feedback has grown the history.
@Suite struct HistoryScorerTests {
    /// 120 users × 60 titles in 6 taste groups, 12–30 titles each, seeded.
    static func data() throws -> TrainingData {
        var data = Interactions(userIDs: IDMap((0..<120).map { "u\($0)" }), itemIDs: IDMap((0..<60).map { "i\($0)" }))
        var rng = SeededGenerator(seed: 11)
        for u in 0..<120 {
            var seen = Set<Int>()
            let count = 12 + Int(rng.next() % 19)
            while seen.count < count {
                let i = rng.next() % 4 == 0 ? Int(rng.next() % 60) : (u % 6) * 10 + Int(rng.next() % 10)
                if seen.insert(i).inserted { data.append(user: Int32(u), item: Int32(i), value: 1) }
            }
        }
        let items = (0..<60).map { ItemMetadata(id: "i\($0)", title: "T\($0)", genres: ["G\($0 / 10)", "H\($0 % 4)"]) }
        return try TrainingData(data, items: items, compute: ComputeSettings(threads: 1), seed: 5)
    }

    @Test(arguments: ["ease", "edlae", "sansa", "itemknn", "rp3beta", "svd", "popular", "als", "content", "hybrid"])
    func trainingHistoryReproducesTheModel(kind: String) throws {
        let data = try Self.data()
        var options = ModelOptions()
        if kind == "als" || kind == "hybrid" { options.iterations = 30 }
        if kind == "hybrid" { options.learnWeights = false }  // every member weighted; learning is tested elsewhere
        var model = try ModelKind(kind).makeRecommender(options)
        try model.fit(data)
        let scorer = try #require(try HistoryScorer(model: model))
        for u in [0, 7, 42, 119] {
            let history = data.binary.row(u).columns.map(Int.init)
            let expected = try model.scores(user: u), got = try scorer.scores(history: history)
            #expect(got.count == expected.count)
            // Exact for the models that read the history; ALS's fold-in equals the last user
            // half-iteration (the item factors moved once more since), PureSVD's projection
            // equals UΣ up to the randomized SVD's accuracy.
            let tolerance: Float = ["als", "hybrid"].contains(kind) ? 0.05 : kind == "svd" ? 1e-3 : 1e-5
            let scale = max(1, expected.map(abs).max() ?? 1)
            for j in expected.indices { #expect(abs(got[j] - expected[j]) <= tolerance * scale, "\(kind) user \(u) item \(j)") }
        }
    }

    /// Ids are opaque bytes; explanations of a history match those of the training user.
    @Test func idsAreComparedByBytesAndExplanationsTakeAnyHistory() throws {
        let ids = IDMap(["caf\u{E9}", "cafe\u{301}", "caf\u{E9}"])
        #expect(ids.count == 2 && ids.index(of: "cafe\u{301}") == 1 && ids.index(of: "caf\u{E9}") == 0)
        let data = try Self.data()
        var knn = ItemKNNRecommender()
        try knn.fit(data)
        for u in [0, 9] {
            let history = data.binary.row(u).columns.map(Int.init)
            for item in 0..<60 {
                #expect(knn.explain(user: u, item: item).map(\.index) == knn.explain(history: history, item: item).map(\.index))
            }
        }
    }

    @Test func modelsWithoutHistoryScoringSayNil() throws {
        let data = try Self.data()
        var nmf = try ModelKind("nmf").makeRecommender()
        try nmf.fit(data)
        #expect(try HistoryScorer(model: nmf) == nil)
        #expect(try HistoryScorer(model: EASERecommender()) == nil)   // not fitted
    }

    /// A grown history changes the answer: the fold-in profile moves towards the new title's
    /// neighbours, and a history-scoring model serves visitors instead of popularity.
    @Test func feedbackMovesTheFoldInAndColdStartUsesTheModel() throws {
        let data = try Self.data()
        var als = ALSRecommender(configuration: { var c = ALSRecommender.defaults; c.factors = 8; return c }())
        try als.fit(data)
        let scorer = try #require(try HistoryScorer(model: als))
        let history = data.binary.row(3).columns.map(Int.init)
        let before = try scorer.profile(history: history), after = try scorer.profile(history: history + [59, 58])
        #expect(before.factors[0] != after.factors[0])
        var ease = EASERecommender()
        try ease.fit(data)
        let cold = ColdStart(history: data.binary, model: ease)
        let (items, strategy) = try cold.recommend(history: [1, 2], count: 5)
        #expect(strategy == .historyScoring)
        #expect(!items.contains { [1, 2].contains($0.index) })
        let expected = TopN.best(try HistoryScorer(model: ease)!.scores(history: [1, 2]), count: 5) { ![1, 2].contains($0) }
        #expect(items.map(\.index) == expected.map(\.index))
    }
}
