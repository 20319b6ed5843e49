/// The shape of a matrix or vector, as it appears in error messages: `3×4`.
public struct Shape: Hashable, Sendable, CustomStringConvertible {
    public var rows: Int
    public var columns: Int
    public init(_ rows: Int, _ columns: Int) { self.rows = rows; self.columns = columns }
    public var description: String { "\(rows)×\(columns)" }
}

/// Errors thrown by the linear-algebra layer. Each has a message a person understands.
public enum LinalgError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Operand shapes do not fit together.
    case shapeMismatch(operation: String, lhs: Shape, rhs: Shape)
    /// A NaN or infinity was passed to a routine that needs finite input.
    case nonFiniteInput(operation: String)
    /// Cholesky failed: the leading minor of this order is not positive definite.
    case notPositiveDefinite(leadingMinor: Int)
    /// A square matrix was required.
    case notSquare(operation: String, shape: Shape)
    /// An iterative LAPACK routine did not converge.
    case didNotConverge(operation: String, info: Int)
    /// An index lies outside the matrix.
    case indexOutOfRange(operation: String, row: Int, column: Int, shape: Shape)
    /// The same (row, column) entry was given twice where duplicates are rejected.
    case duplicateEntry(row: Int, column: Int)
    /// A dimension does not fit the 32-bit integers BLAS and LAPACK take.
    case dimensionTooLarge(operation: String, value: Int)
    /// A value or argument is outside what the routine accepts.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .shapeMismatch(operation, lhs, rhs):
            return "\(operation): shapes \(lhs) and \(rhs) do not match"
        case let .nonFiniteInput(operation):
            return "\(operation): input contains NaN or infinity"
        case let .notPositiveDefinite(minor):
            return "matrix is not positive definite: leading minor \(minor)"
        case let .notSquare(operation, shape):
            return "\(operation): needs a square matrix, got \(shape)"
        case let .didNotConverge(operation, info):
            return "\(operation): LAPACK did not converge (info \(info))"
        case let .indexOutOfRange(operation, row, column, shape):
            return "\(operation): index (\(row), \(column)) is outside a \(shape) matrix"
        case let .duplicateEntry(row, column):
            return "duplicate entry at (\(row), \(column))"
        case let .dimensionTooLarge(operation, value):
            return "\(operation): dimension \(value) exceeds the 32-bit BLAS/LAPACK limit"
        case let .invalidArgument(message):
            return message
        }
    }
}

extension LinalgError {
    /// Converts a size to the `Int32` BLAS and LAPACK take, or throws.
    static func int32(_ value: Int, _ operation: String) throws -> Int32 {
        guard let v = Int32(exactly: value) else {
            throw LinalgError.dimensionTooLarge(operation: operation, value: value)
        }
        return v
    }
}
