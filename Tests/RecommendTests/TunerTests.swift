import DenseLinalg
import Foundation
import Testing
@testable import Recommend

/// `rectrain tune`'s search: seeded, starting from the defaults, holding what it is told to,
/// scored on validation splits of the training data only; and the configuration file it saves.
@Suite struct TunerTests {
    static let data: TrainingData = {
        let plays = try! PlayCounts.generate(users: 400, items: 150, perUser: 15, seed: 8)
        return try! TrainingData(plays, threads: 1, seed: 8)
    }()

    @Test func trialsAreSeededStartFromTheDefaultsAndTheBestIsNotWorse() throws {
        var tuner = Tuner(kind: ModelKind("ease"))
        tuner.budget = 6; tuner.splits = 1
        let a = try tuner.run(Self.data, seed: 3), b = try tuner.run(Self.data, seed: 3)
        #expect(a.count == 6)
        #expect(a.map { $0.options.regularization } == b.map { $0.options.regularization })
        #expect(a.map(\.score) == b.map(\.score))
        #expect(a[0].phase == "defaults" && a[0].options.regularization == nil)
        #expect(a.dropFirst().allSatisfy { ($0.options.regularization ?? 0) >= 10 && ($0.options.regularization ?? .infinity) <= 5000 })
        #expect(a.map(\.phase) == ["defaults", "random", "random", "refine", "refine", "refine"])
        let best = try #require(Tuner.best(a))
        #expect(best.score! >= a[0].score!)
        // The score is the model's metric on a validation split the tuner cuts itself: the same
        // split and options evaluated by hand give the same number.
        let split = try Splitter.randomPerUserPairs(Self.data.interactions, testFraction: 0.2, seed: 3 &+ 7_919)
        let train = try TrainingData(Self.data.interactions.subset(split.train), threads: 1, seed: 8)
        var model = try ModelKind("ease").makeRecommender(best.options)
        let report = try Evaluator.ranking(&model, train: train, test: Self.data.interactions.subset(split.test), k: 10)
        #expect(abs(report.ndcg - best.score!) < 1e-12)
        // Another seed draws other values.
        let c = try tuner.run(Self.data, seed: 4)
        #expect(c.map { $0.options.regularization } != a.map { $0.options.regularization })
    }

    @Test func heldHyperparametersAreNotSearched() throws {
        var tuner = Tuner(kind: ModelKind("als"))
        tuner.budget = 4; tuner.splits = 1
        tuner.held.factors = 6; tuner.held.iterations = 3
        #expect(tuner.searched.map(\.parameter) == [.regularization, .regularizationExponent, .alpha])
        let trials = try tuner.run(Self.data, seed: 1)
        #expect(trials.allSatisfy { $0.options.factors == 6 && $0.options.iterations == 3 })
        #expect(trials.dropFirst().allSatisfy { $0.options.regularizationExponent != nil && $0.options.alpha != nil })
        #expect(trials.allSatisfy { $0.score != nil })
    }

    @Test func modelsWithNothingToSearchAreRefused() {
        for name in ["popular", "content", "hybrid", "als-explicit"] {
            #expect(throws: RecommenderError.self, "\(name)") { try Tuner(kind: ModelKind(name)).run(Self.data, seed: 1) }
        }
        var tuner = Tuner(kind: ModelKind("ease"))
        tuner.held.regularization = 100; tuner.held.userWeightExponent = 0
        #expect(throws: RecommenderError.self) { try tuner.run(Self.data, seed: 1) }
    }

    @Test func savedConfigurationsRoundTripAndAcceptHandWrittenNumbers() throws {
        var options = ModelOptions()
        options.factors = 128; options.regularization = 6.7; options.regularizationExponent = 0.792; options.alpha = 2
        options.confidence = .values(.logarithmic(epsilon: 0.5))
        let saved = TunedConfiguration(model: "als", options: options, metric: "nDCG@10", validationScore: 0.25, defaultScore: 0.2,
                                       trials: 30, splits: 2, validationFraction: 0.2, seed: 42, train: "train.csv")
        #expect(saved.hyperparameters["regularization_exponent"] == "0.792" && saved.hyperparameters["factors"] == "128")
        let decoded = try JSONDecoder().decode(TunedConfiguration.self, from: JSONEncoder().encode(saved))
        #expect(decoded == saved)
        let back = try decoded.options()
        #expect(back.factors == 128 && back.regularization == 6.7 && back.regularizationExponent == 0.792 && back.alpha == 2)
        #expect(back.confidence == .values(.logarithmic(epsilon: 0.5)))
        let handWritten = #"{"model": "ease", "hyperparameters": {"regularization": 250, "dropout": 0.5}}"#
        let hand = try JSONDecoder().decode(TunedConfiguration.self, from: Data(handWritten.utf8)).options()
        #expect(hand.regularization == 250 && hand.dropout == 0.5)
        for bad in [#"{"model": "ease", "hyperparameters": {"lambda": 250}}"#, #"{"model": "als", "hyperparameters": {"factors": 1.5}}"#] {
            #expect(throws: RecommenderError.self) { try JSONDecoder().decode(TunedConfiguration.self, from: Data(bad.utf8)).options() }
        }
        // The command line overrides a saved value, and only the ones it gives.
        var line = ModelOptions()
        line.alpha = 5
        let merged = back.overridden(by: line)
        #expect(merged.alpha == 5 && merged.factors == 128)
    }

    @Test func frequencyScaledALSSavesAndLoadsItsExponent() throws {
        var options = ModelOptions()
        options.factors = 6; options.regularizationExponent = 0.75; options.regularization = 2
        var model = try ModelKind("als").makeRecommender(options)
        try model.fit(Self.data)
        let loaded = try SavedModel.decode(try SavedModel(model: model, data: Self.data).encoded(), path: "memory")
        let als = try #require(loaded.model as? ALSRecommender)
        #expect(als.configuration.regularizationExponent == 0.75)
        let users = Array(0..<20)
        #expect(try model.recommend(users: users, count: 5, excluding: Self.data.binary)
                == loaded.model.recommend(users: users, count: 5, excluding: loaded.history))
    }

    /// Validation splits keep every row of a pair on one side: a held-out pair with a copy left
    /// in training would be excluded from the user's list and could never be hit. Without
    /// repeated pairs the split is the per-user holdout exactly.
    @Test func repeatedRowsOfAPairStayOnOneSide() throws {
        let once = Self.data.interactions
        #expect(try Splitter.randomPerUserPairs(once, testFraction: 0.2, seed: 5) == Splitter.randomPerUser(once, testFraction: 0.2, seed: 5))
        var twice = once
        for r in 0..<once.count { twice.append(user: once.users[r], item: once.items[r], value: once.values[r], timestamp: 0) }
        let split = try Splitter.randomPerUserPairs(twice, testFraction: 0.2, seed: 5)
        let trainPairs = Set(split.train.map { Int64(twice.users[$0]) << 32 | Int64(twice.items[$0]) })
        #expect(split.test.allSatisfy { !trainPairs.contains(Int64(twice.users[$0]) << 32 | Int64(twice.items[$0])) })
        #expect(try split.test.count == 2 * Splitter.randomPerUser(once, testFraction: 0.2, seed: 5).test.count)
        // So tuning on the doubled file scores what it scores on the file itself.
        var tuner = Tuner(kind: ModelKind("itemknn"))
        tuner.budget = 1; tuner.splits = 1
        let doubled = try TrainingData(twice, threads: 1, seed: 8)
        #expect(try tuner.run(doubled, seed: 2)[0].score == tuner.run(Self.data, seed: 2)[0].score)
    }
}
