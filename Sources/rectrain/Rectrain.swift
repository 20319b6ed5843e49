import ArgumentParser
import DenseLinalg
import Recommend

@main
struct Rectrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rectrain",
        abstract: "Train, evaluate and benchmark recommendation models on BLAS/LAPACK.",
        discussion: """
        When the system OpenBLAS does not recognise this CPU and falls back to its generic \
        kernels, rectrain restarts itself once with OPENBLAS_CORETYPE set to the fastest family \
        the CPU supports. Set OPENBLAS_CORETYPE yourself, or RECOMMEND_BLAS_CORE=keep, to decide.
        """,
        subcommands: [Generate.self, Evaluate.self, Bench.self, SynthMatrix.self]
    )

    static func main() {
        BLASCore.reexecWithFasterCoreIfNeeded(arguments: CommandLine.arguments)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
