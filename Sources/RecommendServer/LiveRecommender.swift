import DenseLinalg
import Factorization
import FeedbackStore
import Foundation
import Recommend
import Synchronization

/// The models a service answers from, loaded together and replaced together on reload.
public final class ModelSnapshot: Sendable {
    /// The main model (``SavedModel``): users, similar titles, visitors.
    public let saved: SavedModel
    /// The session model: the one given apart, or the main model when it is one.
    public let session: SavedModel?
    /// The main model's scoring of a grown history (nil for nmf, userknn, session).
    let scorer: HistoryScorer?
    let coldStart: ColdStart
    /// 1 for the models loaded at start-up, +1 at every reload.
    public let version: Int

    /// - Throws: what building the history scorer throws (never for a model file that loaded).
    public init(saved: SavedModel, session: SavedModel?, version: Int) throws {
        self.saved = saved
        self.session = session ?? (saved.model is SessionRecommender ? saved : nil)
        scorer = try HistoryScorer(model: saved.model)
        coldStart = ColdStart(history: saved.history, model: saved.model)
        self.version = version
    }

    /// Reads the model files (`sessionPath` optional) as version `version`.
    /// - Throws: ``ModelFileError`` for a missing or bad file; ``RecommenderError`` when
    ///   `sessionPath` holds something else than a session model.
    public static func load(model path: String, session sessionPath: String?, version: Int) throws -> ModelSnapshot {
        let saved = try SavedModel.read(path: path)
        let session = try sessionPath.map { try SavedModel.read(path: $0) }
        if let session, !(session.model is SessionRecommender) {
            throw RecommenderError.notSessionModel(model: session.model.name)
        }
        return try ModelSnapshot(saved: saved, session: session, version: version)
    }
}

/// A request the service refuses, with its HTTP status and the message its JSON error body
/// carries.
public struct APIError: Error, Sendable, Equatable {
    public var status: Int
    public var message: String
    public init(_ status: Int, _ message: String) { self.status = status; self.message = message }

    static func badRequest(_ message: String) -> APIError { APIError(400, message) }
    static func notFound(_ message: String) -> APIError { APIError(404, message) }
}

/// Answers by raw id from the current ``ModelSnapshot`` and what users did since training: the
/// live half of `rectrain serve`, without HTTP.
///
/// Every user's feedback (raw title ids, in arrival order) is kept in memory; for a user the
/// model knows, the history that scores and excludes is the training history plus that
/// feedback, and the model's ``HistoryScorer`` profile (the ALS fold-in, the SVD projection) is
/// recomputed when feedback arrives, so the next request reflects it without retraining. A user
/// the model does not know is served by the cold-start path (``ColdStart``) from their feedback.
/// A reload swaps the snapshot atomically; requests that started keep the old one, and the
/// users' profiles are recomputed against the new one on their next request.
public final class LiveRecommender: Sendable {
    /// An answer and the snapshot's model that gave it.
    public struct Answer: Sendable {
        public var recommendations: Recommendations
        /// The main model's name (the session model's for sessions).
        public var model: String
        public var version: Int
    }

    struct UserFeedback {
        var items: [String] = []
        /// The same titles by their bytes (ids are opaque: no Unicode normalisation).
        var itemSet: Set<RawID> = []
        /// The inner history and profile for the snapshot `version`.
        var cache: LiveState?
    }

    /// A user's history for one snapshot: training plus feedback, by inner index.
    struct LiveState {
        var version: Int
        var history: [Int]
        /// Whether the feedback added titles the model knows and the training history lacks:
        /// only then do scores differ from the trained model's (a fold-in of an unchanged
        /// history would move the answer for nothing).
        var grown: Bool
        var profile: HistoryScorer.Profile?
    }

    let current: Mutex<ModelSnapshot>
    let users = Mutex<[RawID: UserFeedback]>([:])

    public init(_ snapshot: ModelSnapshot) {
        current = Mutex(snapshot)
    }

    /// The snapshot requests read now.
    public var snapshot: ModelSnapshot { current.withLock { $0 } }

    /// Replaces the snapshot (requests in flight finish on the old one).
    public func swap(_ snapshot: ModelSnapshot) {
        current.withLock { $0 = snapshot }
    }

    /// Users with feedback.
    public var usersWithFeedback: Int { users.withLock { $0.count } }

    /// The feedback titles of `user`, in arrival order (each once).
    public func feedback(of user: String) -> [String] {
        users.withLock { $0[RawID(user)]?.items ?? [] }
    }

    /// Adds stored events to the users' histories and recomputes the profiles of the users they
    /// touch against the current snapshot. Returns how many events name a title the model does
    /// not know (kept: a later model may know it).
    @discardableResult
    public func apply(_ events: [FeedbackEvent]) throws -> Int {
        let snapshot = self.snapshot
        var unknown = 0
        var touched = Set<RawID>()
        users.withLock { users in
            for e in events {
                if snapshot.saved.itemIDs.index(of: e.item) == nil { unknown += 1 }
                let user = RawID(e.user)
                // In place: O(1) per event, whatever the length of the history.
                if users[user, default: UserFeedback()].itemSet.insert(RawID(e.item)).inserted {
                    users[user]!.items.append(e.item)
                    users[user]!.cache = nil
                    touched.insert(user)
                }
            }
        }
        for user in touched { _ = try state(of: user.string, in: snapshot) }
        return unknown
    }

    /// The inner history (training plus feedback) and profile of `user` for `snapshot`,
    /// computed when stale; nil for a user without feedback.
    func state(of user: String, in snapshot: ModelSnapshot) throws -> LiveState? {
        let key = RawID(user)
        // The cache, or a copy of the titles to compute it from (outside the lock).
        let found: (cache: LiveState?, items: [String])? = users.withLock { users in
            guard let entry = users[key] else { return nil }
            if let cache = entry.cache, cache.version == snapshot.version { return (cache, []) }
            return (nil, entry.items)
        }
        guard let found else { return nil }
        if let cache = found.cache { return cache }
        let saved = snapshot.saved
        let u = saved.userIDs.index(of: user)
        var history = u.map { saved.history.row($0).columns.map(Int.init) } ?? []
        let trained = history.count
        var seen = Set(history)
        for id in found.items { if let i = saved.itemIDs.index(of: id), seen.insert(i).inserted { history.append(i) } }
        let grown = history.count > trained
        let profile = u != nil && grown ? try snapshot.scorer?.profile(history: history) : nil
        let state = LiveState(version: snapshot.version, history: history, grown: grown, profile: profile)
        users.withLock { users in
            // Store unless more feedback arrived meanwhile (that request computes its own).
            if users[key]?.items.count == found.items.count { users[key]?.cache = state }
        }
        return state
    }

    /// Top-`count` titles for `user` (see the type's discussion), never any in their history or
    /// in `exclude`.
    public func recommend(user: String, count: Int, explain: Bool, exclude: [String]) throws -> Answer {
        let snapshot = self.snapshot
        let saved = snapshot.saved
        let live = try state(of: user, in: snapshot)
        let count = min(count, saved.itemIDs.count)
        guard let u = saved.userIDs.index(of: user) else {
            return try coldStart(snapshot, history: live?.history ?? [], exclude: exclude, count: count)
        }
        // One user's scores (a GEMV for factor models) and the shared selection: the batch
        // top-N path's checks and copies cost more than the scoring at this size.
        if explain { try saved.checkExplains() }
        // The history that scores and is excluded: training plus feedback (the live state holds both).
        let history = live?.history ?? saved.history.row(u).columns.map(Int.init)
        var seen = [Bool](repeating: false, count: saved.itemIDs.count)
        for i in history { seen[i] = true }
        for id in exclude { if let i = saved.itemIDs.index(of: id) { seen[i] = true } }
        let scores: [Float]
        if let live, live.grown, let scorer = snapshot.scorer {
            scores = try scorer.scores(history: live.history, profile: live.profile)
        } else {
            scores = try saved.model.scores(user: u)
        }
        let list = TopN.best(scores, count: count) { !seen[$0] }
        return Answer(recommendations: Recommendations(strategy: saved.model.name, items: saved.items(list, explainedBy: explain ? history : nil)),
                      model: saved.model.name, version: snapshot.version)
    }

    /// The cold-start answer for `history` (inner indices), never a title of `exclude`.
    func coldStart(_ snapshot: ModelSnapshot, history: [Int], exclude: [String], count: Int) throws -> Answer {
        let saved = snapshot.saved
        let (list, strategy) = try snapshot.coldStart.recommend(history: history, count: min(count, saved.itemIDs.count),
                                                                excluding: Set(exclude.compactMap(saved.itemIDs.index(of:))))
        return Answer(recommendations: Recommendations(strategy: "cold-start: \(strategy.rawValue)", items: saved.items(list, explainedBy: nil)),
                      model: saved.model.name, version: snapshot.version)
    }

    /// Top-`count` for a visitor who watched `history` (raw ids; unknown ones are ignored):
    /// the cold-start path (ALS fold-in, content, the model's history scoring, popularity).
    public func recommend(history: [String], count: Int, exclude: [String]) throws -> Answer {
        let snapshot = self.snapshot
        return try coldStart(snapshot, history: history.compactMap(snapshot.saved.itemIDs.index(of:)), exclude: exclude, count: count)
    }

    /// The session model's next titles after `items` (raw ids, oldest first).
    /// - Throws: ``APIError`` 404 when no session model is loaded.
    public func next(session items: [String], count: Int) throws -> Answer {
        let snapshot = self.snapshot
        guard let session = snapshot.session else {
            throw APIError.notFound("no session model is loaded: start the server with --session-model FILE (a model trained with --model session)")
        }
        return Answer(recommendations: try session.recommend(session: items, count: count), model: session.model.name, version: snapshot.version)
    }

    /// The titles most similar to `item`.
    public func similar(item: String, count: Int) throws -> (answer: Answer, title: String) {
        let snapshot = self.snapshot
        let saved = snapshot.saved
        guard let i = saved.itemIDs.index(of: item) else {
            throw APIError.notFound("unknown item \"\(item)\": the model was trained on \(saved.itemIDs.count) items")
        }
        let items = try saved.similar(item: item, count: count)
        return (Answer(recommendations: Recommendations(strategy: saved.model.name, items: items), model: saved.model.name, version: snapshot.version),
                saved.titles[i])
    }
}
