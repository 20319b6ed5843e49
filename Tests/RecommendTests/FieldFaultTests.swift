import DenseLinalg
import Factorization
import Foundation
import Testing
@testable import Recommend

/// The kinds of fault users of peer libraries reported (issue 15), each checked against the
/// right behaviour through the library API, on inputs other than the shared field cases.
@Suite struct FieldFaultTests {
    /// Five titles; `lonely` is watched only by `solo`, who watched nothing else; `u1` has seen
    /// a and b. Metadata: `lonely` has no genre.
    static func smallWorld() throws -> TrainingData {
        let rows: [(String, String)] = [("u1", "a"), ("u1", "b"), ("u2", "a"), ("u2", "c"), ("u3", "b"), ("u3", "c"),
                                        ("u3", "d"), ("u4", "a"), ("u4", "d"), ("u5", "c"), ("u5", "d"), ("solo", "lonely")]
        var data = Interactions()
        for (t, (u, i)) in rows.enumerated() {
            data.append(user: data.userIDs.intern(u), item: data.itemIDs.intern(i), value: 1, timestamp: Int64(t))
        }
        let genres = ["a": ["Comedy"], "b": ["Comedy", "Drama"], "c": ["Drama"], "d": ["Horror"], "lonely": []]
        let items = data.itemIDs.ids.map { ItemMetadata(id: $0, title: "Title \($0)", genres: genres[$0]!) }
        return try TrainingData(data, items: items, threads: 2, seed: 3)
    }

    static let similarityModels = ["itemknn", "rp3beta", "content", "svd", "nmf", "als", "ease", "edlae", "sansa", "hybrid"]

    // MARK: 1. Sizes larger than the data

    /// A count far above the catalogue answers the same list as the catalogue's size, at once.
    @Test(arguments: ["popular", "itemknn", "userknn", "als", "ease", "session"])
    func hugeCountsAnswerLikeTheCatalogue(model name: String) throws {
        let data = try Self.smallWorld()
        var model = try ModelKind(name).makeRecommender({ var o = ModelOptions(); o.neighbors = 1_000_000_000; return o }())
        try model.fit(data)
        let saved = SavedModel(model: model, data: data)
        let expected = try saved.recommend(user: "u1", count: data.itemCount)
        for count in [1 << 33, 10_000_000_000, 1 << 62, Int.max] {
            #expect(try saved.recommend(user: "u1", count: count) == expected)
            #expect(try saved.recommend(user: "stranger", count: count).items.count == data.itemCount)
        }
        let lists = try model.recommend(users: [0, 1], count: Int.max, excluding: data.binary)
        #expect(lists.k <= data.itemCount)
        #expect(lists.neighbors(of: 0).map(\.index) == expected.items.map { data.interactions.itemIDs.index(of: $0.item)! })
    }

    @Test func neighbourCountsAreClampedToTheCandidates() throws {
        let x = try SparseMatrix(rows: 3, columns: 4, rowIndices: [0, 0, 1, 1, 2], columnIndices: [0, 1, 1, 2, 3], values: [1, 1, 1, 1, 1])
        let items = try CosineNeighbors.items(x, k: 1_000_000_000, threads: 2)
        #expect(items.k == 3)  // 4 items: at most 3 neighbours each
        #expect(items.neighbors(of: 1).map(\.index) == [0, 2])
        let dense = try CosineNeighbors.dense(Matrix(rows: 3, columns: 2, elements: [1, 0, 0, 1, 1, 1]), k: Int.max, threads: 2)
        #expect(dense.k == 2)
        let scores = try Matrix<Float>(rows: 1, columns: 3, elements: [3, 1, 2])
        #expect(try TopN.select(scores: scores, excluding: nil, count: Int.max).neighbors(of: 0).map(\.index) == [0, 2, 1])
    }

    @Test func evaluationAtAHugeKDividesByTheKAsked() throws {
        let data = try Self.smallWorld()
        var test = Interactions(userIDs: data.interactions.userIDs, itemIDs: data.interactions.itemIDs)
        test.append(user: 0, item: Int32(data.interactions.itemIDs.index(of: "c")!), value: 1, timestamp: 0)
        var model = PopularityRecommender()
        let report = try Evaluator.ranking(&model, train: data, test: test, k: 1 << 62)
        #expect(report.users == 1 && report.recall == 1 && report.hitRate == 1)
        #expect(report.precision == 1 / Double(1 << 62))
    }

    // MARK: 2. Non-finite models

    @Test func overflowingConfidenceIsRefusedBeforeTraining() throws {
        let data = try Self.smallWorld()
        var als = ALSRecommender()
        als.configuration.alpha = 1e38
        #expect(throws: FactorizationError.self) { try als.fit(data) }
        #expect(als.model == nil)
    }

    /// Whatever the regularization, training either fits finite factors or throws.
    @Test(arguments: [Float(1e30), 1e37, 3e38])
    func hugeRegularizationNeverYieldsNaNFactors(regularization: Float) throws {
        let data = try Self.smallWorld()
        var als = ALSRecommender()
        als.configuration.regularization = regularization
        do {
            try als.fit(data)
            #expect(als.model!.userFactors.isFinite && als.model!.itemFactors.isFinite)
        } catch let error as FactorizationError {
            #expect("\(error)".contains("NaN or infinity") || "\(error)".contains("invalid"))
        }
        var explicit = ExplicitALSRecommender()
        explicit.configuration.regularization = regularization
        do {
            try explicit.fit(data)
            #expect(explicit.model!.userFactors.isFinite && explicit.model!.itemFactors.isFinite)
        } catch {
            #expect(explicit.model == nil)  // refused (a clean error), nothing kept
        }
    }

    /// The model file refuses to store a model holding NaN or infinity, whichever model it is.
    @Test func aModelWithNonFiniteValuesIsNotSaved() throws {
        let data = try Self.smallWorld()
        var svd = PureSVDRecommender(factors: 2)
        try svd.fit(data)
        svd.itemFactors![1, 0] = .nan
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nan-\(UUID().uuidString).rec").path
        #expect(throws: RecommenderError.self) { try SavedModel(model: svd, data: data).write(to: path) }
        #expect(!FileManager.default.fileExists(atPath: path))
        var popular = PopularityRecommender()
        try popular.fit(data)
        popular.popularity[0] = .infinity
        #expect(throws: RecommenderError.self) { try SavedModel(model: popular, data: data).encoded() }
    }

    @Test func hugeFactorCountsAreRefusedBeforeAllocating() throws {
        let x = try SparseMatrix(rows: 2, columns: 2, rowIndices: [0, 1], columnIndices: [0, 1], values: [1, 1])
        for factors in [1 << 40, Int.max / 2, Int.max] {
            #expect(throws: FactorizationError.self) { try ImplicitALS.fit(x, configuration: .init(factors: factors, threads: 1)) }
            #expect(throws: FactorizationError.self) { try ExplicitALS.fit(x, configuration: .init(factors: factors, threads: 1)) }
        }
    }

    // MARK: 3 and 4. Numbers in input files

    @Test(arguments: ["1e20", "99999999999999999999", "-1e19", "9223372036854775808", "inf", "nan", "2024-01-01T00:00:00Z"])
    func outOfRangeTimestampsAreRefusedOnTheirLine(timestamp: String) throws {
        let path = try temporaryFile("user,item,timestamp\nu,a,1\nu,b,\(timestamp)\n")
        #expect(throws: DataError(file: path, line: 3, reason: "")) {
            do { _ = try RatingsCSV.load(path: path) } catch var e as DataError { e.reason = ""; throw e }
        }
    }

    @Test func timestampsInRangeAreWholeSeconds() throws {
        let path = try temporaryFile("user,item,timestamp\nu,a,1600000000.75\nu,b,1600000000123456789\nu,c,-5.5\nu,d,\n")
        #expect(try RatingsCSV.load(path: path).interactions.timestamps == [1_600_000_000, 1_600_000_000_123_456_789, -5, 0])
    }

    /// A rating cell that is not a finite single-precision number is an error on its line,
    /// whether the load keeps the values or counts every row as 1.
    @Test(arguments: ["abc", "NaN", "inf", "1e39", "-4e38", "0x10", "0x1p3"])
    func badRatingsAreRefusedForEveryKindOfLoad(rating: String) throws {
        let path = try temporaryFile("user,item,rating\nu,a,4\nu,b,\(rating)\n")
        for implicit in [false, true] {
            #expect(throws: DataError(file: path, line: 3, reason: "")) {
                do { _ = try RatingsCSV.load(path: path, options: .init(implicit: implicit)) } catch var e as DataError { e.reason = ""; throw e }
            }
        }
        let skipped = try RatingsCSV.load(path: path, options: .init(skipBadLines: true, implicit: true))
        #expect(skipped.skippedLines == 1 && skipped.interactions.count == 1)
    }

    @Test func implicitLoadsKeepUnratedRowsAsOne() throws {
        let path = try temporaryFile("user,item,rating\nu,a,4\nu,b,\n")
        let loaded = try RatingsCSV.load(path: path, options: .init(implicit: true)).interactions
        #expect(loaded.values == [1, 1])
    }

    // MARK: 5. Zero-similarity neighbours

    @Test(arguments: similarityModels)
    func aTitleSharingNothingHasNoNeighbours(model name: String) throws {
        let data = try Self.smallWorld()
        var model = try ModelKind(name).makeRecommender()
        try model.fit(data)
        let saved = SavedModel(model: model, data: data)
        // Implicit ALS's factors are not orthogonal: its cosines between any two titles are real
        // (non-zero) similarities of the model, so only the rule on scores applies to it.
        let sharesNothing = name != "als"
        if sharesNothing { #expect(try saved.similar(item: "lonely", count: 10).isEmpty) }
        for title in ["a", "b", "c", "d"] {
            let list = try saved.similar(item: title, count: 10)
            #expect(list.allSatisfy { $0.score > SimilarityRule.threshold && $0.item != title && (!sharesNothing || $0.item != "lonely") })
        }
    }

    /// The content model ranks metadata matches first, then titles related only by viewers.
    @Test func contentSimilarityFallsBackOnSharedViewersBelowMetadata() throws {
        let data = try Self.smallWorld()
        var model = ContentRecommender()
        try model.fit(data)
        let list = try SavedModel(model: model, data: data).similar(item: "a", count: 10)
        // b shares Comedy; c (Drama) and d (Horror) share a viewer (u2, u4) and nothing else.
        #expect(list.map(\.item) == ["b", "c", "d"])
        #expect(list[0].score > 0.1 && list[1...].allSatisfy { $0.score < ContentRecommender.coViewingWeight * 1.0001 })
    }

    // MARK: 6. Metrics over nothing

    @Test func evaluationWithNoKnownTestUserIsAnError() throws {
        let data = try Self.smallWorld()
        var ids = data.interactions.userIDs
        let stranger = ids.intern("007")
        var test = Interactions(userIDs: ids, itemIDs: data.interactions.itemIDs)
        test.append(user: stranger, item: 0, value: 1, timestamp: 0)
        var model = PopularityRecommender()
        #expect(throws: RecommenderError.self) { try Evaluator.ranking(&model, train: data, test: test, k: 10) }
        // One known user among unknown ones: evaluated, and the unknown ones counted.
        test.append(user: 0, item: Int32(data.interactions.itemIDs.index(of: "c")!), value: 1, timestamp: 0)
        let report = try Evaluator.ranking(&model, train: data, test: test, k: 10)
        #expect(report.users == 1 && report.skippedUsers == 1)
        #expect(report.json.contains("\"skipped_users\":1"))
        #expect(RatingMetrics.rmse([], []).isNaN && RatingMetrics.mae([], []).isNaN)
    }

    // MARK: 7. Encodings of metadata files

    @Test func metadataIsUTF8WithLatin1ForFilesThatAreNot() throws {
        let utf8 = try temporaryFile("\u{FEFF}item,title,genres\nçà,Ça (2017),Horror\n", name: "items.csv")
        #expect(try TextFile.readLines(utf8).map(\.text) == ["item,title,genres", "çà,Ça (2017),Horror", ""])
        let folder = URL(fileURLWithPath: utf8).deletingLastPathComponent()
        let latin1 = folder.appendingPathComponent("latin1.csv")
        try Data([0x69, 0x74, 0x65, 0x6D, 0x0A, 0xC7, 0x61]).write(to: latin1)  // "item\nÇa" in Latin-1
        #expect(try TextFile.readLines(latin1.path).map(\.text) == ["item", "Ça"])
        let metadata = try ItemCatalogCSV.load(path: utf8, ids: IDMap(["x", "çà"]))
        #expect(metadata[0] == nil && metadata[1]?.title == "Ça (2017)" && metadata[1]?.genres == ["Horror"])
    }

    // MARK: 8. Options that would be ignored

    @Test func aHistoryForAKnownUserOrAnExplanationNobodyGivesIsRefused() throws {
        let data = try Self.smallWorld()
        var als = try ModelKind("als").makeRecommender()
        try als.fit(data)
        let saved = SavedModel(model: als, data: data)
        #expect(throws: RecommenderError.self) { try saved.recommend(user: "u1", count: 3, history: ["c"]) }
        #expect(try saved.recommend(user: "stranger", count: 3, history: ["c"]).strategy == "cold-start: als-fold-in")
        // ALS explains (each history item's share of the score); PureSVD cannot, and says so.
        let explained = try saved.recommend(user: "u1", count: 3, explain: true)
        #expect(explained.items.allSatisfy { !$0.because.isEmpty })
        var svd = try ModelKind("svd").makeRecommender()
        try svd.fit(data)
        #expect(throws: RecommenderError.self) { try SavedModel(model: svd, data: data).recommend(user: "u1", count: 3, explain: true) }
        #expect(ModelKind("svd").hyperparameters == [.factors])
        #expect(ModelKind("popular").hyperparameters.isEmpty)
    }
}
