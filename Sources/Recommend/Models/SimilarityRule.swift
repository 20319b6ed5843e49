import Factorization

/// The one rule for "similar titles", whatever the model: a title is a neighbour of another only
/// with a positive similarity beyond single-precision rounding. Cosine similarities (item-kNN,
/// content TF-IDF, factor rows) have scale 1; EASE weights are measured against the largest
/// weight of the title's row. A title that shares nothing with any other (no co-viewer, no
/// token, an orthogonal factor row) therefore has no neighbours, never a list of zeros.
public enum SimilarityRule {
    /// Similarities at or below this fraction of the scale are rounding, not evidence: a dot
    /// product of k unit-length single-precision rows errs by up to about k·2⁻²⁴ (6·10⁻⁶ at
    /// k = 100).
    public static let threshold: Float = 1e-5

    /// The best `count` neighbours of `item` among `similarities` (one per title, the title's
    /// own entry ignored) that pass the rule, best first.
    /// Below this no similarity counts, whatever its scale (an EASE weight of 10⁻⁶ moves no score).
    public static let absoluteFloor: Float = 1e-6

    public static func neighbors(_ similarities: [Float], of item: Int?, count: Int, scale: Float = 1) -> [(index: Int, score: Float)] {
        let floor = max(threshold * scale, absoluteFloor)
        return TopN.best(similarities, count: count) { $0 != item && similarities[$0] > floor }
    }

    /// Whether one similarity passes the rule.
    public static func admits(_ similarity: Float, scale: Float = 1) -> Bool { similarity > max(threshold * scale, absoluteFloor) }
}
