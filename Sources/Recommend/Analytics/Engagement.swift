import Foundation

/// Titles and genres by engagement: views, distinct viewers, mean completion.
public enum ContentPerformance {
    public struct Row: Sendable, Equatable {
        public var name: String
        public var views: Int
        public var viewers: Int
        public var meanCompletion: Double
    }

    /// One row per title (raw id), most viewed first (ties by id).
    public static func titles(_ data: Interactions) -> [Row] {
        group(data) { [data.itemIDs.id(at: Int(data.items[$0]))] }
    }

    /// One row per genre of `items` (a view counts for every genre of its title).
    public static func genres(_ data: Interactions, items: [ItemMetadata?]) -> [Row] {
        group(data) { r in items.indices.contains(Int(data.items[r])) ? items[Int(data.items[r])]?.genres ?? [] : [] }
    }

    static func group(_ data: Interactions, keys: (Int) -> [String]) -> [Row] {
        var views: [String: Int] = [:], viewers: [String: Set<Int32>] = [:], completion: [String: Double] = [:]
        for r in 0..<data.count {
            for key in keys(r) {
                views[key, default: 0] += 1
                viewers[key, default: []].insert(data.users[r])
                completion[key, default: 0] += Double(data.viewing?.completion[r] ?? 1)
            }
        }
        return views.keys.map { Row(name: $0, views: views[$0]!, viewers: viewers[$0]!.count, meanCompletion: completion[$0]! / Double(views[$0]!)) }
            .sorted { $0.views > $1.views || ($0.views == $1.views && $0.name < $1.name) }
    }
}

/// An estimate, not a measurement: what the measured uplift of a model over the popularity
/// baseline could be worth, under assumptions that are all explicit, configurable and printed.
public struct EngagementEstimate: Sendable {
    public struct Assumptions: Sendable, Equatable {
        /// Subscribers the estimate is for.
        public var subscribers = 1_000_000.0
        /// Revenue per subscriber per month.
        public var monthlyPrice = 12.0
        /// Share of viewing that starts from recommendations.
        public var recommendationShare = 0.75
        /// Monthly churn rate with popularity recommendations.
        public var baselineChurn = 0.03
        /// Relative fall in churn per relative rise in engagement (0.1: 10% more engagement, 1% less churn).
        public var churnElasticity = 0.1
        public init() {}

        public var lines: [String] {
            [String(format: "subscribers: %.0f", subscribers), String(format: "monthly price: %.2f", monthlyPrice),
             String(format: "share of viewing from recommendations: %.0f%%", recommendationShare * 100),
             String(format: "baseline monthly churn: %.1f%%", baselineChurn * 100),
             String(format: "churn elasticity to engagement: %.2f", churnElasticity)]
        }
    }

    public var assumptions: Assumptions
    /// Relative uplift of the model over popularity in the engagement proxy (e.g. hit rate@10).
    public var uplift: Double

    /// uplift = model / baseline − 1, from the measured metric of each.
    public init(model: Double, baseline: Double, assumptions: Assumptions = .init()) {
        self.assumptions = assumptions
        uplift = baseline > 0 ? model / baseline - 1 : 0
    }

    /// Relative rise in total engagement: uplift × the share of viewing from recommendations.
    public var engagementGain: Double { uplift * assumptions.recommendationShare }
    /// Monthly churn under the model: baseline × (1 − elasticity × engagement gain), at least 0.
    public var churn: Double { max(0, assumptions.baselineChurn * (1 - assumptions.churnElasticity * engagementGain)) }
    /// Subscribers kept per month that the baseline would lose.
    public var retainedPerMonth: Double { (assumptions.baselineChurn - churn) * assumptions.subscribers }
    /// Revenue per year of the subscribers kept each month (each kept one pays 12 months).
    public var annualRevenue: Double { retainedPerMonth * assumptions.monthlyPrice * 12 }

    public var summary: [String] {
        ["ESTIMATE (not a measurement), from these assumptions:"] + assumptions.lines.map { "  " + $0 } + [
            String(format: "measured uplift over popularity: %+.1f%%", uplift * 100),
            String(format: "engagement gain: %+.1f%%; churn %.2f%% → %.2f%%", engagementGain * 100, assumptions.baselineChurn * 100, churn * 100),
            String(format: "≈ %.0f subscribers retained per month, ≈ %.0f revenue per year", retainedPerMonth, annualRevenue),
        ]
    }
}
