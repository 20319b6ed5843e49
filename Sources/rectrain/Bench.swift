import ArgumentParser
import Factorization
import Foundation
import KernelBench
import Recommend

extension KernelBenchmark.Kernel: ExpressibleByArgument {}

struct Bench: ParsableCommand, UsesGlobalOptions {
    static let configuration = CommandConfiguration(
        abstract: "Time one factorization kernel on a ratings CSV (user,item,rating,timestamp).",
        discussion: """
        Loads the file (timed separately), runs the kernel once as a warm-up, then --repeats \
        times. Kernels use the binary interaction matrix except als-explicit, which uses ratings.
        """
    )

    @Option(help: "Kernel: \(KernelBenchmark.Kernel.allCases.map(\.rawValue).joined(separator: ", ")).") var kernel: KernelBenchmark.Kernel
    @Option(help: "Ratings CSV with header user,item,rating,timestamp, or its binary form from `rectrain convert` (not with --sweep).") var data: String?
    @Flag(help: "Scaling sweep: time the kernel on generated long-tailed matrices from --from to --to nonzeros (doubling), fit the exponent, write CSV, JSON and an SVG plot into --out.") var sweep = false
    @Option(help: "Smallest sweep size in nonzeros (--sweep; default 100,000).") var from: Int?
    @Option(help: "Largest sweep size in nonzeros (--sweep; default 10,000,000).") var to: Int?
    @Option(help: "Folder for the sweep's sweep.csv, sweep.json and sweep.svg (--sweep; default outputs/sweep-KERNEL).") var out: String?
    @Option(help: "Latent factors: als, als-explicit, topn (its ALS set-up), svd and nmf (the rank); default 64.") var factors: Int?
    @Option(help: "Iterations: als, als-explicit, nmf, topn (its ALS set-up); default 10.") var iterations: Int?
    @Option(help: "L2 regularization λ: als, als-explicit, ease, topn (its ALS set-up); default 0.05.") var regularization: Float?
    @Option(help: "Implicit ALS confidence slope α: als, topn (its ALS set-up); default 1.") var alpha: Float?
    @Option(help: "Neighbours kept per item: cosine; default 20.") var k: Int?

    /// The options each kernel reads.
    static func reads(_ kernel: KernelBenchmark.Kernel) -> [String] {
        let als = ["--factors", "--iterations", "--regularization", "--alpha"]
        switch kernel {
        case .als, .topn: return als
        case .alsExplicit: return ["--factors", "--iterations", "--regularization"]
        case .svd: return ["--factors"]
        case .nmf: return ["--factors", "--iterations"]
        case .cosine: return ["--k"]
        case .ease: return ["--regularization"]
        }
    }

    @Option(name: .customLong("repeats"), help: "Timed runs after the warm-up (1–1,000; default 3). Not with --distributed, which times each of --iterations.") var repeatsOption: Int?
    var repeats: Int { repeatsOption ?? 3 }
    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print one JSON object instead of text.") var json = false
    @Flag(help: "als only, under mpirun (mpirun -np N rectrain bench --kernel als --distributed --data FILE): distributed implicit ALS, each rank reading its share; reports per iteration and rank the seconds, compute and communication seconds and bytes sent, against the bytes of all-gathering every factor. Ranks run --threads threads each; with more than one, give mpirun --bind-to none.")
    var distributed = false

    func validate() throws {
        for (flag, value) in [("--factors", factors), ("--iterations", iterations), ("--k", k), ("--from", from), ("--to", to)] {
            if let value, value <= 0 { throw ValidationError("\(flag) must be positive, got \(value)") }
        }
        guard repeats > 0 && repeats <= 1_000 else { throw ValidationError("--repeats must be between 1 and 1,000, got \(repeats)") }
        if let iterations, iterations > ModelKind.maximumIterations {
            throw ValidationError("--iterations must be at most \(ModelKind.maximumIterations), got \(iterations)")
        }
        if sweep {
            guard data == nil else { throw ValidationError("--data has no effect with --sweep (the sweep generates its matrices)") }
            guard from ?? 100_000 <= to ?? 10_000_000 else { throw ValidationError("--from must not exceed --to") }
        } else {
            guard data != nil else { throw ValidationError("--data is required (or use --sweep)") }
            for (flag, given) in [("--from", from != nil), ("--to", to != nil), ("--out", out != nil)] where given {
                throw ValidationError("\(flag) has no effect without --sweep")
            }
        }
        let given = [("--factors", factors != nil), ("--iterations", iterations != nil), ("--regularization", regularization != nil),
                     ("--alpha", alpha != nil), ("--k", k != nil)]
        for (flag, isGiven) in given where isGiven && !Bench.reads(kernel).contains(flag) {
            throw ValidationError("\(flag) has no effect on the \(kernel.rawValue) kernel (it reads \(Bench.reads(kernel).joined(separator: ", ")))")
        }
        if distributed {
            guard kernel == .als else { throw ValidationError("--distributed benchmarks the als kernel only") }
            guard !sweep, let data, !data.isEmpty else { throw ValidationError("--distributed needs --data (not --sweep)") }
            guard repeatsOption == nil else { throw ValidationError("--repeats has no effect with --distributed: it times each of the --iterations (default 10) in one run") }
        }
        if let regularization { guard regularization >= 0, regularization.isFinite else { throw ValidationError("--regularization must be ≥ 0") } }
        if let alpha { guard alpha >= 0, alpha.isFinite else { throw ValidationError("--alpha must be ≥ 0") } }
    }

    func run() throws {
        do {
            try measure()
        } catch let FactorizationError.rankTooLarge(operation, rank, rows, columns) {
            // The kernels name their rank; here it is --factors.
            throw ValidationError("--factors \(rank) is larger than the \(rows)×\(columns) matrix allows for \(operation) (at most \(min(rows, columns)))")
        }
    }

    func measure() throws {
        var bench = KernelBenchmark(kernel: kernel)
        if let factors { bench.factors = factors }
        if let iterations { bench.iterations = iterations }
        if let regularization { bench.regularization = regularization }
        if let alpha { bench.alpha = alpha }
        if let k { bench.k = k }
        bench.threads = global.threads; bench.simd = global.compute.simd; bench.repeats = repeats; bench.seed = global.seed
        if sweep { return try runSweep(bench) }
        if distributed { return try runDistributedBench(bench) }
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
        if let from { sweep.from = from }
        if let to { sweep.to = to }
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

struct SynthMatrix: ParsableCommand, UsesGlobalOptions {
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
