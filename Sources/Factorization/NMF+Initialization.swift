import DenseLinalg

extension NMF {
    /// Initial W (m × k) and Hᵀ (n × k); `xt` = Xᵀ.
    static func initialize(_ x: SparseMatrix, transposed xt: SparseMatrix, _ configuration: NMFConfiguration) throws -> (Matrix<Float>, Matrix<Float>) {
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
            return try nndsvd(x, transposed: xt, k: k, fill: configuration.initialization == .nndsvda ? mean : 0, configuration)
        }
    }

    /// NNDSVD (Boutsidis & Gallopoulos, "SVD based initialization: A head start for
    /// nonnegative matrix factorization", Pattern Recognition 2008): each singular pair is
    /// split into its positive and negative parts and the dominant part, scaled by √(σ·norms),
    /// becomes a column of W and a row of H. Zeros are replaced by `fill`. The SVD uses 6
    /// shifted power iterations: the choice between a pair's positive and negative parts flips
    /// with small errors in the trailing singular vectors, and a flip can send NMF to a poorer
    /// local minimum; 6 was the fewest that reached the same minimum for every seed tried
    /// (measurements: docs/benchmarks.md, "Design measurements").
    static func nndsvd(_ x: SparseMatrix, transposed xt: SparseMatrix, k: Int, fill: Float, _ configuration: NMFConfiguration)
        throws -> (Matrix<Float>, Matrix<Float>) {
        let svd = try TruncatedSVD.randomized(x, transposed: xt, configuration: .init(rank: k, oversampling: 10, powerIterations: 6,
                                                                      seed: configuration.seed, threads: configuration.threads))
        let u = svd.u, vt = svd.vt
        // Per singular pair j: the sums of squares of the positive and negative parts of uⱼ and
        // vⱼ, and the sum of uⱼ (for the leading pair's sign), in one pass over each factor.
        var uPositive = [Double](repeating: 0, count: k), uNegative = uPositive, uSum = uPositive
        var vPositive = uPositive, vNegative = uPositive
        u.withUnsafeBufferPointer { up in
            for i in 0..<x.rows {
                for j in 0..<k {
                    let value = Double(up[i * k + j]), positive = max(0, value), negative = min(0, value)
                    uSum[j] += value; uPositive[j] += positive * positive; uNegative[j] += negative * negative
                }
            }
        }
        vt.withUnsafeBufferPointer { vp in
            for j in 0..<k {
                var positiveSum = 0.0, negativeSum = 0.0
                for value in vp[(j * x.columns)..<((j + 1) * x.columns)] {
                    let positive = Double(max(0, value)), negative = Double(min(0, value))
                    positiveSum += positive * positive; negativeSum += negative * negative
                }
                vPositive[j] = positiveSum; vNegative[j] = negativeSum
            }
        }
        // Column j of W is max(0, signⱼ·uⱼ)·wScaleⱼ, row j of H max(0, signⱼ·vⱼ)·hScaleⱼ.
        var sign = [Float](repeating: 1, count: k), wScale = sign, hScale = sign
        for j in 0..<k {
            let sigma = Double(svd.singularValues[j])
            if j == 0 {
                // The leading pair can be taken non-negative as a whole (Perron–Frobenius).
                sign[j] = uSum[j] < 0 ? -1 : 1
                wScale[j] = Float(sigma.squareRoot()); hScale[j] = wScale[j]
                continue
            }
            let positive = (uPositive[j] * vPositive[j]).squareRoot(), negative = (uNegative[j] * vNegative[j]).squareRoot()
            let (nu, nv, m) = positive >= negative
                ? (uPositive[j].squareRoot(), vPositive[j].squareRoot(), positive)
                : (uNegative[j].squareRoot(), vNegative[j].squareRoot(), negative)
            sign[j] = positive >= negative ? 1 : -1
            let scale = (sigma * m).squareRoot()
            wScale[j] = nu > 0 ? Float(scale / nu) : 0
            hScale[j] = nv > 0 ? Float(scale / nv) : 0
        }
        var w = Matrix<Float>(rows: x.rows, columns: k), ht = Matrix<Float>(rows: x.columns, columns: k)
        u.withUnsafeBufferPointer { up in
            w.withUnsafeMutableBufferPointer { wp in
                for i in 0..<x.rows {
                    for j in 0..<k {
                        let value = max(0, sign[j] * up[i * k + j]) * wScale[j]
                        wp[i * k + j] = value == 0 ? fill : value
                    }
                }
            }
        }
        vt.withUnsafeBufferPointer { vp in
            ht.withUnsafeMutableBufferPointer { hp in
                for j in 0..<k {
                    for i in 0..<x.columns {
                        let value = max(0, sign[j] * vp[j * x.columns + i]) * hScale[j]
                        hp[i * k + j] = value == 0 ? fill : value
                    }
                }
            }
        }
        return (w, ht)
    }
}
