import DenseLinalg
import Factorization

/// Random interaction matrices with the long tails of real usage data, for benchmarks and
/// scaling curves: user activity and item popularity both follow power laws (Zipf-like,
/// weight ∝ 1/(rank + offset)^exponent), and each user's items are distinct.
public enum LongTailedMatrix {
    /// Generates exactly `nnz` distinct (user, item) pairs, values 1–5 (ratings-like) and
    /// increasing timestamps. Deterministic for a seed.
    /// - Complexity: O(nnz · log items).
    public static func generate(users: Int, items: Int, nnz: Int, seed: UInt64,
                                userExponent: Double = 0.8, itemExponent: Double = 0.9) throws -> Interactions {
        guard users > 0, items > 0, nnz > 0 else {
            throw FactorizationError.invalidParameter(name: "size", value: "\(users)×\(items), \(nnz) nonzeros", expected: "positive sizes")
        }
        guard nnz >= users else {
            throw FactorizationError.invalidParameter(name: "nonzeros", value: "\(nnz)", expected: "at least one per user (\(users))")
        }
        let (cells, overflow) = users.multipliedReportingOverflow(by: items)
        guard overflow || nnz <= cells / 2 else {
            throw FactorizationError.invalidParameter(name: "nonzeros", value: "\(nnz)", expected: "at most half of \(users)×\(items)")
        }
        // The id maps (~64 bytes an id), the per-user weights and the interactions (24 bytes each).
        let needed = SystemMemory.bytes([(users, 96), (items, 96), (nnz, 24)])
        guard SystemMemory.fits(needed) else {
            throw FactorizationError.tooLarge(operation: "a \(users)×\(items) matrix with \(nnz) nonzeros", requiredBytes: needed ?? .max,
                                              availableBytes: SystemMemory.availableBytes)
        }
        var g = SeededGenerator(seed: seed)
        // Per-user counts: proportional to a power-law weight, at least 1, at most half the items.
        let cap = max(1, items / 2)
        let weights = (0..<users).map { 1 / _pow(Double($0) + 10, userExponent) }
        let total = weights.reduce(0, +)
        var counts = weights.map { min(cap, max(1, Int(Double(nnz) * $0 / total))) }
        var assigned = counts.reduce(0, +)
        // Fix the total exactly: add or remove one at a time over users drawn at random.
        while assigned != nnz {
            let u = Int(g.next() % UInt64(users))
            if assigned < nnz, counts[u] < cap { counts[u] += 1; assigned += 1 }
            else if assigned > nnz, counts[u] > 1 { counts[u] -= 1; assigned -= 1 }
        }
        // Item popularity CDF; shuffle ranks so popular items are spread over the index range.
        var cdf = [Double](repeating: 0, count: items)
        var acc = 0.0
        for i in 0..<items { acc += 1 / _pow(Double(i) + 5, itemExponent); cdf[i] = acc }
        var permutation = Array(0..<items)
        for i in stride(from: items - 1, to: 0, by: -1) { permutation.swapAt(i, Int(g.next() % UInt64(i + 1))) }
        // Shuffle users too, so heavy users are not all at the start.
        var userOrder = Array(0..<users)
        for i in stride(from: users - 1, to: 0, by: -1) { userOrder.swapAt(i, Int(g.next() % UInt64(i + 1))) }

        var result = Interactions(userIDs: IDMap((0..<users).map { "u\($0)" }), itemIDs: IDMap((0..<items).map { "i\($0)" }))
        result.users.reserveCapacity(nnz); result.items.reserveCapacity(nnz)
        result.values.reserveCapacity(nnz); result.timestamps.reserveCapacity(nnz)
        var seen = Set<Int32>()
        var time: Int64 = 1_600_000_000
        for rank in 0..<users {
            let u = Int32(userOrder[rank])
            seen.removeAll(keepingCapacity: true)
            let want = counts[rank]
            // Heavy users draw from the whole distribution; rejection keeps items distinct.
            var attempts = 0
            while seen.count < want {
                attempts += 1
                let item: Int
                if attempts > 20 * want {
                    item = Int(g.next() % UInt64(items))  // deep tail: uniform fallback
                } else {
                    let x = g.nextUnit() * acc
                    var lo = 0, hi = items - 1
                    while lo < hi { let mid = (lo + hi) / 2; if cdf[mid] < x { lo = mid + 1 } else { hi = mid } }
                    item = permutation[lo]
                }
                if seen.insert(Int32(item)).inserted {
                    time += Int64(g.next() % 60)
                    result.append(user: u, item: Int32(item), value: Float(1 + g.next() % 5), timestamp: time)
                }
            }
        }
        return result
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
func _pow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
