import DenseLinalg

extension NMF {
    /// Initial W (m × k) and Hᵀ (n × k).
    static func initialize(_ x: SparseMatrix, _ configuration: NMFConfiguration) throws -> (Matrix<Float>, Matrix<Float>) {
        let k = configuration.rank
        let mean = Float(x.values.reduce(0.0) { $0 + Double($1) } / (Double(x.rows) * Double(x.columns)))
        switch configuration.initialization {
        case .random:
            let scale = Double((mean / Float(k)).squareRoot())
            var g = SeededGenerator(seed: configuration.seed)
            let w = Matrix<Float>.random(rows: x.rows, columns: k, distribution: .uniform(lower: 0, upper: scale), using: &g)
            let h = Matrix<Float>.random(rows: x.columns, columns: k, distribution: .uniform(lower: 0, upper: scale), using: &g)
            return (w, h)
        case .nndsvd, .nndsvda:
            return try nndsvd(x, k: k, fill: configuration.initialization == .nndsvda ? mean : 0, configuration)
        }
    }

    /// NNDSVD (Boutsidis & Gallopoulos, "SVD based initialization: A head start for
    /// nonnegative matrix factorization", Pattern Recognition 2008): each singular pair is
    /// split into its positive and negative parts and the dominant part, scaled by √(σ·norms),
    /// becomes a column of W and a row of H. Zeros are replaced by `fill`. The SVD uses 7 power
    /// iterations, as scikit-learn's: with 2, NMF ends measurably higher after 50 iterations.
    static func nndsvd(_ x: SparseMatrix, k: Int, fill: Float, _ configuration: NMFConfiguration) throws -> (Matrix<Float>, Matrix<Float>) {
        let svd = try TruncatedSVD.randomized(x, configuration: .init(rank: k, oversampling: 10, powerIterations: 7,
                                                                      seed: configuration.seed, threads: configuration.threads))
        var w = Matrix<Float>(rows: x.rows, columns: k)
        var ht = Matrix<Float>(rows: x.columns, columns: k)
        for j in 0..<k {
            let u = svd.u.column(j), v = svd.vt.row(j)
            let sigma = svd.singularValues[j]
            var wc: [Float], hc: [Float]
            if j == 0 {
                // The leading pair can be taken non-negative as a whole (Perron–Frobenius).
                let sign: Float = u.reduce(0, +) < 0 ? -1 : 1
                wc = u.map { max(0, sign * $0) * sigma.squareRoot() }
                hc = v.map { max(0, sign * $0) * sigma.squareRoot() }
            } else {
                let up = u.map { max(0, $0) }, un = u.map { max(0, -$0) }
                let vp = v.map { max(0, $0) }, vn = v.map { max(0, -$0) }
                let (nup, nun, nvp, nvn) = (norm(up), norm(un), norm(vp), norm(vn))
                let (pu, pv, nu, nv, m): ([Float], [Float], Float, Float, Float) =
                    nup * nvp >= nun * nvn ? (up, vp, nup, nvp, nup * nvp) : (un, vn, nun, nvn, nun * nvn)
                let scale = (sigma * m).squareRoot()
                wc = nu > 0 ? pu.map { scale * $0 / nu } : pu
                hc = nv > 0 ? pv.map { scale * $0 / nv } : pv
            }
            for i in 0..<x.rows { w[i, j] = wc[i] == 0 ? fill : wc[i] }
            for i in 0..<x.columns { ht[i, j] = hc[i] == 0 ? fill : hc[i] }
        }
        return (w, ht)
    }

    static func norm(_ v: [Float]) -> Float { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
}
