import DenseLinalg

/// Multiplicative updates (Lee & Seung, NIPS 2001) with L1/L2 penalties.
extension NMF {
    /// fᵢⱼ ← fᵢⱼ · aᵢⱼ / ((f·B)ᵢⱼ + l1 + l2·fᵢⱼ + ε), with v = f·B.
    @inline(__always)
    static func multiplicativeRow(_ f: UnsafeMutablePointer<Float>, _ v: UnsafePointer<Float>, _ a: UnsafePointer<Float>,
                                  _ k: Int, _ l1: Float, _ l2: Float) {
        for j in 0..<k { f[j] *= max(0, a[j]) / (v[j] + l1 + l2 * f[j] + 1e-10) }
    }
}
