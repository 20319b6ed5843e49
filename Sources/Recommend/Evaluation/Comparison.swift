import Foundation

/// The comparison of several models on one train/test pair.
public enum ModelComparison {
    /// Evaluates every named model (defaults plus `options`) and returns their reports in order.
    public static func run(models: [String], options: ModelOptions = ModelOptions(), train: TrainingData, test: Interactions,
                           k: Int = 10) throws -> [RankingReport] {
        try models.map { name in
            var model = try ModelKind(name).makeRecommender(options)
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
        func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, width - s.count))
            return left ? s + fill : fill + s
        }
        let header = pad("model", 10, left: true) + ["nDCG", "P", "R", "MAP", "cover", "fit s", "rec s"].map { pad($0, 9) }.joined()
        let rows = reports.sorted { $0.ndcg > $1.ndcg }.map { r in
            pad(r.model, 10, left: true) + [r.ndcg, r.precision, r.recall, r.map].map { pad(String(format: "%.4f", $0), 9) }.joined()
                + pad(String(format: "%.3f", r.coverage), 9) + [r.fitSeconds, r.recommendSeconds].map { pad(String(format: "%.2f", $0), 9) }.joined()
        }
        return ([header] + rows).joined(separator: "\n")
    }
}
