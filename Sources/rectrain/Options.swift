import ArgumentParser
import Foundation
import Recommend

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Threads for BLAS and our own parallel loops (1–1024).")
    var threads = 2

    @Option(help: "Random seed: the same seed gives the same output.")
    var seed: UInt64 = 42

    @Flag(help: "Print only results and errors (no progress).")
    var quiet = false

    @Flag(help: "Print more detail (timings, sizes).")
    var verbose = false

    func validate() throws {
        guard threads > 0 && threads <= 1024 else { throw ValidationError("--threads must be between 1 and 1024, got \(threads)") }
        guard !(quiet && verbose) else { throw ValidationError("--quiet and --verbose exclude each other") }
    }

    /// Progress and detail go to standard error, so standard output stays parseable.
    func log(_ line: String) { if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) } }
    /// A warning: always printed (even with --quiet), on standard error, one line.
    func warn(_ line: String) { FileHandle.standardError.write(Data("rectrain: warning: \(line)\n".utf8)) }
    func detail(_ line: String) { if verbose { FileHandle.standardError.write(Data((line + "\n").utf8)) } }
}

/// Model hyperparameters shared by train and evaluate; an omitted option keeps the model's default.
struct HyperparameterOptions: ParsableArguments {
    @Option(help: "Latent factors (svd, nmf, als: default 50; als-explicit: 100).") var factors: Int?
    @Option(help: "Iterations, at most 10,000 (als 15, als-explicit 15, nmf 100).") var iterations: Int?
    @Option(help: "Regularization λ (als 0.1, als-explicit 0.1, ease 500).") var regularization: Float?
    @Option(help: "Confidence slope α (als, default 2).") var alpha: Float?
    @Option(help: "Neighbours (itemknn and userknn 20, session 100).") var neighbors: Int?
    @Option(help: "Similarity shrinkage (itemknn, userknn; default 0).") var shrinkage: Float?
    @Flag(help: "hybrid: learn the member weights on a validation split cut from the training data (grid, maximising nDCG@10) instead of 0.4/0.3/0.3.")
    var learnWeights = false

    func validate() throws {
        for (flag, value) in [("--factors", factors), ("--iterations", iterations), ("--neighbors", neighbors)] {
            if let value, value <= 0 { throw ValidationError("\(flag) must be a positive integer, got \(value)") }
        }
        if let iterations, iterations > ModelFactory.maximumIterations {
            throw ValidationError("--iterations must be at most \(ModelFactory.maximumIterations) (ALS and NMF converge in tens to hundreds), got \(iterations)")
        }
        for (flag, value) in [("--regularization", regularization), ("--alpha", alpha), ("--shrinkage", shrinkage)] {
            if let value, !(value >= 0 && value.isFinite) { throw ValidationError("\(flag) must be a finite value ≥ 0, got \(value)") }
        }
    }

    /// The hyperparameters given on the command line, as (ModelOptions name, flag).
    var given: [(name: String, flag: String)] {
        var out: [(String, String)] = []
        if factors != nil { out.append(("factors", "--factors")) }
        if iterations != nil { out.append(("iterations", "--iterations")) }
        if regularization != nil { out.append(("regularization", "--regularization")) }
        if alpha != nil { out.append(("alpha", "--alpha")) }
        if neighbors != nil { out.append(("neighbors", "--neighbors")) }
        if shrinkage != nil { out.append(("shrinkage", "--shrinkage")) }
        if learnWeights { out.append(("learnWeights", "--learn-weights")) }
        return out
    }

    /// Refuses a hyperparameter that `model` does not read (it would be silently ignored).
    func checkUsed(by model: String) throws {
        let used = ModelFactory.hyperparameters(of: model)
        for (name, flag) in given where !used.contains(name) {
            let takes = used.isEmpty ? "it takes no hyperparameters"
                : "it takes " + used.map { $0 == "learnWeights" ? "--learn-weights" : "--\($0)" }.joined(separator: ", ")
            throw ValidationError("\(flag) has no effect on the \(model) model (\(takes))")
        }
    }

    /// Explicit ALS with the given factors, iterations and regularization.
    var explicitALS: ExplicitALSRecommender {
        var m = ExplicitALSRecommender()
        if let v = factors { m.configuration.factors = v }
        if let v = iterations { m.configuration.iterations = v }
        if let v = regularization { m.configuration.regularization = v }
        return m
    }

    var modelOptions: ModelOptions {
        var o = ModelOptions()
        o.factors = factors; o.iterations = iterations; o.regularization = regularization
        o.alpha = alpha; o.neighbors = neighbors; o.shrinkage = shrinkage; o.learnWeights = learnWeights
        return o
    }
}

/// The size of a generated world (generate and pipeline).
struct WorldOptions: ParsableArguments {
    @Option(help: "Users.") var users = 5_000
    @Option(help: "Titles (movies and shows).") var titles = 2_000
    @Option(help: "Viewing interactions (rows of interactions.csv).") var interactions = 100_000
    @Option(help: "Browsing sessions.") var sessions = 60_000

    func configuration(seed: UInt64) -> SyntheticWorldConfiguration {
        SyntheticWorldConfiguration(users: users, titles: titles, interactions: interactions, sessions: sessions, seed: seed)
    }
}

extension DataFormat: ExpressibleByArgument {}

/// A comma-separated list of ids.
func idList(_ text: String) -> [String] {
    text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

/// Seconds since `start`.
func seconds(since start: Date) -> Double { Date().timeIntervalSince(start) }
