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
        // A capacity is an upper bound (a caller may ask for more than there are candidates):
        // reserve at most a few pages up front and let larger selections grow as they fill.
        scores.reserveCapacity(min(capacity, 1024))
        indices.reserveCapacity(min(capacity, 1024))
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
        SelectionHeap.below(a, ia, b, ib)
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
        scores.withUnsafeMutableBufferPointer { s in
            indices.withUnsafeMutableBufferPointer { ix in SelectionHeap.siftUp(s.baseAddress!, ix.baseAddress!, from: start) }
        }
    }

    @usableFromInline mutating func siftDown(_ start: Int) {
        let n = scores.count
        scores.withUnsafeMutableBufferPointer { s in
            indices.withUnsafeMutableBufferPointer { ix in SelectionHeap.siftDown(s.baseAddress!, ix.baseAddress!, count: n, from: start) }
        }
    }

    /// The entries, best first (score descending, then index ascending).
    public func sorted() -> [(index: Int, score: Float)] {
        zip(indices, scores).sorted { TopKSelector.below($1.1, $1.0, $0.1, $0.0) }.map { (Int($0.0), $0.1) }
    }
}

/// The heap steps shared by the bounded selections (``TopKSelector`` and the per-row selections
/// of the cosine kernel): parallel score and index buffers in min-heap order under
/// ``below(_:_:_:_:)``, so the root is the entry that leaves first.
@usableFromInline
enum SelectionHeap {
    /// Whether (a, ia) ranks below (b, ib): lower score, or equal score and larger index.
    @inlinable @inline(__always)
    static func below(_ a: Float, _ ia: Int32, _ b: Float, _ ib: Int32) -> Bool {
        a < b || (a == b && ia > ib)
    }

    /// Moves the entry at `start` up to its place.
    @inlinable
    static func siftUp(_ scores: UnsafeMutablePointer<Float>, _ indices: UnsafeMutablePointer<Int32>, from start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard below(scores[i], indices[i], scores[parent], indices[parent]) else { return }
            swap(scores, indices, i, parent)
            i = parent
        }
    }

    /// Moves the entry at `start` down to its place in a heap of `n` entries.
    @inlinable
    static func siftDown(_ scores: UnsafeMutablePointer<Float>, _ indices: UnsafeMutablePointer<Int32>, count n: Int, from start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < n, below(scores[l], indices[l], scores[m], indices[m]) { m = l }
            if r < n, below(scores[r], indices[r], scores[m], indices[m]) { m = r }
            if m == i { return }
            swap(scores, indices, i, m)
            i = m
        }
    }

    @inlinable @inline(__always)
    static func swap(_ scores: UnsafeMutablePointer<Float>, _ indices: UnsafeMutablePointer<Int32>, _ i: Int, _ j: Int) {
        let s = scores[i]; scores[i] = scores[j]; scores[j] = s
        let t = indices[i]; indices[i] = indices[j]; indices[j] = t
    }
}
