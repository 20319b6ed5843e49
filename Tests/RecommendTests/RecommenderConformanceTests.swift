import DenseLinalg
import Factorization
import Testing
@testable import Recommend

/// One suite for every model (implicit's checkerboard idea): two groups of users, each
/// watching the titles of its own parity, one title held out per user. A personalised model
/// must put that title first.
@Suite struct RecommenderConformanceTests {
    static let users = 20, items = 10

    /// The training data and each user's held-out item.
    static func checkerboard() throws -> (TrainingData, [Int]) {
        var data = Interactions(userIDs: IDMap((0..<users).map { "u\($0)" }), itemIDs: IDMap((0..<items).map { "i\($0)" }))
        var heldOut: [Int] = []
        for u in 0..<users {
            let group = (0..<items).filter { $0 % 2 == u % 2 }
            let held = group[(u / 2) % group.count]
            heldOut.append(held)
            for i in group where i != held { data.append(user: Int32(u), item: Int32(i), value: 1, timestamp: Int64(u * 100 + i)) }
        }
        let items = (0..<items).map { ItemMetadata(id: "i\($0)", title: "Title \($0)", genres: [$0 % 2 == 0 ? "Even" : "Odd"]) }
        return (try TrainingData(data, items: items, threads: 2, seed: 7), heldOut)
    }

    static let personalised = ["itemknn", "rp3beta", "userknn", "svd", "nmf", "als", "ease", "edlae", "sansa", "hybrid"]

    /// ALS's default λ shrinks with data of fewer than 200 users or items (the checkerboard
    /// below trains with λ = 1); a λ given by the caller is kept as given.
    @Test func alsDefaultRegularizationScalesWithSmallData() throws {
        let als = try ALSRecommender.make(ModelOptions())
        let compute = ComputeSettings(threads: 1)
        #expect(als.trainingConfiguration(users: 20, items: 10, compute: compute, seed: 1).regularization == 1)
        #expect(als.trainingConfiguration(users: 50, items: 1_600, compute: compute, seed: 1).regularization == 5)
        #expect(als.trainingConfiguration(users: 943, items: 1_682, compute: compute, seed: 1).regularization == 20)
        var given = ModelOptions()
        given.regularization = 20
        #expect(try ALSRecommender.make(given).trainingConfiguration(users: 20, items: 10, compute: compute, seed: 1).regularization == 20)
    }

    @Test(arguments: personalised)
    func heldOutItemRanksFirst(model name: String) throws {
        let (train, heldOut) = try Self.checkerboard()
        var options = ModelOptions()
        // Rank 2, the checkerboard's own: its spectrum is two singular values of 4√2, then an
        // eightfold √2. A rank-4 truncated SVD takes any two directions of that degenerate
        // space, some of which rank another group's title first (LAPACK's choice works, an
        // equally valid one found by OpenBLAS on AMD EPYC does not).
        options.factors = 2
        var model = try ModelKind(name).makeRecommender(options)
        try model.fit(train)
        let lists = try model.recommend(users: Array(0..<Self.users), count: 3, excluding: train.binary)
        for u in 0..<Self.users {
            #expect(lists.neighbors(of: u).first?.index == heldOut[u], "\(name): user \(u)")
            #expect(lists.neighbors(of: u).allSatisfy { train.binary[u, $0.index] == 0 }, "\(name) recommended a seen item")
        }
    }

    // Serialized: a kernel running on 2 threads sets the process's BLAS thread count while it
    // runs, which changes the rounding of BLAS calls made at the same time by another case's
    // model (the hybrid's members), so "the same seed, the same lists" holds one model at a time.
    @Test(.serialized, arguments: ModelKind.ranking.map(\.rawValue))
    func unknownUsersAndItemsAreErrorsAndSeedsRepeat(model name: String) throws {
        let (train, _) = try Self.checkerboard()
        var options = ModelOptions()
        options.factors = 4
        var a = try ModelKind(name).makeRecommender(options), b = try ModelKind(name).makeRecommender(options)
        #expect(throws: RecommenderError.self) { try a.recommend(users: [0], count: 3, excluding: nil) }  // before fit
        try a.fit(train); try b.fit(train)
        #expect(throws: RecommenderError.self) { try a.recommend(users: [Self.users], count: 3, excluding: nil) }
        #expect(throws: RecommenderError.self) { try a.scores(user: -1) }
        if try a.similarItems(to: 0, count: 2) != nil {  // models with item similarity
            #expect(throws: RecommenderError.self) { try a.similarItems(to: Self.items, count: 2) }
        }
        let la = try a.recommend(users: Array(0..<Self.users), count: 3, excluding: train.binary)
        let lb = try b.recommend(users: Array(0..<Self.users), count: 3, excluding: train.binary)
        #expect(la == lb, "\(name) is not deterministic for a seed")
    }

    @Test(arguments: ModelKind.ranking.map(\.rawValue))
    func emptyHistoriesStillGetRecommendations(model name: String) throws {
        var data = Interactions(userIDs: IDMap(["a", "b", "c", "lonely"]), itemIDs: IDMap(["x", "y", "z", "w"]))
        for (u, i) in [(0, 0), (0, 1), (1, 1), (1, 2), (2, 0), (2, 2), (2, 3)] { data.append(user: Int32(u), item: Int32(i), value: 1) }
        let items = ["x", "y", "z", "w"].map { ItemMetadata(id: $0, title: $0, genres: [$0 == "w" ? "B" : "A"]) }
        let train = try TrainingData(data, items: items, threads: 1)
        var options = ModelOptions()
        options.factors = 2
        var model = try ModelKind(name).makeRecommender(options)
        try model.fit(train)
        let list = try model.recommend(user: 3, count: 2, excluding: train.binary)
        #expect(list.count <= 2 && list.allSatisfy { (0..<4).contains($0.index) })
    }

    @Test func unknownModelNamesAndBadValuesAreErrors() {
        #expect(throws: RecommenderError.self) { try ModelKind("deep-magic").makeRecommender() }
        var o = ModelOptions()
        o.factors = 0
        #expect(throws: RecommenderError.self) { try ModelKind("als").makeRecommender(o) }
        o = ModelOptions()
        o.regularization = -1
        #expect(throws: RecommenderError.self) { try ModelKind("ease").makeRecommender(o) }
    }

    /// Content alone cannot tell which same-genre title was held out, but it ranks the user's
    /// own genre above the other.
    @Test func contentRanksTheUsersGenreFirst() throws {
        let (train, heldOut) = try Self.checkerboard()
        var model = ContentRecommender()
        try model.fit(train)
        for u in 0..<Self.users {
            #expect(try model.recommend(user: u, count: 1, excluding: train.binary).first?.index == heldOut[u])
        }
        var bare = try Self.checkerboard().0
        bare.items = []
        #expect(throws: RecommenderError.self) { try model.fit(bare) }
        var hybrid = try ModelKind("hybrid").makeRecommender()
        try hybrid.fit(bare)   // content drops out without metadata
        #expect(try hybrid.recommend(user: 0, count: 1, excluding: bare.binary).first?.index == heldOut[0])
    }

    @Test func learnedHybridWeightsFavourTheUsefulMember() throws {
        #expect(HybridRecommender.simplex(3, steps: 10).count == 66)
        #expect(HybridRecommender.simplex(3, steps: 10).allSatisfy { abs($0.reduce(0, +) - 1) < 1e-5 && $0.allSatisfy { $0 >= 0 } })
        // A larger checkerboard, so the validation split keeps users with enough history.
        var data = Interactions(userIDs: IDMap((0..<60).map { "u\($0)" }), itemIDs: IDMap((0..<30).map { "i\($0)" }))
        for u in 0..<60 { for i in 0..<30 where i % 2 == u % 2 && (i + u) % 5 != 0 { data.append(user: Int32(u), item: Int32(i), value: 1) } }
        let train = try TrainingData(data, threads: 1, seed: 5)
        var hybrid = HybridRecommender(members: [(PopularityRecommender(), 0.9), (ItemKNNRecommender(neighbors: 10), 0.1)], learnWeights: true)
        try hybrid.fit(train)
        #expect(hybrid.members[1].weight > hybrid.members[0].weight, "learned \(hybrid.members.map(\.weight))")
        #expect(hybrid.weightsWereLearned)
        // No user with 5 titles to hold out: the given weights stay, and the model says so.
        var tiny = Interactions(userIDs: IDMap((0..<6).map { "u\($0)" }), itemIDs: IDMap((0..<6).map { "i\($0)" }))
        for u in 0..<6 { for i in 0..<3 { tiny.append(user: Int32(u), item: Int32((u + i) % 6), value: 1) } }
        var small = HybridRecommender(members: [(PopularityRecommender(), 0.9), (ItemKNNRecommender(neighbors: 10), 0.1)], learnWeights: true)
        try small.fit(try TrainingData(tiny, threads: 1, seed: 5))
        #expect(!small.weightsWereLearned && small.members.map(\.weight) == [0.9, 0.1])
    }

    @Test func itemKNNExplainsWithTheHistory() throws {
        let (train, heldOut) = try Self.checkerboard()
        var model = ItemKNNRecommender(neighbors: 5)
        try model.fit(train)
        let because = model.explain(user: 0, item: heldOut[0])
        #expect(!because.isEmpty && because.allSatisfy { train.binary[0, $0.index] == 1 })
        #expect(zip(because, because.dropFirst()).allSatisfy { $0.contribution >= $1.contribution })
    }
}

