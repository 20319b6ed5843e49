/// A dense matrix stored row-major in one contiguous buffer.
///
/// Element `(i, j)` sits at `elements[i * columns + j]`. The buffer is what BLAS and LAPACK see,
/// with leading dimension `columns`, so no copy is made on the way to a routine.
///
/// ```swift
/// var a = Matrix<Float>.zeros(rows: 2, columns: 3)
/// a[1, 2] = 5
/// let g = try a.matmul(a, transposeOther: true)   // a · aᵀ, 2×2
/// ```
public struct Matrix<Scalar: LinalgScalar>: Sendable, Equatable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    @usableFromInline var storage: [Scalar]

    /// The elements in row-major order; `count == rows * columns`.
    @inlinable public var elements: [Scalar] { storage }

    /// The shape, as used in error messages.
    @inlinable public var shape: Shape { Shape(rows, columns) }

    /// Number of elements, `rows * columns`.
    @inlinable public var count: Int { storage.count }

    /// A matrix filled with one value.
    @inlinable
    public init(rows: Int, columns: Int, repeating value: Scalar = 0) {
        precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
        self.rows = rows
        self.columns = columns
        self.storage = [Scalar](repeating: value, count: rows * columns)
    }

    /// A matrix whose elements `body` writes, every one of them (they start uninitialised): for
    /// products that overwrite their output, which would otherwise be zeroed first.
    @usableFromInline
    init(rows: Int, columns: Int, initializingWith body: (UnsafeMutableBufferPointer<Scalar>) -> Void) {
        precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
        self.rows = rows
        self.columns = columns
        self.storage = [Scalar](unsafeUninitializedCapacity: rows * columns) { buffer, count in
            body(buffer)
            count = rows * columns
        }
    }

    /// A matrix over row-major `elements`.
    /// - Throws: ``LinalgError/invalidArgument(_:)`` when the count is not `rows * columns`.
    @inlinable
    public init(rows: Int, columns: Int, elements: [Scalar]) throws {
        guard rows >= 0, columns >= 0 else {
            throw LinalgError.invalidArgument("matrix dimensions must be non-negative, got \(rows)×\(columns)")
        }
        guard elements.count == rows * columns else {
            throw LinalgError.invalidArgument(
                "a \(rows)×\(columns) matrix needs \(rows * columns) elements, got \(elements.count)")
        }
        self.rows = rows
        self.columns = columns
        self.storage = elements
    }

    /// A matrix from nested rows.
    /// - Throws: ``LinalgError/invalidArgument(_:)`` when rows have different lengths.
    public init(_ nested: [[Scalar]]) throws {
        let columns = nested.first?.count ?? 0
        for (i, row) in nested.enumerated() where row.count != columns {
            throw LinalgError.invalidArgument("row \(i) has \(row.count) elements, expected \(columns)")
        }
        try self.init(rows: nested.count, columns: columns, elements: nested.flatMap { $0 })
    }

    /// The zero matrix.
    @inlinable
    public static func zeros(rows: Int, columns: Int) -> Matrix {
        Matrix(rows: rows, columns: columns)
    }

    /// The `n × n` identity.
    @inlinable
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, columns: n)
        for i in 0..<n { m.storage[i * n + i] = 1 }
        return m
    }

    /// The distribution of a random matrix's entries.
    public enum Distribution: Sendable {
        /// Uniform on `[lower, upper)`.
        case uniform(lower: Double, upper: Double)
        /// Normal with this mean and standard deviation.
        case normal(mean: Double, standardDeviation: Double)
    }

    /// A matrix of independent random entries; the same seed gives the same matrix.
    public static func random(rows: Int, columns: Int,
                              distribution: Distribution = .normal(mean: 0, standardDeviation: 1),
                              seed: UInt64) -> Matrix {
        var generator = SeededGenerator(seed: seed)
        return random(rows: rows, columns: columns, distribution: distribution, using: &generator)
    }

    /// A matrix of independent random entries drawn from `generator`.
    public static func random(rows: Int, columns: Int, distribution: Distribution,
                              using generator: inout SeededGenerator) -> Matrix {
        random(rows: rows, columns: columns, distribution: distribution, using: &generator, keepingRows: 0..<rows)
    }

    /// Rows `keep` of the `rows` × `columns` matrix ``random(rows:columns:distribution:using:)``
    /// draws: the generator goes through every entry, so each process of a distributed job holds
    /// its share of the one matrix a single process draws (keep.count × columns).
    public static func random(rows: Int, columns: Int, distribution: Distribution,
                              using generator: inout SeededGenerator, keepingRows keep: Range<Int>) -> Matrix {
        precondition(keep.lowerBound >= 0 && keep.upperBound <= rows, "kept rows within the drawn rows")
        var m = Matrix(rows: keep.count, columns: columns)
        let skip = keep.lowerBound * columns, end = keep.upperBound * columns
        for i in 0..<(rows * columns) {
            let value: Scalar
            switch distribution {
            case let .uniform(lower, upper): value = Scalar(lower + (upper - lower) * generator.nextUnit())
            case let .normal(mean, sd): value = Scalar(mean + sd * generator.nextGaussian())
            }
            if i >= skip && i < end { m.storage[i - skip] = value }
        }
        return m
    }

    /// Element access. Indices are checked.
    @inlinable
    public subscript(row: Int, column: Int) -> Scalar {
        get {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "matrix index out of range")
            return storage[row * columns + column]
        }
        set {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "matrix index out of range")
            storage[row * columns + column] = newValue
        }
    }

    /// Row `i` as a new array.
    @inlinable
    public func row(_ i: Int) -> [Scalar] {
        precondition(i >= 0 && i < rows, "row index out of range")
        return Array(storage[i * columns ..< (i + 1) * columns])
    }

    /// Replaces row `i`.
    @inlinable
    public mutating func setRow(_ i: Int, to values: [Scalar]) {
        precondition(i >= 0 && i < rows, "row index out of range")
        precondition(values.count == columns, "row length \(values.count) does not match \(columns) columns")
        storage.replaceSubrange(i * columns ..< (i + 1) * columns, with: values)
    }

    /// Column `j` as a new array.
    @inlinable
    public func column(_ j: Int) -> [Scalar] {
        precondition(j >= 0 && j < columns, "column index out of range")
        return (0..<rows).map { storage[$0 * columns + j] }
    }

    /// Rows `range` as a new matrix.
    @inlinable
    public func rows(_ range: Range<Int>) -> Matrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "row range out of bounds")
        // Safe: the slice holds exactly range.count * columns elements.
        return try! Matrix(rows: range.count, columns: columns,
                           elements: Array(storage[range.lowerBound * columns ..< range.upperBound * columns]))
    }

    /// Calls `body` with the row-major buffer.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with the mutable row-major buffer. `body` must not change the buffer's size.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer(body)
    }
}

extension Matrix: CustomStringConvertible {
    public var description: String {
        let shown = (0..<min(rows, 8)).map { i in
            (0..<min(columns, 8)).map { "\(self[i, $0])" }.joined(separator: " ") + (columns > 8 ? " …" : "")
        }
        return "Matrix<\(Scalar.self)> \(shape)\n" + shown.joined(separator: "\n") + (rows > 8 ? "\n…" : "")
    }
}
