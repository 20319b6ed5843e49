import DenseLinalg
import Foundation

/// The values `rectrain tune` tries for one hyperparameter (``ModelRegistration/search``).
public enum SearchRange: Sendable, Equatable, CustomStringConvertible {
    /// A real value, uniform in [lower, upper].
    case uniform(Double, Double)
    /// A positive real value, uniform in log scale over [lower, upper] (penalties, slopes).
    case logUniform(Double, Double)
    /// A positive integer, uniform in log scale over [lower, upper] (factors, neighbours).
    case integers(Int, Int)

    public var description: String {
        switch self {
        case let .uniform(a, b): return "\(Self.text(a))…\(Self.text(b))"
        case let .logUniform(a, b): return "\(Self.text(a))…\(Self.text(b)) (log)"
        case let .integers(a, b): return "\(a)…\(b) (log, integers)"
        }
    }

    /// The value at position `u` in [0, 1] of the range (log scale where the range is), rounded
    /// to three significant digits (integers to the nearest one) so that trials read well and
    /// a saved configuration is short.
    public func value(at u: Double) -> Double {
        let u = min(1, max(0, u))
        switch self {
        case let .uniform(a, b): return Self.rounded(a + u * (b - a))
        case let .logUniform(a, b): return Self.rounded(exp(log(a) + u * (log(b) - log(a))))
        case let .integers(a, b): return (exp(log(Double(a)) + u * (log(Double(b)) - log(Double(a))))).rounded()
        }
    }

    /// Where `value` lies in the range, in [0, 1] (the inverse of ``value(at:)``).
    public func position(of value: Double) -> Double {
        let p: Double
        switch self {
        case let .uniform(a, b): p = (value - a) / (b - a)
        case let .logUniform(a, b): p = value > 0 ? (log(value) - log(a)) / (log(b) - log(a)) : 0
        case let .integers(a, b): p = value > 0 ? (log(value) - log(Double(a))) / (log(Double(b)) - log(Double(a))) : 0
        }
        return p.isFinite ? min(1, max(0, p)) : 0
    }

    /// Whether the range holds integers.
    public var isInteger: Bool { if case .integers = self { return true } else { return false } }

    static func rounded(_ x: Double) -> Double { Double(String(format: "%.3g", x)) ?? x }

    /// `x` as the command line would write it: no trailing ".0".
    static func text(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
    }
}

extension Hyperparameter {
    /// The key in a saved configuration's JSON: the name in snake case (`regularization_exponent`).
    public var jsonKey: String {
        rawValue.reduce(into: "") { out, c in if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) } }
    }

    /// The hyperparameter of a JSON key (``jsonKey``), nil for an unknown one.
    public init?(jsonKey: String) {
        guard let match = Hyperparameter.allCases.first(where: { $0.jsonKey == jsonKey }) else { return nil }
        self = match
    }
}

extension ModelOptions {
    /// The value of `parameter` as text (as on the command line), nil when not given.
    public func text(of parameter: Hyperparameter) -> String? {
        // Float's description is its shortest exact form ("0.1"); "30.0" is written "30".
        func number(_ x: Float?) -> String? { x.map { "\($0)".hasSuffix(".0") ? String("\($0)".dropLast(2)) : "\($0)" } }
        switch parameter {
        case .factors: return factors.map(String.init)
        case .iterations: return iterations.map(String.init)
        case .regularization: return number(regularization)
        case .regularizationExponent: return number(regularizationExponent)
        case .alpha: return number(alpha)
        case .beta: return number(beta)
        case .neighbors: return neighbors.map(String.init)
        case .shrinkage: return number(shrinkage)
        case .dropout: return number(dropout)
        case .userWeightExponent: return number(userWeightExponent)
        case .confidence: return confidence?.description
        case .learnWeights: return learnWeights.map { $0 ? "true" : "false" }
        }
    }

    /// Sets `parameter` from text (as on the command line or in a saved configuration).
    /// - Throws: ``RecommenderError/invalidParameter(model:name:value:expected:)`` for text that
    ///   is not a value of the parameter's type (bounds are checked by ``validate(model:)``).
    public mutating func set(_ parameter: Hyperparameter, text: String) throws {
        func fail(_ expected: String) -> RecommenderError {
            .invalidParameter(model: nil, name: parameter.rawValue, value: text, expected: expected)
        }
        func integer() throws -> Int {
            if let n = Int(text) { return n }
            // 128.0 from a JSON number is an integer too.
            if let x = Double(text), x == x.rounded(), abs(x) < 1e9 { return Int(x) }
            throw fail("an integer")
        }
        func real() throws -> Float {
            guard let x = Float(text) else { throw fail("a number") }
            return x
        }
        switch parameter {
        case .factors: factors = try integer()
        case .iterations: iterations = try integer()
        case .regularization: regularization = try real()
        case .regularizationExponent: regularizationExponent = try real()
        case .alpha: alpha = try real()
        case .beta: beta = try real()
        case .neighbors: neighbors = try integer()
        case .shrinkage: shrinkage = try real()
        case .dropout: dropout = try real()
        case .userWeightExponent: userWeightExponent = try real()
        case .confidence:
            guard let c = ConfidenceSource(text) else { throw fail("binary, linear or log[:ε]") }
            confidence = c
        case .learnWeights:
            switch text.lowercased() {
            case "true", "on", "1": learnWeights = true
            case "false", "off", "0": learnWeights = false
            default: throw fail("true or false")
            }
        }
    }

    /// These options with every parameter `other` gives taken from it (the command line over a
    /// saved configuration).
    public func overridden(by other: ModelOptions) -> ModelOptions {
        var out = self
        if let v = other.factors { out.factors = v }
        if let v = other.iterations { out.iterations = v }
        if let v = other.regularization { out.regularization = v }
        if let v = other.regularizationExponent { out.regularizationExponent = v }
        if let v = other.alpha { out.alpha = v }
        if let v = other.beta { out.beta = v }
        if let v = other.neighbors { out.neighbors = v }
        if let v = other.shrinkage { out.shrinkage = v }
        if let v = other.dropout { out.dropout = v }
        if let v = other.userWeightExponent { out.userWeightExponent = v }
        if let v = other.confidence { out.confidence = v }
        if let v = other.learnWeights { out.learnWeights = v }
        return out
    }
}
