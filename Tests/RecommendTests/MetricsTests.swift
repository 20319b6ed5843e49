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
