import DenseLinalg
import Factorization
import Foundation

/// Top-N for every user of a saved model, written as CSV block by block (Spark's
/// `recommendForAllUsers`, to a file): memory is bounded by a block of users (at most
/// `blockUsers` × titles scores at once), not by the number of users.
///
/// The file has the header `user,rank,item,score` and one row per recommendation, users in
/// their inner order (first appearance in the training data), ranks from 1; scores in Swift's
/// shortest round-trip form. Each user's list excludes their training titles; the lists do not
/// depend on the block size or the thread count (factor models' scores may differ in their last
/// bits, as OpenBLAS rounds a GEMM row by the rows around it). The file is written atomically.
public enum BatchTopN {
    public struct Summary: Sendable {
        public var users: Int
        public var rows: Int
        public var seconds: Double
    }

    /// Writes every user's top `count` to `path`.
    /// - Parameters: `blockUsers` users scored together (≥ 1); `threads` for the scoring;
    ///   `progress` gets (users done, users) after each block.
    /// - Throws: ``RecommenderError`` for a count below 1, ``DataError`` when `path` cannot be
    ///   written.
    public static func write(_ saved: SavedModel, to path: String, count: Int, blockUsers: Int = 1_024, threads: Int = 1,
                             progress: (Int, Int) -> Void = { _, _ in }) throws -> Summary {
        guard count > 0 else { throw RecommenderError.invalidInput(model: saved.model.name, reason: "count must be positive, got \(count)") }
        guard blockUsers > 0 else { throw RecommenderError.invalidInput(model: saved.model.name, reason: "block size must be positive, got \(blockUsers)") }
        let start = Date()
        let users = saved.model.trainedUsers
        var rows = 0
        try AtomicFile.write(to: path) { handle in
            var out = CSVByteWriter(handle)
            out.text("user,rank,item,score")
            try out.endRow()
            var lo = 0
            while lo < users {
                let hi = min(users, lo + blockUsers)
                let block = Array(lo..<hi)
                let lists = try saved.model.recommend(users: block, count: count, excluding: saved.history, threads: threads)
                for (b, u) in block.enumerated() {
                    let user = saved.userIDs.id(at: u)
                    for (r, entry) in lists.neighbors(of: b).enumerated() {
                        out.quoted(user); out.comma()
                        out.int(r + 1); out.comma()
                        out.quoted(saved.itemIDs.id(at: entry.index)); out.comma()
                        out.text("\(entry.score)")
                        try out.endRow()
                        rows += 1
                    }
                }
                progress(hi, users)
                lo = hi
            }
            try out.flush()
        }
        return Summary(users: users, rows: rows, seconds: Date().timeIntervalSince(start))
    }
}
