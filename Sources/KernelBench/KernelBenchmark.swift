import DenseLinalg
import Factorization
import Foundation
import Recommend

/// Times one factorization kernel on a ratings file, the way `rectrain bench` reports it.
public struct KernelBenchmark: Sendable {
    /// The kernels `rectrain bench` can time.
    public enum Kernel: String, CaseIterable, Sendable {
        case als, alsExplicit = "als-explicit", svd, nmf, cosine, topn, ease
    }

    public var kernel: Kernel
    public var factors = 64
    public var iterations = 10
    public var regularization: Float = 0.05
    public var alpha: Float = 1
    public var k = 20
    public var threads = 2
    /// Which vector kernels may run.
    public var simd = SIMDPolicy.automatic
    public var repeats = 3
    public var seed: UInt64 = 42

    public init(kernel: Kernel) { self.kernel = kernel }

    /// What one benchmark run measured.
    public struct Result: Sendable {
        public var kernel: String
        public var users = 0, items = 0, nnz = 0
        public var factors = 0, iterations = 0, threads = 0, repeats = 0
        public var loadSeconds = 0.0
        public var times: [Double] = []
        public var peakRSSBytes = 0
        public var perIterationSeconds: Double?
        public var gflops: Double?
        public var loss: Double?
        public var singularValues: [Float]?

        public var medianSeconds: Double {
            let s = times.sorted()
            return s.isEmpty ? 0 : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
        }
        public var minSeconds: Double { times.min() ?? 0 }
        public var maxSeconds: Double { times.max() ?? 0 }

        /// The fields of the `rectrain bench --json` contract; optional ones only where measured.
        public struct JSONForm: Codable, Equatable, Sendable {
            public var kernel: String
            public var users, items, nnz, factors, iterations, threads, repeats: Int
            public var load_seconds, median_seconds, min_seconds, max_seconds: JSONOutput.Number
            public var peak_rss_bytes: Int
            public var times: [JSONOutput.Number]
            public var per_iteration_seconds, gflops, loss: JSONOutput.Number?
            public var singular_values: [JSONOutput.Number]?
        }

        public var jsonForm: JSONForm {
            typealias N = JSONOutput.Number
            return JSONForm(kernel: kernel, users: users, items: items, nnz: nnz, factors: factors, iterations: iterations, threads: threads,
                            repeats: repeats, load_seconds: N(loadSeconds), median_seconds: N(medianSeconds), min_seconds: N(minSeconds),
                            max_seconds: N(maxSeconds), peak_rss_bytes: peakRSSBytes, times: times.map(N.init),
                            per_iteration_seconds: perIterationSeconds.map(N.init), gflops: gflops.map(N.init), loss: loss.map(N.init),
                            singular_values: singularValues?.map { N($0) })
        }

        /// ``jsonForm`` as one line of JSON.
        public var json: String { JSONOutput.string(jsonForm) }
    }

    /// Loads `path`, runs the kernel once as a warm-up, then `repeats` timed runs.
    public func run(path: String, log: (String) -> Void = { _ in }) throws -> Result {
        let loadStart = Date()
        // Views for the ranking kernels (every row, as `train` reads them), ratings for als-explicit.
        var options = RatingsCSVOptions(implicit: kernel != .alsExplicit)
        options.threads = threads
        options.keepTimestamps = kernel == .alsExplicit  // only the latest-rating matrix reads them
        // The table is released once its matrices exist: the kernels read only those.
        var readSeconds = 0.0
        let (binary, ratings) = try { () throws -> (SparseMatrix, SparseMatrix) in
            let loaded = try RatingsCSV.load(path: path, options: options).interactions
            readSeconds = Date().timeIntervalSince(loadStart)
            let binary = try loaded.matrix(.binary, threads: threads)
            return (binary, kernel == .alsExplicit ? try loaded.matrix(.lastValue, threads: threads) : binary)
        }()
        let loadSeconds = Date().timeIntervalSince(loadStart)
        log("loaded \(binary.rows) users × \(binary.columns) items, \(binary.nnz) nonzeros in \(String(format: "%.2f", loadSeconds)) s "
            + "(file read in \(String(format: "%.2f", readSeconds)) s, \(Int(Double(binary.nnz) / max(readSeconds, 1e-9)).formatted()) rows/s; matrices in \(String(format: "%.2f", loadSeconds - readSeconds)) s)")
        var result = try run(matrix: binary, ratings: ratings, log: log)
        result.loadSeconds = loadSeconds
        return result
    }

    /// Runs the kernel on matrices already in memory: a warm-up, then `repeats` timed runs.
    public func run(matrix binary: SparseMatrix, ratings: SparseMatrix, log: (String) -> Void = { _ in }) throws -> Result {
        var result = Result(kernel: kernel.rawValue)
        result.users = binary.rows; result.items = binary.columns; result.nnz = binary.nnz
        result.factors = factors; result.iterations = iterations; result.threads = threads; result.repeats = repeats
        let prepared = try prepare(binary)
        for run in 0...repeats {
            let start = Date()
            let outcome = try Parallel.withBLASThreads(threads) { try once(binary, ratings: ratings, prepared: prepared) }
            let seconds = Date().timeIntervalSince(start)
            if run > 0 { result.times.append(seconds) }
            log(run == 0 ? "warm-up: \(String(format: "%.3f", seconds)) s" : "run \(run)/\(repeats): \(String(format: "%.3f", seconds)) s")
            result.loss = outcome.loss
            result.singularValues = outcome.singularValues
        }
        if [.als, .alsExplicit, .nmf].contains(kernel), iterations > 0 {
            result.perIterationSeconds = result.medianSeconds / Double(iterations)
        }
        result.gflops = flops(binary).map { $0 / result.medianSeconds / 1e9 }
        result.peakRSSBytes = ProcessMemory.peakResidentBytes()
        return result
    }

    /// Untimed set-up a kernel needs (top-N needs trained factors).
    struct Prepared { var users: Matrix<Float>?; var items: Matrix<Float>? }

    func prepare(_ x: SparseMatrix) throws -> Prepared {
        guard kernel == .topn else { return Prepared() }
        let model = try ImplicitALS.fit(x, configuration: alsConfiguration)
        return Prepared(users: model.userFactors, items: model.itemFactors)
    }

    public var alsConfiguration: ImplicitALSConfiguration {
        var c = ImplicitALSConfiguration(factors: factors, regularization: regularization, alpha: alpha,
                                         iterations: iterations, threads: threads, seed: seed)
        c.simd = simd
        return c
    }

    struct Outcome { var loss: Double?; var singularValues: [Float]? }

    var svdConfiguration: TruncatedSVDConfiguration {
        var c = TruncatedSVDConfiguration(rank: factors, seed: seed, threads: threads)
        c.simd = simd
        return c
    }

    /// One timed run of the kernel.
    func once(_ x: SparseMatrix, ratings: SparseMatrix, prepared: Prepared) throws -> Outcome {
        switch kernel {
        case .als:
            _ = try ImplicitALS.fit(x, configuration: alsConfiguration)
            return Outcome()
        case .alsExplicit:
            var configuration = ExplicitALSConfiguration(factors: factors, regularization: regularization, iterations: iterations,
                                                         threads: threads, seed: seed)
            configuration.simd = simd
            let model = try ExplicitALS.fit(ratings, configuration: configuration)
            return Outcome(loss: try ExplicitALS.objective(ratings, model: model, configuration: configuration))
        case .svd:
            return Outcome(singularValues: try TruncatedSVD.randomized(x, configuration: svdConfiguration).singularValues)
        case .nmf:
            var configuration = NMFConfiguration(rank: factors, maxIterations: iterations, tolerance: 0, seed: seed, threads: threads)
            configuration.simd = simd
            let model = try NMF.fit(x, configuration: configuration)
            return Outcome(loss: model.lossHistory.last)
        case .cosine:
            _ = try CosineNeighbors.items(x, k: self.k, threads: threads)
            return Outcome()
        case .topn:
            _ = try TopN.recommend(userFactors: prepared.users!, itemFactors: prepared.items!, count: 10,
                                   excluding: x, threads: threads)
            return Outcome()
        case .ease:
            _ = try EASE.fit(x, configuration: .init(regularization: regularization, threads: threads))
            return Outcome()
        }
    }

    /// The floating-point operations of one run, where the kernel's count is well defined.
    func flops(_ x: SparseMatrix) -> Double? {
        let nnz = Double(x.nnz), k = Double(factors), m = Double(x.rows), n = Double(x.columns)
        switch kernel {
        case .als:
            // CG: 4 sparse passes of a dot and an axpy per nonzero, 4 G·P products, both sides.
            return Double(iterations) * 2 * (4 * nnz * 4 * k + 4 * (m + n) / 2 * 2 * k * k)
        case .alsExplicit:
            // Per row: syrk over its gathered factors, Cholesky of (k+1)².
            let k1 = k + 1
            return Double(iterations) * (2 * nnz * k1 * k1 + (m + n) * k1 * k1 * k1 / 3)
        case .svd:
            let config = svdConfiguration
            let l = Double(config.sketchColumns(rows: x.rows, columns: x.columns))
            let q = Double(config.powerIterations)
            return (2 * q + 2) * 2 * nnz * l + (2 * q + 1) * 2 * (m + n) / 2 * l * l * 2
        case .nmf:
            return Double(iterations) * (2 * 2 * nnz * k + 3 * (m + n) * k * k + 2 * (m + n) * k * k)
        case .cosine:
            return nil
        case .topn:
            return 2 * m * n * k
        case .ease:
            return n * n * n  // potrf n³/3 + potri 2n³/3
        }
    }
}

/// The process's memory high-water mark.
#if os(Linux)
/// glibc's `malloc_trim` (declared in malloc.h, which the Glibc module does not export).
@_silgen_name("malloc_trim") private func glibcMallocTrim(_ pad: Int) -> Int32
#endif

public enum ProcessMemory {
    /// Resets the high-water mark to the current resident size (Linux: clear_refs 5), so the
    /// next reading covers only what follows. Freed heap pages the allocator still holds are
    /// returned first (glibc malloc_trim), so they do not count against what follows. Does
    /// nothing where unsupported.
    public static func resetPeak() {
        #if os(Linux)
        _ = glibcMallocTrim(0)
        #endif
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    /// Peak resident set size in bytes (VmHWM from /proc/self/status), 0 where unavailable.
    public static func peakResidentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return kb * 1024
        }
        return 0
    }
}
