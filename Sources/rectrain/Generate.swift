import ArgumentParser
import Foundation
import Recommend

struct Generate: ParsableCommand, UsesGlobalOptions {
    static let configuration = CommandConfiguration(
        abstract: "Write a synthetic Netflix-like world: titles, users, viewing interactions and sessions.",
        discussion: """
        Writes titles.csv, users.csv, interactions.csv (one row per view; rating empty when the \
        view was not rated) and sessions.csv (session_id,user_id,position,title_id,timestamp,event) \
        into --out, each with a header. The same seed writes byte-identical files.
        """
    )

    @Option(help: "Output folder (created when missing).") var out: String
    @OptionGroup(title: "World size") var world: WorldOptions
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard world.users > 0 else { throw ValidationError("--users must be positive, got \(world.users)") }
        guard world.titles > 0 else { throw ValidationError("--titles must be positive, got \(world.titles)") }
        guard world.interactions >= 0 else { throw ValidationError("--interactions must be ≥ 0, got \(world.interactions)") }
        guard world.sessions >= 0 else { throw ValidationError("--sessions must be ≥ 0, got \(world.sessions)") }
    }

    func run() throws {
        let config = world.configuration(seed: global.seed)
        let summary = try SyntheticWorld.generate(config, to: out) { global.log("  " + $0) }
        print("✓ Generated \(summary.titles.formatted()) movies/shows")
        print("✓ Generated \(summary.users.formatted()) user profiles")
        print("✓ Generated \(summary.interactions.formatted()) viewing interactions (\(summary.ratings.formatted()) rated)")
        print("✓ Generated \(summary.sessions.formatted()) sessions (\(summary.sessionEvents.formatted()) events)")
    }
}
