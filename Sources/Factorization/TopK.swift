/// A bounded selection of the `capacity` largest scores seen, in O(log k) per accepted
/// candidate: a min-heap whose root is the current threshold. Ties keep the smaller index, so
/// results are deterministic.
///
/// - Complexity: O(n log k) for n candidates, O(k) memory; most candidates are rejected by one
///   comparison against ``threshold``.
public struct TopKSelector: Sendable {
    public let capacity: Int
    @usableFromInline var scores: [Float] = []
    @usableFromInline var indices: [Int32] = []

    public init(capacity: Int) {
        precondition(capacity >= 0, "capacity must be non-negative")
        self.capacity = capacity
        scores.reserveCapacity(capacity)
        indices.reserveCapacity(capacity)
    }

    /// Number of entries held.
    @inlinable public var count: Int { scores.count }

    /// A score must beat this to enter once the selection is full (−∞ until then).
    @inlinable public var threshold: Float { scores.count < capacity ? -.infinity : scores[0] }

    /// Removes every entry, keeping the capacity.
    @inlinable public mutating func reset() {
        scores.removeAll(keepingCapacity: true)
        indices.removeAll(keepingCapacity: true)
    }

    /// Whether (a, ia) ranks below (b, ib): lower score, or equal score and larger index.
    @inlinable @inline(__always)
    static func below(_ a: Float, _ ia: Int32, _ b: Float, _ ib: Int32) -> Bool {
        a < b || (a == b && ia > ib)
    }

    /// Offers a candidate. NaN scores are ignored.
    @inlinable
    public mutating func insert(_ score: Float, _ index: Int32) {
        if capacity == 0 || score.isNaN { return }
        if scores.count < capacity {
            scores.append(score); indices.append(index)
            siftUp(scores.count - 1)
        } else if TopKSelector.below(scores[0], indices[0], score, index) {
            scores[0] = score; indices[0] = index
            siftDown(0)
        }
    }

    @usableFromInline mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            if TopKSelector.below(scores[i], indices[i], scores[parent], indices[parent]) {
                scores.swapAt(i, parent); indices.swapAt(i, parent)
                i = parent
            } else { return }
        }
    }

    @usableFromInline mutating func siftDown(_ start: Int) {
        var i = start
        let n = scores.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < n, TopKSelector.below(scores[l], indices[l], scores[m], indices[m]) { m = l }
            if r < n, TopKSelector.below(scores[r], indices[r], scores[m], indices[m]) { m = r }
            if m == i { return }
            scores.swapAt(i, m); indices.swapAt(i, m)
            i = m
        }
    }

    /// The entries, best first (score descending, then index ascending).
    public func sorted() -> [(index: Int, score: Float)] {
        zip(indices, scores).sorted { TopKSelector.below($1.1, $1.0, $0.1, $0.0) }.map { (Int($0.0), $0.1) }
    }
}
