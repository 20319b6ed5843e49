import DenseLinalg
import Foundation

/// k-means with k-means++ seeding (Arthur & Vassilvitskii, SODA 2007), distances through BLAS:
/// ‖x − c‖² = ‖x‖² − 2 x·c + ‖c‖² with X·Cᵀ one GEMM per iteration.
public enum KMeans {
    public struct Result: Sendable {
        /// k × features.
        public var centroids: Matrix<Double>
        public var assignments: [Int]
        /// Σ squared distance of each point to its centroid, after each iteration.
        public var inertiaHistory: [Double]
        public var inertia: Double { inertiaHistory.last ?? 0 }
    }

    /// Columns scaled to mean 0 and standard deviation 1 (constant columns become 0).
    public static func standardized(_ x: Matrix<Double>) -> Matrix<Double> {
        var out = x
        for j in 0..<x.columns {
            let column = x.column(j)
            let mean = column.reduce(0, +) / Double(max(1, x.rows))
            let sd = (column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, x.rows))).squareRoot()
            for i in 0..<x.rows { out[i, j] = sd > 0 ? (x[i, j] - mean) / sd : 0 }
        }
        return out
    }

    /// Squared distances of every row of `x` to every row of `c` (n × k), via GEMM.
    static func squaredDistances(_ x: Matrix<Double>, _ c: Matrix<Double>) throws -> Matrix<Double> {
        var d = try x.matmul(c, transposeOther: true)
        let xn = (0..<x.rows).map { i in x.row(i).reduce(0) { $0 + $1 * $1 } }
        let cn = (0..<c.rows).map { j in c.row(j).reduce(0) { $0 + $1 * $1 } }
        for i in 0..<x.rows { for j in 0..<c.rows { d[i, j] = max(0, xn[i] - 2 * d[i, j] + cn[j]) } }
        return d
    }

    /// Clusters the rows of `x` into `k` groups.
    /// - Complexity: O(iterations · n · k · features) flops, in GEMM.
    public static func fit(_ x: Matrix<Double>, k: Int, seed: UInt64, maxIterations: Int = 100) throws -> Result {
        guard k > 0, k <= x.rows else { throw RecommenderError.invalidInput(model: "k-means", reason: "k = \(k) must be between 1 and the \(x.rows) points") }
        guard x.isFinite else { throw RecommenderError.invalidInput(model: "k-means", reason: "features contain NaN or infinity") }
        var g = SeededGenerator(seed: seed)
        // k-means++: each next centre drawn with probability proportional to D².
        var chosen = [Int(g.next() % UInt64(x.rows))]
        var nearest = (0..<x.rows).map { i in zip(x.row(i), x.row(chosen[0])).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
        while chosen.count < k {
            let total = nearest.reduce(0, +)
            var next = 0
            if total > 0 {
                var target = g.nextUnit() * total
                while next < x.rows - 1 && target >= nearest[next] { target -= nearest[next]; next += 1 }
            } else {
                next = (0..<x.rows).first { !chosen.contains($0) } ?? 0
            }
            chosen.append(next)
            for i in 0..<x.rows {
                let d = zip(x.row(i), x.row(next)).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                nearest[i] = min(nearest[i], d)
            }
        }
        var centroids = try Matrix(rows: k, columns: x.columns, elements: chosen.flatMap { x.row($0) })
        var assignments = [Int](repeating: -1, count: x.rows)
        var history: [Double] = []
        for _ in 0..<maxIterations {
            let d = try squaredDistances(x, centroids)
            var changed = false, inertia = 0.0
            for i in 0..<x.rows {
                var best = 0
                for j in 1..<k where d[i, j] < d[i, best] { best = j }
                if assignments[i] != best { assignments[i] = best; changed = true }
                inertia += d[i, best]
            }
            history.append(inertia)
            // New centroids: means of their points (an empty cluster keeps its centre).
            var sums = Matrix<Double>(rows: k, columns: x.columns), counts = [Int](repeating: 0, count: k)
            for i in 0..<x.rows {
                counts[assignments[i]] += 1
                for f in 0..<x.columns { sums[assignments[i], f] += x[i, f] }
            }
            for j in 0..<k where counts[j] > 0 { for f in 0..<x.columns { centroids[j, f] = sums[j, f] / Double(counts[j]) } }
            if !changed { break }
        }
        return Result(centroids: centroids, assignments: assignments, inertiaHistory: history)
    }

    /// Mean silhouette (Rousseeuw 1987) over at most `sample` points (seeded), in [−1, 1].
    public static func silhouette(_ x: Matrix<Double>, _ assignments: [Int], k: Int, sample: Int = 2_000, seed: UInt64 = 1) throws -> Double {
        var g = SeededGenerator(seed: seed)
        var rows = Array(0..<x.rows)
        if rows.count > sample {
            for i in stride(from: rows.count - 1, to: 0, by: -1) { rows.swapAt(i, Int(g.next() % UInt64(i + 1))) }
            rows = Array(rows.prefix(sample))
        }
        let points = try Matrix(rows: rows.count, columns: x.columns, elements: rows.flatMap { x.row($0) })
        let d = try squaredDistances(points, points)
        var total = 0.0
        for a in 0..<rows.count {
            var sums = [Double](repeating: 0, count: k), counts = [Int](repeating: 0, count: k)
            for b in 0..<rows.count where b != a {
                sums[assignments[rows[b]]] += d[a, b].squareRoot(); counts[assignments[rows[b]]] += 1
            }
            let own = assignments[rows[a]]
            guard counts[own] > 0 else { continue }  // a singleton's silhouette is 0
            let inside = sums[own] / Double(counts[own])
            let outside = (0..<k).filter { $0 != own && counts[$0] > 0 }.map { sums[$0] / Double(counts[$0]) }.min() ?? 0
            total += max(inside, outside) > 0 ? (outside - inside) / max(inside, outside) : 0
        }
        return total / Double(rows.count)
    }

    /// The k in `candidates` with the best silhouette, and its clustering.
    public static func chooseK(_ x: Matrix<Double>, candidates: ClosedRange<Int> = 2...8, seed: UInt64) throws -> (k: Int, result: Result, silhouette: Double) {
        var best: (Int, Result, Double)?
        for k in candidates where k <= x.rows {
            let result = try fit(x, k: k, seed: seed)
            let s = try silhouette(x, result.assignments, k: k, seed: seed)
            if best == nil || s > best!.2 + 1e-12 { best = (k, result, s) }
        }
        guard let best else { throw RecommenderError.invalidInput(model: "k-means", reason: "too few points for k in \(candidates)") }
        return best
    }
}
