import DenseLinalg
import Factorization

/// Features of the user–title bipartite graph and of the title co-view graph.
enum GraphFeatures {
    /// PageRank on the bipartite view graph (an edge per distinct user–title pair): damping
    /// d = 0.85, uniform teleport over all users and titles, dangling nodes' rank spread
    /// uniformly; iterated until the L1 change is below 1e-12 (at most 200 times). Each step is
    /// two sparse × dense products, r_titles ← Xᵀ·(r_users / deg) and r_users ← X·(r_titles / deg).
    /// Returns (users, titles) ranks; together they sum to 1.
    static func pageRank(_ x: SparseMatrix, damping: Double = 0.85) throws -> (users: [Double], titles: [Double]) {
        let binary = x.mapValues { _ in 1 }
        let xt = binary.transposed()
        let m = x.rows, n = x.columns, total = Double(m + n)
        let userDegree = binary.rowCounts.map(Double.init), titleDegree = xt.rowCounts.map(Double.init)
        var ru = [Double](repeating: 1 / total, count: m), rt = [Double](repeating: 1 / total, count: n)
        for _ in 0..<200 {
            var dangling = 0.0
            var fromUsers = [Float](repeating: 0, count: m), fromTitles = [Float](repeating: 0, count: n)
            for u in 0..<m { if userDegree[u] > 0 { fromUsers[u] = Float(ru[u] / userDegree[u]) } else { dangling += ru[u] } }
            for t in 0..<n { if titleDegree[t] > 0 { fromTitles[t] = Float(rt[t] / titleDegree[t]) } else { dangling += rt[t] } }
            let toTitles = try xt.multiply(Matrix(rows: m, columns: 1, elements: fromUsers)).elements
            let toUsers = try binary.multiply(Matrix(rows: n, columns: 1, elements: fromTitles)).elements
            let base = (1 - damping) / total + damping * dangling / total
            let nu = toUsers.map { base + damping * Double($0) }, nt = toTitles.map { base + damping * Double($0) }
            let change = zip(nu, ru).reduce(0) { $0 + abs($1.0 - $1.1) } + zip(nt, rt).reduce(0) { $0 + abs($1.0 - $1.1) }
            ru = nu; rt = nt
            if change < 1e-12 { break }
        }
        // Float products: renormalise to sum exactly 1.
        let sum = ru.reduce(0, +) + rt.reduce(0, +)
        return (ru.map { $0 / sum }, rt.map { $0 / sum })
    }

    /// For each title: the number of other titles some user viewed too (its degree in the
    /// co-view graph), and its local clustering coefficient in the co-view k-NN graph, where
    /// each title links to its `neighbors` most co-viewed titles (ties to the smaller index),
    /// links made symmetric: triangles through the title / (deg·(deg − 1)/2), 0 below degree 2.
    static func coView(_ x: SparseMatrix, neighbors: Int = 20) -> (degree: [Double], clustering: [Double]) {
        let binary = x.mapValues { _ in 1 }
        let xt = binary.transposed()
        let n = x.columns
        var degree = [Double](repeating: 0, count: n)
        var knn = [Set<Int>](repeating: [], count: n)
        var counts = [Int](repeating: 0, count: n)
        var touched: [Int] = []
        for i in 0..<n {
            for u in xt.row(i).columns {
                for j in binary.row(Int(u)).columns where Int(j) != i {
                    if counts[Int(j)] == 0 { touched.append(Int(j)) }
                    counts[Int(j)] += 1
                }
            }
            degree[i] = Double(touched.count)
            let best = touched.sorted { counts[$0] > counts[$1] || (counts[$0] == counts[$1] && $0 < $1) }.prefix(neighbors)
            for j in best { knn[i].insert(j); knn[j].insert(i) }
            for j in touched { counts[j] = 0 }
            touched.removeAll(keepingCapacity: true)
        }
        let clustering = (0..<n).map { i -> Double in
            let around = Array(knn[i])
            let d = around.count
            guard d >= 2 else { return 0 }
            var links = 0
            for a in 0..<d { for b in (a + 1)..<d where knn[around[a]].contains(around[b]) { links += 1 } }
            return Double(links) / Double(d * (d - 1) / 2)
        }
        return (degree, clustering)
    }
}
