import DenseLinalg
import Factorization
import Foundation

/// Each model's section of a saved-model payload: its kind, its hyperparameters as a
/// string table, then its arrays. The training history is stored once, before the model, and
/// handed back to every model (and hybrid member) that keeps it.
extension ModelArchive {
    static func encode(_ model: any Recommender, into w: inout ArchiveWriter) throws {
        w.string(model.name)
        switch model {
        case let m as PopularityRecommender:
            w.table(["half_life_days": m.halfLifeDays.map { "\($0)" } ?? ""])
            w.floats(m.popularity)
        case let m as ItemKNNRecommender:
            w.table(["neighbors": "\(m.neighbors)", "shrinkage": "\(m.shrinkage)"])
            w.neighbors(m.similar)
        case let m as UserKNNRecommender:
            w.table(["neighbors": "\(m.neighbors)", "shrinkage": "\(m.shrinkage)"])
            w.neighbors(m.similar)
        case let m as ContentRecommender:
            guard let vectors = m.itemVectors else { throw unfitted(m) }
            w.table([:])
            w.sparse(vectors); w.floats(m.prior); w.strings(m.vocabulary.ids); w.floats(m.idf)
        case let m as PureSVDRecommender:
            guard let u = m.userFactors, let v = m.itemFactors else { throw unfitted(m) }
            w.table(["factors": "\(m.factors)"])
            w.matrix(u); w.matrix(v)
        case let m as NMFRecommender:
            guard let u = m.userFactors, let v = m.itemFactors else { throw unfitted(m) }
            w.table(["factors": "\(m.factors)", "iterations": "\(m.iterations)"])
            w.matrix(u); w.matrix(v)
        case let m as ALSRecommender:
            guard let model = m.model else { throw unfitted(m) }
            w.table(alsTable(model.configuration))
            w.matrix(model.userFactors); w.matrix(model.itemFactors)
        case let m as ExplicitALSRecommender:
            guard let model = m.model else { throw unfitted(m) }
            let c = m.configuration
            w.table(["factors": "\(c.factors)", "regularization": "\(c.regularization)", "iterations": "\(c.iterations)",
                     "bias_regularization": "\(c.biasRegularization)", "initial_scale": "\(c.initialScale)"])
            w.float(model.globalMean); w.float(model.ratingScale.lowerBound); w.float(model.ratingScale.upperBound)
            w.floats(model.userBias); w.floats(model.itemBias)
            w.matrix(model.userFactors); w.matrix(model.itemFactors)
        case let m as EASERecommender:
            guard let weights = m.weights else { throw unfitted(m) }
            w.table(["regularization": "\(m.regularization)"])
            w.matrix(weights)
        case let m as SessionRecommender:
            w.table(["neighbors": "\(m.neighbors)", "sample_size": "\(m.sampleSize)", "window": "\(m.window)", "rule_weight": "\(m.ruleWeight)",
                     "history_length": "\(m.historyLength)"])
            w.int(m.sessionsOf.count)
            w.ints(m.sessions.map(\.count)); w.int32s(m.sessions.flatMap { $0 })
            w.ints(m.recent.map(\.count)); w.int32s(m.recent.flatMap { $0 })
        case let m as HybridRecommender:
            w.table(["learn_weights": "\(m.learnWeights)"])
            w.int(m.members.count)
            for (member, weight) in m.members {
                guard !(member is HybridRecommender) else { throw RecommenderError("hybrid: a hybrid member cannot be saved (members are single models)") }
                w.float(weight)
                try encode(member, into: &w)
            }
        default:
            throw RecommenderError("\(model.name): this model cannot be saved")
        }
    }

    static func unfitted(_ model: any Recommender) -> RecommenderError { RecommenderError("\(model.name): fit before saving") }

    static func alsTable(_ c: ImplicitALSConfiguration) -> [String: String] {
        var t = ["factors": "\(c.factors)", "regularization": "\(c.regularization)", "alpha": "\(c.alpha)", "iterations": "\(c.iterations)"]
        switch c.confidence {
        case .linear: t["confidence"] = "linear"
        case let .logarithmic(epsilon): t["confidence"] = "log:\(epsilon)"
        }
        switch c.solver {
        case .cholesky: t["solver"] = "cholesky"
        case let .conjugateGradient(steps): t["solver"] = "cg:\(steps)"
        }
        return t
    }

    /// Reads one model section; `history` is the users × items training history.
    /// - Parameter member: decoding a hybrid's member, which is never a hybrid itself (so a
    ///   crafted file cannot nest hybrids and recurse without bound).
    static func decode(_ r: inout ArchiveReader, history: SparseMatrix, member: Bool = false) throws -> any Recommender {
        let kind = try r.string()
        let p = Hyperparameters(table: try r.table(), kind: kind, reader: r)
        let users = history.rows, items = history.columns
        func check(_ ok: Bool, _ what: String) throws { if !ok { throw r.fail("\(kind): \(what) does not match \(users) users × \(items) items") } }
        func factors(_ rank: Int) throws -> (Matrix<Float>, Matrix<Float>) {
            let u = try r.matrix(), v = try r.matrix()
            try check(u.rows == users && v.rows == items && u.columns == v.columns, "factor shape \(u.rows)×\(u.columns), \(v.rows)×\(v.columns)")
            return (u, v)
        }
        switch kind {
        case "popular":
            var m = PopularityRecommender(halfLifeDays: Double(try p.string("half_life_days")))
            m.popularity = try r.floats()
            try check(m.popularity.count == items, "popularity length \(m.popularity.count)")
            m.trainedUsers = users
            return m
        case "itemknn":
            var m = ItemKNNRecommender(neighbors: try p.int("neighbors"), shrinkage: try p.float("shrinkage"))
            m.similar = try r.neighbors()
            try check(m.similar.count == items && m.similar.indices.allSatisfy { $0 < items }, "neighbour list")
            m.history = history
            return m
        case "userknn":
            var m = UserKNNRecommender(neighbors: try p.int("neighbors"), shrinkage: try p.float("shrinkage"))
            m.similar = try r.neighbors()
            try check(m.similar.count == users && m.similar.indices.allSatisfy { $0 < users }, "neighbour list")
            m.history = history
            return m
        case "content":
            var m = ContentRecommender()
            let vectors = try r.sparse()
            m.prior = try r.floats()
            m.vocabulary = IDMap(try r.strings())
            m.idf = try r.floats()
            try check(vectors.rows == items && m.prior.count == items && m.idf.count == vectors.columns
                      && m.vocabulary.count == vectors.columns, "content vectors")
            m.itemVectors = vectors
            m.history = history
            return m
        case "svd":
            var m = PureSVDRecommender(factors: try p.int("factors"))
            (m.userFactors, m.itemFactors) = try factors(m.factors)
            return m
        case "nmf":
            var m = NMFRecommender(factors: try p.int("factors"), iterations: try p.int("iterations"))
            (m.userFactors, m.itemFactors) = try factors(m.factors)
            return m
        case "als":
            var c = ALSRecommender.defaults
            c.factors = try p.int("factors"); c.regularization = try p.float("regularization")
            c.alpha = try p.float("alpha"); c.iterations = try p.int("iterations")
            let confidence = try p.string("confidence"), solver = try p.string("solver")
            if confidence.hasPrefix("log:"), let e = Float(confidence.dropFirst(4)) { c.confidence = .logarithmic(epsilon: e) }
            if solver == "cholesky" { c.solver = .cholesky } else if solver.hasPrefix("cg:"), let s = Int(solver.dropFirst(3)) { c.solver = .conjugateGradient(steps: s) }
            let (u, v) = try factors(c.factors)
            // The fold-in of cold-start users runs with these settings: they must match the factors.
            try check(c.factors == u.columns && c.alpha.isFinite && c.regularization >= 0, "hyperparameters")
            var m = ALSRecommender(configuration: c)
            m.model = ImplicitALSModel(userFactors: u, itemFactors: v, configuration: c, lossHistory: [])
            return m
        case "als-explicit":
            var c = ExplicitALSRecommender.defaults
            c.factors = try p.int("factors"); c.regularization = try p.float("regularization"); c.iterations = try p.int("iterations")
            c.biasRegularization = try p.float("bias_regularization"); c.initialScale = try p.float("initial_scale")
            let mean = try r.float(), lo = try r.float(), hi = try r.float()
            let userBias = try r.floats(), itemBias = try r.floats()
            let (u, v) = try factors(c.factors)
            try check(userBias.count == users && itemBias.count == items && lo <= hi, "biases or rating scale")
            var m = ExplicitALSRecommender(configuration: c)
            m.model = ExplicitALSModel(globalMean: mean, userBias: userBias, itemBias: itemBias, userFactors: u, itemFactors: v,
                                       ratingScale: lo...hi)
            return m
        case "ease":
            var m = EASERecommender(regularization: try p.float("regularization"))
            let weights = try r.matrix()
            try check(weights.rows == items && weights.columns == items, "weights \(weights.rows)×\(weights.columns)")
            m.weights = weights
            m.history = history
            return m
        case "session":
            var m = SessionRecommender()
            m.neighbors = try p.int("neighbors"); m.sampleSize = try p.int("sample_size")
            m.window = try p.int("window"); m.ruleWeight = try p.float("rule_weight")
            m.historyLength = try p.int("history_length")
            let titles = try r.int()
            let sessions = try ragged(&r, bound: titles), recent = try ragged(&r, bound: titles)
            try check(titles == items && recent.count == users && m.window > 0, "session data")
            try m.fit(sessions, items: titles)
            m.recent = recent
            return m
        case "hybrid":
            guard !member else { throw r.fail("hybrid: corrupted member (a hybrid inside a hybrid)") }
            let learn = try p.string("learn_weights") == "true"
            let count = try r.int()
            guard count > 0 && count < 64 else { throw r.fail("hybrid: corrupted member count \(count)") }
            var members: [(model: any Recommender, weight: Float)] = []
            for _ in 0..<count {
                let weight = try r.float()
                guard weight.isFinite, weight >= 0 else { throw r.fail("hybrid: corrupted member weight \(weight)") }
                members.append((try decode(&r, history: history, member: true), weight))
            }
            var m = HybridRecommender(members: members, learnWeights: learn)
            m.history = history
            return m
        default:
            throw r.fail("unknown model kind \"\(kind)\"")
        }
    }

    /// Arrays of indices stored as their lengths, then all elements; every index below `bound`.
    static func ragged(_ r: inout ArchiveReader, bound: Int) throws -> [[Int32]] {
        let lengths = try r.ints(), flat = try r.int32s()
        // Each length ≤ the elements stored, so the sum of ≤ flat.count + 1 of them cannot overflow.
        guard lengths.allSatisfy({ $0 >= 0 && $0 <= flat.count }), lengths.reduce(0, { min($0 + $1, flat.count + 1) }) == flat.count, flat.allSatisfy({ $0 >= 0 && Int($0) < bound }) else {
            throw r.fail("corrupted index lists")
        }
        var out: [[Int32]] = [], start = 0
        for n in lengths { out.append(Array(flat[start..<(start + n)])); start += n }
        return out
    }

    /// Typed access to a model's hyperparameter table.
    struct Hyperparameters {
        let table: [String: String]
        let kind: String
        let reader: ArchiveReader

        func string(_ key: String) throws -> String {
            guard let v = table[key] else { throw reader.fail("\(kind): hyperparameter \"\(key)\" missing") }
            return v
        }

        func int(_ key: String) throws -> Int {
            guard let v = Int(try string(key)), v > 0 else { throw reader.fail("\(kind): hyperparameter \(key) is not a positive integer") }
            return v
        }

        func float(_ key: String) throws -> Float {
            guard let v = Float(try string(key)), v.isFinite else { throw reader.fail("\(kind): hyperparameter \(key) is not a number") }
            return v
        }
    }
}
