import Foundation
import Testing
@testable import Recommend

@Suite struct RatingModelsTests {
    static func split() throws -> (TrainingData, Interactions) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ratings-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try SyntheticWorld.generate(.init(users: 300, titles: 150, interactions: 8_000, sessions: 10, seed: 21), to: dir)
        let rated = try RatingsCSV.load(path: dir + "/interactions.csv").interactions
        let split = try Splitter.randomPerUser(rated, testFraction: 0.2, seed: 2)
        let test = rated.subset(split.test)
        return (try TrainingData(rated.subset(split.train), threads: 2, seed: 1), test)
    }

    /// The blend is the weighted mean of its members, and on held-out ratings of a generated
    /// world each model beats the global mean.
    @Test func blendAveragesItsMembersAndEveryPredictorBeatsTheMean() throws {
        let (train, test) = try Self.split()
        var blend = RatingBlendRecommender()
        try blend.fit(train)
        for (u, i) in [(0, 0), (3, 7), (250, 149), (train.users, 2)] {
            let expected = 0.5 * (try blend.als.predict(user: u, item: i)) + 0.5 * (try blend.knn.predict(user: u, item: i))
            #expect(abs(try blend.predict(user: u, item: i) - expected) < 1e-6)
        }
        let mean = train.ratings.values.reduce(0, +) / Float(train.ratings.nnz)
        let baseline = RatingMetrics.rmse([Float](repeating: mean, count: test.count), test.values)
        var als: any RatingPredictor = ExplicitALSRecommender(), knn: any RatingPredictor = KNNBaselineRecommender()
        for var model in [als, knn, blend as any RatingPredictor] {
            let report = try Evaluator.rating(&model, train: train, test: test)
            #expect(report.rmse < baseline, "\(model.name) RMSE \(report.rmse) vs global mean \(baseline)")
        }
        als = ExplicitALSRecommender(); knn = KNNBaselineRecommender()
        #expect(throws: RecommenderError.self) { try knn.predict(user: 0, item: 0) }
    }
}
