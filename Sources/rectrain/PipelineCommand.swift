import ArgumentParser
import DenseLinalg
import Foundation
import Recommend

struct PipelineCommand: ParsableCommand, UsesGlobalOptions {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "The whole job: generate a world, engineer features, train and compare every model, segment users, write the dashboard and reports.",
        discussion: """
        Writes into --out: recommendation_dashboard.svg and .png (12 panels; the PNG needs \
        rsvg-convert from librsvg2-bin), dashboard.html (self-contained), \
        recommendation_executive_summary.txt, model_performance_comparison.csv, \
        sample_recommendations.csv, user_features.csv, title_features.csv, user_segments.csv, and \
        the generated world in world/. Models: popular, itemknn, userknn, content, svd, nmf, als, \
        ease, session, hybrid, each with its defaults, evaluated at K = 10 on a per-user 75/25 \
        holdout. Every file is written atomically.
        """
    )

    @Option(help: "Output folder (created when missing).") var out = "outputs"
    @OptionGroup(title: "World size") var world: WorldOptions
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard world.users >= 10 else { throw ValidationError("--users must be at least 10, got \(world.users)") }
        guard world.titles >= 10 else { throw ValidationError("--titles must be at least 10, got \(world.titles)") }
        guard world.interactions >= world.users else {
            throw ValidationError("--interactions must be at least --users (\(world.users)), got \(world.interactions)")
        }
        guard world.sessions >= 10 else { throw ValidationError("--sessions must be at least 10, got \(world.sessions)") }
    }

    func run() throws {
        var c = PipelineConfiguration()
        c.world = world.configuration(seed: global.seed)
        c.output = out
        c.compute = global.compute
        var bar = ProgressBar(enabled: !global.quiet)
        let result = try Pipeline.run(c) { step in
            if let line = step.done {
                // The ✓ lines are the result: standard output; detail lines only when verbose.
                bar.clear()
                if line.hasPrefix("✓") { print(line) } else { global.detail(line) }
            } else {
                bar.update(step: step.number, of: step.total, name: step.name)
            }
        }
        bar.clear()
        if let note = result.pngNote { global.log("note: \(note)") }
        if let best = result.best, let popular = result.popularity {
            print(String(format: "Best model: %@ (nDCG@%d %.4f, %+.0f%% over popularity)", best.model, c.k, best.ndcg,
                         100 * (best.ndcg / max(1e-12, popular.ndcg) - 1)))
        }
        print(String(format: "Wrote %d files to %@ in %.1f s", result.files.count, out, result.seconds))
    }
}

/// A one-line progress bar with ETA on a terminal (standard error); plain lines otherwise.
struct ProgressBar {
    let enabled: Bool
    let tty = isatty(STDERR_FILENO) == 1
    let start = Date()
    var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    mutating func update(step: Int, of total: Int, name: String) {
        guard enabled else { return }
        let elapsed = Date().timeIntervalSince(start)
        let done = Double(step - 1) / Double(max(1, total))
        let eta = done > 0 ? elapsed / done * (1 - done) : 0
        if tty {
            let width = 24, filled = Int(done * Double(width))
            let line = "[\(String(repeating: "█", count: filled))\(String(repeating: "·", count: width - filled))] \(step)/\(total) \(name)"
                + (done > 0 ? String(format: "  ETA %.0f s", eta) : "")
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
            drawn = true
        } else {
            FileHandle.standardError.write(Data(String(format: "[%d/%d] %@ (%.1f s)\n", step, total, name, elapsed).utf8))
        }
    }

    mutating func clear() {
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)); drawn = false }
    }
}
