import ArgumentParser
import DenseLinalg
import Foundation
import Recommend

@main
struct Rectrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rectrain",
        abstract: "Train, evaluate, serve and benchmark recommendation models on BLAS/LAPACK.",
        discussion: """
        Every subcommand takes --threads (default 2), --seed (default 42), --quiet and --verbose. \
        Errors print one line naming the problem and exit non-zero. When the system OpenBLAS does \
        not recognise this CPU and falls back to its generic kernels, rectrain restarts itself \
        once with OPENBLAS_CORETYPE set to the fastest family the CPU supports. Set \
        OPENBLAS_CORETYPE yourself, or RECOMMEND_BLAS_CORE=keep, to decide.
        """,
        subcommands: [PipelineCommand.self, Generate.self, Train.self, Evaluate.self, Tune.self, RecommendCommand.self, RecommendAll.self, Predict.self, Similar.self, Convert.self, ServeCommand.self, Bench.self, SynthMatrix.self]
    )

    static func main() {
        // The environment is read here, once; the libraries get explicit settings.
        let environment = ProcessInfo.processInfo.environment
        ProcessSetup.restartWithFasterBLASCoreIfNeeded(arguments: CommandLine.arguments, environment: environment)
        ProcessSetup.keepFreedMemory()
        Compute.simd = environment["RECOMMEND_SIMD"].flatMap(SIMDPolicy.init(rawValue:)) ?? .automatic
        StartupEnvironment.adminToken = environment["RECTRAIN_ADMIN_TOKEN"]
        StartupEnvironment.mpiLaunched = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"].contains { environment[$0] != nil }
        do {
            var command = try parseAsRoot()
            // BLAS runs on --threads threads wherever a library region does not say otherwise.
            if let options = (command as? UsesGlobalOptions)?.global { Parallel.configuredBLASThreads = options.threads }
            try command.run()
        } catch {
            // Help, version and clean exits print as the parser does; every failure is one line.
            if exitCode(for: error) == .success { exit(withError: error) }
            let message = (error as? RecommenderError).map(cliMessage) ?? Self.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            FileHandle.standardError.write(Data("rectrain: error: \(message)\n".utf8))
            Foundation.exit(exitCode(for: error).rawValue == 0 ? 1 : exitCode(for: error).rawValue)
        }
    }
}
