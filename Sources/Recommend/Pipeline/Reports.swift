import Foundation

/// The pipeline's output files: the dashboard (SVG, PNG, HTML), the executive summary and
/// the CSV tables. Every file is written atomically.
public enum Reports {
    /// Writes every report into the configuration's output folder and lists them in `files`.
    public static func write(_ r: inout PipelineResult) throws {
        let out = r.configuration.output
        try AtomicFile.write(ModelComparison.csv(r.reports), to: out + "/model_performance_comparison.csv")
        try AtomicFile.write(samplesCSV(r.samples), to: out + "/sample_recommendations.csv")
        let svg = SVGChart.page(title: "Recommendation System Dashboard",
                                subtitle: "\(r.summary.users.formatted()) users · \(r.summary.titles.formatted()) titles · \(r.summary.interactions.formatted()) views · seed \(r.configuration.world.seed)",
                                panels: panels(r))
        try AtomicFile.write(svg, to: out + "/recommendation_dashboard.svg")
        r.files += ["model_performance_comparison.csv", "sample_recommendations.csv", "recommendation_dashboard.svg"]
        r.pngNote = try renderPNG(svg: out + "/recommendation_dashboard.svg", png: out + "/recommendation_dashboard.png")
        if r.pngNote == nil { r.files.append("recommendation_dashboard.png") }
        r.files += ["dashboard.html", "recommendation_executive_summary.txt"]
        try AtomicFile.write(html(r, svg: svg), to: out + "/dashboard.html")
        try AtomicFile.write(summary(r), to: out + "/recommendation_executive_summary.txt")
    }

    /// Renders the SVG to PNG with `rsvg-convert` (librsvg2-bin); returns why not when it cannot.
    static func renderPNG(svg: String, png: String) throws -> String? {
        let candidates = ["/usr/bin/rsvg-convert", "/usr/local/bin/rsvg-convert", "/opt/homebrew/bin/rsvg-convert"]
        guard let tool = candidates.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            return "rsvg-convert not found (install librsvg2-bin): kept the SVG only"
        }
        let url = URL(fileURLWithPath: png)
        let temporary = url.deletingLastPathComponent().path + "/.\(url.lastPathComponent).tmp-\(getpid())"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["--format=png", "--output=\(temporary)", svg]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0, rename(temporary, png) == 0 else {
            unlink(temporary)
            return "rsvg-convert failed (status \(process.terminationStatus)): kept the SVG only"
        }
        return nil
    }

    static func csvField(_ s: String) -> String {
        s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    static func samplesCSV(_ rows: [SampleRecommendation]) -> String {
        var lines = ["user_id,model,rank,title_id,title,score,explanation"]
        for s in rows {
            lines.append([s.user, s.model, "\(s.rank)", s.item, csvField(s.title), String(format: "%.6f", s.score), csvField(s.explanation)].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The executive summary as plain text.
    public static func summary(_ r: PipelineResult) -> String {
        let c = r.configuration, data = r.dataset.interactions
        var t: [String] = []
        func section(_ name: String) { t += ["", name, String(repeating: "-", count: name.count)] }
        t.append("RECOMMENDATION SYSTEM — EXECUTIVE SUMMARY")
        t.append("rectrain pipeline, seed \(c.world.seed), \(c.compute.threads) threads, \(String(format: "%.1f", r.seconds)) s")
        section("What ran")
        t.append("Generated a synthetic streaming world, engineered user and title features, held out \(Int(c.testFraction * 100))% of each")
        t.append("user's distinct titles, trained and evaluated \(r.reports.count) models (\(r.reports.map(\.model).joined(separator: ", "))), evaluated the")
        t.append("session model on the latest \(Int(c.sessionTestFraction * 100))% of sessions, and segmented users with k-means++.")
        section("Data")
        let pairs = r.trainCount + r.testCount   // the split partitions the distinct pairs
        t.append("\(r.summary.titles.formatted()) titles, \(r.summary.users.formatted()) users, \(r.summary.interactions.formatted()) views (\(r.summary.ratings.formatted()) rated), \(r.summary.sessions.formatted()) browsing sessions")
        t.append(String(format: "user × title matrix: %d distinct pairs, %.2f%% filled", pairs, 100 * Double(pairs) / Double(max(1, data.userIDs.count * data.itemIDs.count))))
        t.append("split: \(r.trainCount.formatted()) training and \(r.testCount.formatted()) test user–title pairs (repeat views of a title count once)")
        section("Models (K = \(c.k), test users \(r.reports.first?.users ?? 0))")
        t.append(ModelComparison.table(r.reports))
        if let best = r.best, let popular = r.popularity {
            section("Best model")
            t.append(String(format: "%@: nDCG@%d %.4f, precision@%d %.4f, hit rate %.3f", best.model, c.k, best.ndcg, c.k, best.precision, best.hitRate))
            t.append(String(format: "lift over popularity: nDCG %+.0f%%, precision %+.0f%%, hit rate %+.0f%%",
                            100 * (best.ndcg / max(1e-12, popular.ndcg) - 1), 100 * (best.precision / max(1e-12, popular.precision) - 1),
                            100 * (best.hitRate / max(1e-12, popular.hitRate) - 1)))
            t.append(String(format: "session model: next-title hit rate@20 %.3f vs %.3f for popularity", r.sessionHitRate, r.sessionPopularityHitRate))
        }
        if let s = r.segmentation {
            section("User segments (k = \(s.k), silhouette \(String(format: "%.3f", s.silhouette)))")
            let col = { (name: String) in s.featureNames.firstIndex(of: name) }
            for (n, seg) in s.segments.enumerated() {
                var line = "S\(n + 1): \(seg.size.formatted()) users (\(String(format: "%.0f", 100 * Double(seg.size) / Double(max(1, s.ids.count))))%), \(seg.description)"
                if let v = col("view_count"), let m = col("mean_completion") { line += String(format: "; %.1f views, completion %.2f", seg.means[v], seg.means[m]) }
                t.append(line)
            }
        }
        section("Top content")
        let byTitle = Dictionary(r.dataset.items.compactMap { $0 }.map { ($0.id, $0.title) }, uniquingKeysWith: { first, _ in first })
        for row in ContentPerformance.titles(data).prefix(5) {
            t.append(String(format: "%@ %@: %d views, %d viewers, completion %.2f", row.name, byTitle[row.name] ?? "", row.views, row.viewers, row.meanCompletion))
        }
        let genres = ContentPerformance.genres(data, items: r.dataset.items)
        t.append("genres by views: " + genres.prefix(5).map { "\($0.name) \($0.views.formatted())" }.joined(separator: ", "))
        if let completed = genres.filter({ $0.views >= 100 }).max(by: { $0.meanCompletion < $1.meanCompletion }) {
            t.append(String(format: "highest completion: %@ (%.2f)", completed.name, completed.meanCompletion))
        }
        section("Cold start (nDCG@\(c.k) by titles in the training history)")
        for report in r.reports where report.model == r.best?.model || report.model == "popular" || report.model == "hybrid" {
            t.append("\(report.model): " + report.segments.map { String(format: "%@: %.3f (%d users)", $0.name, $0.ndcg, $0.users) }.joined(separator: ", "))
        }
        t.append("Users with no history get segment-blended popularity; new titles get content similarity (rectrain recommend says which).")
        if let e = r.estimate {
            section("Engagement and ROI (an ESTIMATE, from hit rate@\(c.k) of \(r.best?.model ?? "") over popularity)")
            t += e.summary
        }
        section("Files")
        t.append(r.files.joined(separator: ", "))
        if let note = r.pngNote { t.append("PNG: \(note)") }
        return t.joined(separator: "\n") + "\n"
    }

    /// A self-contained page: the dashboard SVG inline, the tables and the summary.
    static func html(_ r: PipelineResult, svg: String) -> String {
        func table(_ header: [String], _ rows: [[String]]) -> String {
            "<table><tr>" + header.map { "<th>\(SVGChart.escape($0))</th>" }.joined() + "</tr>\n"
                + rows.map { "<tr>" + $0.map { "<td>\(SVGChart.escape($0))</td>" }.joined() + "</tr>" }.joined(separator: "\n") + "</table>\n"
        }
        let models = table(["model", "precision", "recall", "F1", "nDCG", "MAP", "hit rate", "coverage", "diversity", "novelty", "fit s", "recommend s"],
                           r.reports.map { m in [m.model] + [m.precision, m.recall, m.f1, m.ndcg, m.map, m.hitRate, m.coverage, m.diversity, m.novelty, m.fitSeconds, m.recommendSeconds].map { String(format: "%.4f", $0) } })
        let segments = r.segmentation.map { s in
            table(["segment", "users", "description"] + s.featureNames,
                  s.segments.enumerated().map { ["S\($0.offset + 1)", "\($0.element.size)", $0.element.description] + $0.element.means.map { String(format: "%.3f", $0) } })
        } ?? ""
        let samples = table(["user", "model", "rank", "title id", "title", "score", "explanation"],
                            r.samples.map { [$0.user, $0.model, "\($0.rank)", $0.item, $0.title, String(format: "%.4f", $0.score), $0.explanation] })
        let svgBody = svg.replacingOccurrences(of: "<svg xmlns=\"http://www.w3.org/2000/svg\" width=", with: "<svg style=\"max-width:100%;height:auto\" xmlns=\"http://www.w3.org/2000/svg\" width=")
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Recommendation System Dashboard</title>
        <style>body{font-family:Helvetica,Arial,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 24px}
        td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px;text-align:right}th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}
        pre{background:#f7f7f7;padding:12px;font-size:12px;overflow-x:auto}</style></head><body>
        \(svgBody)
        <h2>Model performance comparison</h2>
        \(models)
        <h2>User segments</h2>
        \(segments)
        <h2>Sample recommendations</h2>
        \(samples)
        <h2>Executive summary</h2>
        <pre>\(SVGChart.escape(summary(r)))</pre>
        </body></html>

        """
    }
}
