import Foundation
import DenseLinalg

/// Errors of the factorization kernels, each with a message a person understands.
public enum FactorizationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input matrix has no rows, no columns or no stored entries.
    case emptyInput(operation: String)
    /// The requested rank does not fit the matrix.
    case rankTooLarge(operation: String, rank: Int, rows: Int, columns: Int)
    /// A hyperparameter is out of its range.
    case invalidParameter(name: String, value: String, expected: String)
    /// Input contains NaN or infinity.
    case nonFiniteInput(operation: String)
    /// NMF was given a negative entry.
    case negativeInput(operation: String, row: Int, column: Int, value: Float)
    /// A dense result would not fit in memory.
    case tooLarge(operation: String, requiredBytes: Int, availableBytes: Int)
    /// Factors of the wrong shape were passed in.
    case shapeMismatch(operation: String, expected: String, got: String)
    /// Training ended with NaN or infinity in its result (factors, weights, biases): the
    /// hyperparameters overflowed single precision. `advice` says which to change.
    case nonFiniteResult(operation: String, what: String, advice: String)

    public var description: String {
        switch self {
        case let .emptyInput(operation):
            return "\(operation): the input matrix is empty"
        case let .rankTooLarge(operation, rank, rows, columns):
            return "\(operation): rank \(rank) is larger than min(rows, columns) = min(\(rows), \(columns)) = \(min(rows, columns))"
        case let .invalidParameter(name, value, expected):
            return "invalid \(name) \(value): expected \(expected)"
        case let .nonFiniteInput(operation):
            return "\(operation): input contains NaN or infinity"
        case let .negativeInput(operation, row, column, value):
            return "\(operation): needs non-negative input, found \(value) at (\(row), \(column))"
        case let .tooLarge(operation, required, available):
            return "\(operation): needs \(formatBytes(required)) of memory, more than the \(formatBytes(available)) available"
        case let .shapeMismatch(operation, expected, got):
            return "\(operation): expected \(expected), got \(got)"
        case let .nonFiniteResult(operation, what, advice):
            return "\(operation): training produced NaN or infinity in the \(what); \(advice)"
        }
    }
}

/// "1.5 GiB", "512 MiB", "12 KiB".
func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes), unit = 0
    while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}

/// Throws ``FactorizationError/nonFiniteResult(operation:what:advice:)`` unless every element
/// of `values` is finite: a kernel's last check before it returns a model.
package func requireFiniteResult(_ values: [Float], _ operation: String, _ what: String, advice: String) throws {
    guard values.allSatisfy(\.isFinite) else {
        throw FactorizationError.nonFiniteResult(operation: operation, what: what, advice: advice)
    }
}

/// Throws ``FactorizationError/tooLarge(operation:requiredBytes:availableBytes:)`` unless
/// `count` single-precision values (a product of sizes, checked for overflow) fit in the memory
/// available: the bound on every size a caller gives before it is allocated.
func requireMemory(for sizes: [Int], copies: Int = 1, _ operation: String) throws {
    var count: Int? = copies * MemoryLayout<Float>.size
    for s in sizes {
        guard let c = count else { break }
        let (product, overflow) = c.multipliedReportingOverflow(by: max(0, s))
        count = overflow ? nil : product
    }
    let available = SystemMemory.availableBytes
    guard let count, count <= available else {
        throw FactorizationError.tooLarge(operation: operation, requiredBytes: count ?? .max, availableBytes: available)
    }
}

/// Checks shared by every kernel: non-empty, finite.
func validate(_ x: SparseMatrix, _ operation: String) throws {
    guard x.rows > 0, x.columns > 0, x.nnz > 0 else { throw FactorizationError.emptyInput(operation: operation) }
    guard x.isFinite else { throw FactorizationError.nonFiniteInput(operation: operation) }
}

func require(_ condition: Bool, _ name: String, _ value: Any, _ expected: String) throws {
    if !condition { throw FactorizationError.invalidParameter(name: name, value: "\(value)", expected: expected) }
}

/// Throws ``FactorizationError/negativeInput(operation:row:column:value:)`` naming the first
/// negative entry, for kernels that need non-negative data.
func requireNonNegative(_ x: SparseMatrix, _ operation: String) throws {
    guard let p = x.values.firstIndex(where: { $0 < 0 }) else { return }
    // The row whose range holds p: the last row starting at or before it.
    let row = x.rowPointers.lastIndex { $0 <= p }!
    throw FactorizationError.negativeInput(operation: operation, row: row, column: Int(x.columnIndices[p]), value: x.values[p])
}
