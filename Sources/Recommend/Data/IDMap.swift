/// A two-way map between raw string ids (`USER_00001`, `"196"`) and dense inner indices
/// `0..<count`, assigned in order of first appearance.
public struct IDMap: Sendable, Equatable {
    public private(set) var ids: [String] = []
    private var index: [String: Int32] = [:]

    public init() {}

    /// A map over `ids` in this order (duplicates keep their first position).
    public init<S: Sequence>(_ ids: S) where S.Element == String {
        for id in ids { _ = intern(id) }
    }

    /// Number of distinct ids.
    public var count: Int { ids.count }

    /// The inner index of `id`, adding it when new.
    @discardableResult
    public mutating func intern(_ id: String) -> Int32 {
        if let i = index[id] { return i }
        let i = Int32(ids.count)
        index[id] = i
        ids.append(id)
        return i
    }

    /// The inner index of `id`, or nil when unknown.
    public func index(of id: String) -> Int? { index[id].map(Int.init) }

    /// The raw id of an inner index.
    public func id(at inner: Int) -> String { ids[inner] }
}
