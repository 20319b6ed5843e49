import Foundation

/// The comparison of several models on one train/test pair.
public enum ModelComparison {
    /// Evaluates every named model (defaults plus `options`) and returns their reports in order.
    public static func run(models: [String], options: ModelOptions = ModelOptions(), train: TrainingData, test: Interactions,
                           k: Int = 10) throws -> [RankingReport] {
        try models.map { name in
            var model = try ModelFactory.make(name, options)
            return try Evaluator.ranking(&model, train: train, test: test, k: k)
        }
    }

    /// `model_performance_comparison.csv`: one row per model.
    public static func csv(_ reports: [RankingReport]) -> String {
        var lines = ["model,precision,recall,f1,ndcg,map,hit_rate,coverage,diversity,novelty,fit_seconds,recommend_seconds"]
        for r in reports {
            let values = [r.precision, r.recall, r.f1, r.ndcg, r.map, r.hitRate, r.coverage, r.diversity, r.novelty, r.fitSeconds, r.recommendSeconds]
            lines.append(([r.model] + values.map { String(format: "%.6f", $0) }).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A plain-text table, best nDCG first.
    public static func table(_ reports: [RankingReport]) -> String {
        let header = String(format: "%-10@ %8@ %8@ %8@ %8@ %8@ %8@ %8@", "model", "nDCG", "P", "R", "MAP", "cover", "fit s", "rec s")
        let rows = reports.sorted { $0.ndcg > $1.ndcg }.map {
            String(format: "%-10@ %8.4f %8.4f %8.4f %8.4f %8.3f %8.2f %8.2f", $0.model, $0.ndcg, $0.precision, $0.recall, $0.map,
                   $0.coverage, $0.fitSeconds, $0.recommendSeconds)
        }
        return ([header] + rows).joined(separator: "\n")
    }
}
