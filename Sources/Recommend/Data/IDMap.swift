/// A two-way map between raw string ids (`USER_00001`, `"196"`) and dense inner indices
/// `0..<count`, assigned in order of first appearance.
///
/// Ids are opaque keys compared by their bytes (``RawID``): `café` written with U+00E9 and with
/// `e` + U+0301 are two ids, as they are two strings to pandas, implicit or a database.
public struct IDMap: Sendable, Equatable {
    public private(set) var ids: [String] = []
    private var index: [RawID: Int32] = [:]

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
        if let i = index[RawID(id)] { return i }
        let i = Int32(ids.count)
        index[RawID(id)] = i
        ids.append(id)
        return i
    }

    /// The inner index of `id`, or nil when unknown.
    public func index(of id: String) -> Int? { index[RawID(id)].map(Int.init) }

    /// The raw id of an inner index.
    public func id(at inner: Int) -> String { ids[inner] }
}

/// A raw id as a dictionary key, equal and hashed by its UTF-8 bytes. Swift's `String` equality
/// is canonical equivalence, which would make `"caf\u{E9}"` and `"cafe\u{301}"` one user.
public struct RawID: Hashable, Sendable {
    public var string: String
    @inlinable public init(_ string: String) { self.string = string }

    @inlinable public static func == (a: RawID, b: RawID) -> Bool {
        a.string.utf8.count == b.string.utf8.count && a.string.utf8.elementsEqual(b.string.utf8)
    }

    @inlinable public func hash(into hasher: inout Hasher) {
        let hashed: Void? = string.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if hashed == nil { for byte in string.utf8 { hasher.combine(byte) } }
    }
}
