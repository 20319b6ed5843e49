import ArgumentParser
import Foundation
import Recommend

extension KernelBenchmark.Kernel: ExpressibleByArgument {}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time one factorization kernel on a ratings CSV (user,item,rating,timestamp).",
        discussion: """
        Loads the file (timed separately), runs the kernel once as a warm-up, then --repeats \
        times. Kernels use the binary interaction matrix except als-explicit, which uses ratings.
        """
    )

    @Option(help: "Kernel: \(KernelBenchmark.Kernel.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kernel: KernelBenchmark.Kernel

    @Option(help: "Ratings CSV with header user,item,rating,timestamp (not with --sweep).")
    var data: String?

    @Flag(help: "Scaling sweep: time the kernel on generated long-tailed matrices from --from to --to nonzeros (doubling), fit the exponent, write CSV, JSON and an SVG plot into --out.")
    var sweep = false

    @Option(help: "Smallest sweep size in nonzeros.")
    var from = 100_000

    @Option(help: "Largest sweep size in nonzeros.")
    var to = 10_000_000

    @Option(help: "Folder for the sweep's sweep.csv, sweep.json and sweep.svg (default outputs/sweep-KERNEL).")
    var out: String?

    @Option(help: "Latent factors (the rank for svd and nmf).")
    var factors = 64

    @Option(help: "ALS or NMF iterations.")
    var iterations = 10

    @Option(help: "L2 regularization λ.")
    var regularization: Float = 0.05

    @Option(help: "Implicit ALS confidence slope α.")
    var alpha: Float = 1

    @Option(help: "Neighbours kept per item (cosine).")
    var k = 20

    @Option(help: "Timed runs after the warm-up.")
    var repeats = 3

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard factors > 0 else { throw ValidationError("--factors must be positive, got \(factors)") }
        guard iterations > 0 else { throw ValidationError("--iterations must be positive, got \(iterations)") }
        guard repeats > 0 else { throw ValidationError("--repeats must be positive, got \(repeats)") }
        guard k > 0 else { throw ValidationError("--k must be positive, got \(k)") }
        if sweep {
            guard from > 0, to >= from else { throw ValidationError("--from and --to must satisfy 0 < from ≤ to, got \(from) and \(to)") }
        } else if data == nil {
            throw ValidationError("--data is required (or use --sweep)")
        }
        guard regularization >= 0, regularization.isFinite else { throw ValidationError("--regularization must be ≥ 0") }
        guard alpha >= 0, alpha.isFinite else { throw ValidationError("--alpha must be ≥ 0") }
    }

    func run() throws {
        var bench = KernelBenchmark(kernel: kernel)
        bench.factors = factors; bench.iterations = iterations; bench.regularization = regularization
        bench.alpha = alpha; bench.k = k; bench.threads = global.threads; bench.repeats = repeats; bench.seed = global.seed
        if sweep { return try runSweep(bench) }
        let result = try bench.run(path: data!) { line in
            if !json && !global.quiet { print(line) }
        }
        if json {
            print(result.json)
        } else {
            print(String(format: "%@: median %.4f s (min %.4f, max %.4f) over %d runs, peak RSS %.0f MiB",
                         result.kernel, result.medianSeconds, result.minSeconds, result.maxSeconds, result.repeats,
                         Double(result.peakRSSBytes) / 1048576))
            if let p = result.perIterationSeconds { print(String(format: "per iteration: %.4f s", p)) }
            if let g = result.gflops { print(String(format: "throughput: %.1f GFLOP/s", g)) }
            if let l = result.loss { print("loss: \(l)") }
        }
    }
}

extension Bench {
    func runSweep(_ bench: KernelBenchmark) throws {
        var sweep = ScalingSweep(benchmark: bench)
        sweep.from = from; sweep.to = to
        let folder = out ?? "outputs/sweep-\(kernel.rawValue)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let points = try sweep.run { line in global.log(line) }
        let json = ScalingSweep.json(kernel: kernel.rawValue, points: points)
        try AtomicFile.write(ScalingSweep.csv(points), to: folder + "/sweep.csv")
        try AtomicFile.write(json + "\n", to: folder + "/sweep.json")
        try AtomicFile.write(ScalingSweep.svg(kernel: kernel.rawValue, points: points), to: folder + "/sweep.svg")
        if self.json {
            print(json)
        } else {
            print(String(format: "%@: fitted exponent %.3f over %d sizes; wrote %@/sweep.{csv,json,svg}",
                         kernel.rawValue, ScalingSweep.exponent(points), points.count, folder))
        }
    }
}

struct SynthMatrix: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth-matrix",
        abstract: "Write a long-tailed random ratings CSV (for benchmarks and scaling curves)."
    )

    @Option(help: "Users.") var users = 50_000
    @Option(help: "Items.") var items = 10_000
    @Option(help: "Distinct (user, item) pairs.") var nnz = 2_000_000
    @Option(help: "Output CSV path.") var out: String
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let data = try LongTailedMatrix.generate(users: users, items: items, nnz: nnz, seed: global.seed)
        try data.writeCSV(to: out)
        print("wrote \(data.count) interactions to \(out)")
    }
}
