import DenseLinalg
import Factorization
import Foundation

/// A model that saves itself into a model file (RECMODEL v1): after its kind, its section is its
/// hyperparameters as a string table, then its arrays. The training history is stored once,
/// before the model, and handed back through ``ModelArchive/Context``.
protocol PersistentModel: RegisteredModel {
    /// Writes the model's section (the kind is written by ``ModelArchive/encode(_:into:)``).
    /// - Throws: ``RecommenderError/notFitted(model:)`` before `fit`.
    func encode(into w: inout ArchiveWriter) throws
    /// Reads the section written by ``encode(into:)``; `p` is its hyperparameter table.
    /// - Throws: ``ModelFileError`` naming the file for anything that does not match.
    static func decode(_ r: inout ArchiveReader, _ p: ModelArchive.Hyperparameters, _ c: ModelArchive.Context) throws -> Self
}

/// Each model's section of a saved-model payload: its kind, then what the model writes.
extension ModelArchive {
    /// What a model's decoder may check its arrays against.
    struct Context {
        /// users × items, 1 for every training interaction.
        let history: SparseMatrix
        /// Decoding a hybrid's member (which is never a hybrid itself).
        let member: Bool
        let reader: ArchiveReader
        let kind: String
        var users: Int { history.rows }
        var items: Int { history.columns }

        /// Throws a corrupted-file error unless `ok`.
        func check(_ ok: Bool, _ what: String) throws {
            if !ok { throw reader.fail("\(kind): \(what) does not match \(users) users × \(items) items") }
        }
    }

    /// Writes `model`'s kind and section.
    static func encode(_ model: any PersistentModel, into w: inout ArchiveWriter) throws {
        w.string(type(of: model).kind.rawValue)
        try model.encode(into: &w)
    }

    /// Writes any model that can be saved.
    /// - Throws: ``RecommenderError/notSaveable(model:reason:)`` for one that cannot.
    static func encode(_ model: any Recommender, into w: inout ArchiveWriter) throws {
        guard let model = model as? any PersistentModel else {
            throw RecommenderError.notSaveable(model: model.name, reason: "the model file has no section for it")
        }
        try encode(model, into: &w)
    }

    /// Reads one model section; `history` is the users × items training history, `member`
    /// whether a hybrid is reading one of its members.
    static func decode(_ r: inout ArchiveReader, history: SparseMatrix, member: Bool = false) throws -> any PersistentModel {
        let kind = try r.string()
        guard let type = try? ModelKind(kind).type(), let persistent = type as? any PersistentModel.Type else {
            throw r.fail("unknown model kind \"\(kind)\"")
        }
        let p = Hyperparameters(table: try r.table(), kind: kind, reader: r)
        return try persistent.decode(&r, p, Context(history: history, member: member, reader: r, kind: kind))
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
