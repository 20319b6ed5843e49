import DenseLinalg
import Foundation
import Recommend

/// Times a kernel on long-tailed matrices of growing size and fits the scaling exponent.
public struct ScalingSweep: Sendable {
    public struct Point: Sendable {
        public var users: Int, items: Int, nnz: Int
        public var seconds: Double
        public var peakRSSBytes: Int
    }

    public var benchmark: KernelBenchmark
    public var from = 100_000
    public var to = 10_000_000

    public init(benchmark: KernelBenchmark) { self.benchmark = benchmark }

    /// Sizes from `from` doubling up to `to` nonzeros (the last one `to`).
    public var sizes: [Int] {
        var out: [Int] = [], n = max(1, from)
        while n < to {
            out.append(n)
            let (next, overflow) = n.multipliedReportingOverflow(by: 2)
            if overflow { break }
            n = next
        }
        out.append(to)
        return out
    }

    /// The shape at `nnz`: 40 interactions per user, 200 per item on average (both grow with it).
    /// At small sizes the users grow so that the matrix has at least twice as many cells as
    /// nonzeros (what the long-tailed generator needs).
    public static func shape(nnz: Int) -> (users: Int, items: Int) {
        let items = max(50, nnz / 200)
        return (max(100, nnz / 40, (2 * nnz + items - 1) / items), items)
    }

    /// Runs the sweep: for each size, generate (seeded), one warm-up, `repeats` timed runs (the
    /// median is kept), peak resident memory measured from a reset high-water mark.
    public func run(log: (String) -> Void = { _ in }) throws -> [Point] {
        try sizes.map { nnz in
            let (users, items) = ScalingSweep.shape(nnz: nnz)
            // The interaction table is dropped before measuring: the peak is the kernel's (and the matrix's).
            let x = try LongTailedMatrix.generate(users: users, items: items, nnz: nnz, seed: benchmark.seed).matrix(.binary)
            ProcessMemory.resetPeak()
            let result = try benchmark.run(matrix: x, ratings: x)
            let point = Point(users: users, items: items, nnz: nnz, seconds: result.medianSeconds, peakRSSBytes: ProcessMemory.peakResidentBytes())
            log(String(format: "%d users × %d items, %d nonzeros: %.4f s, peak %.0f MiB", users, items, nnz, point.seconds,
                       Double(point.peakRSSBytes) / 1_048_576))
            return point
        }
    }

    /// The least-squares slope of ln(seconds) against ln(nonzeros).
    public static func exponent(_ points: [Point]) -> Double {
        let xs = points.map { log(Double($0.nnz)) }, ys = points.map { log(max($0.seconds, 1e-9)) }
        let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
        let sxx = zip(xs, xs).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - mx) }
        let sxy = zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        return sxx > 0 ? sxy / sxx : 0
    }

    /// `sweep.json`: the kernel, the fitted exponent and every point.
    public struct JSONForm: Codable, Equatable, Sendable {
        public struct Entry: Codable, Equatable, Sendable {
            public var users, items, nnz: Int
            public var seconds: JSONOutput.Number
            public var peak_rss_bytes: Int
        }
        public var kernel: String
        public var exponent: JSONOutput.Number
        public var points: [Entry]
    }

    public static func json(kernel: String, points: [Point]) -> String {
        JSONOutput.string(JSONForm(kernel: kernel, exponent: .init(exponent(points)), points: points.map {
            .init(users: $0.users, items: $0.items, nnz: $0.nnz, seconds: .init($0.seconds), peak_rss_bytes: $0.peakRSSBytes)
        }))
    }

    public static func csv(_ points: [Point]) -> String {
        "users,items,nnz,seconds,peak_rss_bytes\n" + points.map { "\($0.users),\($0.items),\($0.nnz),\($0.seconds),\($0.peakRSSBytes)" }.joined(separator: "\n") + "\n"
    }

    /// A log–log plot of time against nonzeros with the fitted line and its exponent.
    public static func svg(kernel: String, points: [Point]) -> String {
        let w = 640.0, h = 420.0, left = 70.0, right = 20.0, top = 40.0, bottom = 60.0
        let xs = points.map { log10(Double($0.nnz)) }, ys = points.map { log10(max($0.seconds, 1e-6)) }
        let x0 = floor(xs.min() ?? 0), x1 = ceil(xs.max() ?? 1), y0 = floor(ys.min() ?? 0), y1 = ceil(ys.max() ?? 1)
        func px(_ x: Double) -> Double { left + (x - x0) / max(1e-9, x1 - x0) * (w - left - right) }
        func py(_ y: Double) -> Double { h - bottom - (y - y0) / max(1e-9, y1 - y0) * (h - top - bottom) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += String(format: "<text x=\"%.0f\" y=\"24\" font-size=\"15\">%@: time against nonzeros (log–log), fitted exponent %.3f</text>\n", left, kernel, exponent(points))
        for e in stride(from: x0, through: x1, by: 1) {
            s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">10^%d</text>\n",
                        px(e), top, px(e), h - bottom, px(e), h - bottom + 18, Int(e))
        }
        for e in stride(from: y0, through: y1, by: 1) {
            s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">10^%d s</text>\n",
                        left, py(e), w - right, py(e), left - 6, py(e) + 4, Int(e))
        }
        s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">nonzeros</text>\n", (left + w - right) / 2, h - 15)
        s += String(format: "<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\">seconds</text>\n", (top + h - bottom) / 2)
        let path = zip(xs, ys).enumerated().map { String(format: "%@%.1f %.1f", $0.offset == 0 ? "M" : "L", px($0.element.0), py($0.element.1)) }
        s += "<path d=\"\(path.joined(separator: " "))\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n"
        for (x, y) in zip(xs, ys) { s += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#1f77b4\"/>\n", px(x), py(y)) }
        return s + "</svg>\n"
    }
}
