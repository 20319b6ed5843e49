import DenseLinalg
import Foundation
import Testing
@testable import Recommend

/// Metrics against values computed by hand.
@Suite struct MetricsTests {
    // Ranked list 7, 3, 9, 1, 5 with relevant {3, 5, 8}: hits at ranks 2 and 5.
    let list = [7, 3, 9, 1, 5]
    let relevant: Set<Int> = [3, 5, 8]

    @Test func rankingMetricsAtFive() {
        #expect(RankingMetrics.precision(list, relevant, k: 5) == 0.4)
        #expect(abs(RankingMetrics.recall(list, relevant, k: 5) - 2.0 / 3) < 1e-12)
        #expect(abs(RankingMetrics.f1(precision: 0.4, recall: 2.0 / 3) - 0.5) < 1e-12)
        // DCG = 1/log2(3) + 1/log2(6); ideal over min(5, 3) = 3: 1 + 1/log2(3) + 1/2.
        let dcg = 1 / log2(3.0) + 1 / log2(6.0), ideal = 1 + 1 / log2(3.0) + 0.5
        #expect(abs(RankingMetrics.ndcg(list, relevant, k: 5) - dcg / ideal) < 1e-12)
        // AP = (1/2 + 2/5) / min(5, 3).
        #expect(abs(RankingMetrics.averagePrecision(list, relevant, k: 5) - 0.9 / 3) < 1e-12)
        #expect(RankingMetrics.hit(list, relevant, k: 5) == 1 && RankingMetrics.hit(list, relevant, k: 1) == 0)
        #expect(RankingMetrics.reciprocalRank(list, relevant, k: 5) == 0.5)
        #expect(RankingMetrics.reciprocalRank(list, relevant, k: 1) == 0)
    }

    @Test func cutOffAndEdgeCases() {
        // At K = 2 only the hit at rank 2 counts; ideal over min(2, 3) = 2 positions.
        #expect(abs(RankingMetrics.ndcg(list, relevant, k: 2) - (1 / log2(3.0)) / (1 + 1 / log2(3.0))) < 1e-12)
        #expect(abs(RankingMetrics.averagePrecision(list, relevant, k: 2) - 0.5 / 2) < 1e-12)
        #expect(RankingMetrics.ndcg([1, 2], [], k: 2) == 0 && RankingMetrics.recall([1], [], k: 1) == 0)
        #expect(RankingMetrics.ndcg([4, 9], [4, 9], k: 10) == 1)  // a perfect short list
    }

    @Test func ratingAndListMetrics() {
        #expect(abs(RatingMetrics.rmse([3, 4, 5], [4, 4, 3]) - (5.0 / 3).squareRoot()) < 1e-12)
        #expect(abs(RatingMetrics.mae([3, 4, 5], [4, 4, 3]) - 1) < 1e-12)
        #expect(ListMetrics.coverage([[0, 1], [1, 2]], catalogue: 6) == 0.5)
        // Vectors: 0 and 1 identical, 2 orthogonal to both: pairs (0,1) = 1, (0,2) = (1,2) = 0.
        let vectors: [[Float]] = [[1, 0], [1, 0], [0, 1]]
        #expect(abs(ListMetrics.diversity([[0, 1, 2]], vectors: vectors) - (1 - 1.0 / 3)) < 1e-12)
        // Items seen by 1 and 4 of 8 users: −log2(1/8) = 3 and −log2(4/8) = 1.
        #expect(ListMetrics.novelty([[0, 1]], itemUsers: [1, 4], users: 8) == 2)
    }
}

@Suite struct EvaluatorTests {
    /// Popularity on a table where the answer is known: item 2 is the most popular unseen item
    /// for user a (whose test item is 2: a hit) and for b (whose test item is 3: a miss).
    @Test func rankingReportAveragesOverTestUsersAndSegments() throws {
        var train = Interactions(userIDs: IDMap(["a", "b", "c", "d", "e"]), itemIDs: IDMap(["0", "1", "2", "3"]))
        // Users per item: 0 → 1, 1 → 2, 2 → 3, 3 → 1.
        for (u, i) in [(0, 0), (1, 1), (2, 2), (3, 2), (4, 2), (2, 1), (3, 3)] { train.append(user: Int32(u), item: Int32(i), value: 1) }
        var test = Interactions(userIDs: train.userIDs, itemIDs: train.itemIDs)
        test.append(user: "a", item: "2", value: 1)
        test.append(user: "b", item: "3", value: 1)
        test.append(user: "new", item: "0", value: 1)   // unknown to training: skipped
        var model = PopularityRecommender()
        let report = try Evaluator.ranking(&model, train: TrainingData(train, threads: 1), test: test, k: 1)
        #expect(report.users == 2)
        // a: top-1 among unseen {1, 2, 3} is 2 (2 users) → hit; b: among {0, 2, 3} it is 2 → miss.
        #expect(report.precision == 0.5 && report.hitRate == 0.5 && report.ndcg == 0.5)
        #expect(report.lists.map(\.user) == ["a", "b"] && report.lists[0].items.first?.item == "2")
        #expect(report.segments.count == 1 && report.segments[0].name == "1-5" && report.segments[0].users == 2)
        #expect(report.json.contains("\"ndcg\":0.5") && report.json.contains("\"segments\":[{"))
    }
}

@Suite struct ComparisonTests {
    @Test func comparesModelsIntoOneTable() throws {
        var data = Interactions(userIDs: IDMap((0..<12).map { "u\($0)" }), itemIDs: IDMap((0..<8).map { "i\($0)" }))
        for u in 0..<12 { for i in 0..<8 where (i + u) % 3 != 0 { data.append(user: Int32(u), item: Int32(i), value: 1) } }
        let split = try Splitter.randomPerUser(data, testFraction: 0.25, seed: 1)
        let train = try TrainingData(data.subset(split.train), threads: 1)
        let reports = try ModelComparison.run(models: ["popular", "ease"], train: train, test: data.subset(split.test), k: 3)
        #expect(reports.map(\.model) == ["popular", "ease"])
        let csv = ModelComparison.csv(reports).split(separator: "\n")
        #expect(csv.count == 3 && csv[0].hasPrefix("model,precision,recall,f1,ndcg,map,hit_rate,coverage,diversity,novelty,fit_seconds,recommend_seconds"))
        #expect(csv[1].hasPrefix("popular,") && csv[1].split(separator: ",").count == 12)
        #expect(ModelComparison.table(reports).split(separator: "\n").count == 3)
    }
}


@Suite struct PairedBootstrapTests {
    @Test func intervalsMatchTheNormalApproximationAndTheObviousCases() {
        // Equal values: no difference, never significant; a constant shift: exactly the shift.
        let a = (0..<500).map { Double($0 % 7) / 7 }
        let same = PairedBootstrap.interval(a, a)
        #expect(same.difference == 0 && same.low == 0 && same.high == 0 && !same.isSignificant)
        let shifted = PairedBootstrap.interval(a.map { $0 + 0.01 }, a)
        #expect(abs(shifted.low - 0.01) < 1e-12 && abs(shifted.high - 0.01) < 1e-12 && shifted.isSignificant)
        // Noisy differences: the percentile interval ≈ mean ± 1.96·sd/√n.
        var g = SeededGenerator(seed: 9)
        let x = (0..<900).map { _ in g.nextUnit() }, y = x.map { $0 + 0.02 * (g.nextUnit() - 0.4) * 10 - 0.02 }
        let d = zip(x, y).map { $0 - $1 }, mean = d.reduce(0, +) / 900
        let sd = (d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 899).squareRoot()
        let i = PairedBootstrap.interval(x, y, resamples: 4_000, seed: 3)
        #expect(abs(i.difference - mean) < 1e-12)
        #expect(abs((i.high - i.low) - 2 * 1.96 * sd / 30) < 0.1 * (2 * 1.96 * sd / 30))
        #expect(abs((i.low + i.high) / 2 - mean) < 0.1 * sd / 30 * 1.96)
        #expect(PairedBootstrap.interval(x, y, resamples: 4_000, seed: 3) == i)
    }
}
