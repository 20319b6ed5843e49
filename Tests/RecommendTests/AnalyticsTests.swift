import Testing
@testable import Recommend

@Suite struct AnalyticsTests {
    @Test func contentPerformanceCountsViewsViewersAndCompletion() {
        var data = Interactions(userIDs: IDMap(["a", "b"]), itemIDs: IDMap(["x", "y"]))
        var viewing = ViewingFields()
        for (u, i, c) in [(0, 0, Float(1)), (0, 0, 0.5), (1, 0, 0.3), (1, 1, 0.9)] {
            data.append(user: Int32(u), item: Int32(i), value: 1)
            viewing.completion.append(c); viewing.watchMinutes.append(0); viewing.ratings.append(0); viewing.devices.append(0)
        }
        data.viewing = viewing
        let titles = ContentPerformance.titles(data)
        #expect(titles.map(\.name) == ["x", "y"] && titles[0].views == 3 && titles[0].viewers == 2)
        #expect(abs(titles[0].meanCompletion - 0.6) < 1e-6)  // completions are Float
        let items = [ItemMetadata(id: "x", title: "X", genres: ["A", "B"]), ItemMetadata(id: "y", title: "Y", genres: ["B"])]
        let genres = ContentPerformance.genres(data, items: items)
        #expect(genres.map(\.name) == ["B", "A"] && genres[0].views == 4 && genres[1].views == 3)
    }

    @Test func engagementEstimateFollowsItsFormula() {
        var a = EngagementEstimate.Assumptions()
        a.subscribers = 100_000; a.monthlyPrice = 10; a.recommendationShare = 0.5; a.baselineChurn = 0.04; a.churnElasticity = 0.2
        let e = EngagementEstimate(model: 0.6, baseline: 0.4, assumptions: a)   // uplift 50%
        #expect(abs(e.uplift - 0.5) < 1e-12 && abs(e.engagementGain - 0.25) < 1e-12)
        #expect(abs(e.churn - 0.04 * (1 - 0.05)) < 1e-12)                       // 3.8%
        #expect(abs(e.retainedPerMonth - 200) < 1e-6 && abs(e.annualRevenue - 24_000) < 1e-6)
        #expect(e.summary.first!.hasPrefix("ESTIMATE") && e.summary.contains { $0.contains("subscribers: 100000") })
    }
}
