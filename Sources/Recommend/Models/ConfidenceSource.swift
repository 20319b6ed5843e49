import Factorization

/// What implicit ALS computes its confidence cᵤᵢ from (Hu, Koren & Volinsky, ICDM 2008, §4).
public enum ConfidenceSource: Sendable, Equatable, CustomStringConvertible {
    /// Every interacted pair has strength 1: c = 1 + α. What the model sees by default, right
    /// for views and ratings alike.
    case binary
    /// The pair's value x (``TrainingData/strengths``: a count column, or the number of
    /// repeated rows): c = 1 + α·x, or 1 + α·ln(1 + x/ε), as implicit does for play counts.
    case values(ImplicitALSConfiguration.Confidence)

    /// "binary", "linear", "log" (ε = 1) or "log:ε".
    public init?(_ text: String) {
        switch text {
        case "binary": self = .binary
        case "linear": self = .values(.linear)
        case "log": self = .values(.logarithmic(epsilon: 1))
        default:
            guard text.hasPrefix("log:"), let epsilon = Float(text.dropFirst(4)) else { return nil }
            self = .values(.logarithmic(epsilon: epsilon))
        }
    }

    public var description: String {
        switch self {
        case .binary: return "binary"
        case .values(.linear): return "linear"
        case let .values(.logarithmic(epsilon)): return epsilon == 1 ? "log" : "log:\(epsilon)"
        }
    }
}
