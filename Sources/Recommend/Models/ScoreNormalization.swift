/// The one score normalisation of the ensembles and the cold-start blend: min–max, so that
/// scores of different models (counts, cosines, factor products) can be weighted and added.
public enum ScoreNormalization {
    /// (s − min) / (max − min) over the entries not `excluded`, which become 0; all zeros when
    /// every kept score is equal. Length and order of `scores` are kept.
    public static func minMax(_ scores: [Float], excluding excluded: [Bool]) -> [Float] {
        var lo = Float.infinity, hi = -Float.infinity
        for j in scores.indices where !excluded[j] { lo = min(lo, scores[j]); hi = max(hi, scores[j]) }
        guard hi > lo else { return [Float](repeating: 0, count: scores.count) }
        let scale = 1 / (hi - lo)
        return scores.indices.map { excluded[$0] ? 0 : (scores[$0] - lo) * scale }
    }

    /// The same over every entry.
    public static func minMax(_ scores: [Float]) -> [Float] {
        minMax(scores, excluding: [Bool](repeating: false, count: scores.count))
    }

    /// The same with the excluded entries as a set of indices (those outside `scores` ignored).
    public static func minMax(_ scores: [Float], excluding excluded: Set<Int>) -> [Float] {
        var mask = [Bool](repeating: false, count: scores.count)
        for i in excluded where i >= 0 && i < scores.count { mask[i] = true }
        return minMax(scores, excluding: mask)
    }
}
