import Factorization

/// Errors of the models, their registry and the serving path. Each case carries the values a
/// caller needs to explain or map it (a command line maps ``invalidParameter`` to its option);
/// the description is one line naming the model and the value.
public enum RecommenderError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No model of this name is registered.
    case unknownModel(String, known: [String])
    /// The model was asked for a task it does not do (a ranking model asked to predict ratings).
    case wrongTask(model: String, needed: ModelTask)
    /// A hyperparameter or argument outside its range; `model` is nil for arguments of the
    /// data path (splits, generated worlds).
    case invalidParameter(model: String?, name: String, value: String, expected: String)
    /// A hyperparameter the model does not read (`reads` lists those it does).
    case unusedParameter(model: String, name: String, reads: [String])
    /// Scoring, saving or serving before `fit`.
    case notFitted(model: String)
    /// An inner user index outside the trained users.
    case unknownUser(model: String, index: Int, users: Int)
    /// An inner item index outside the trained items.
    case unknownItem(model: String, index: Int, items: Int)
    /// A raw item id the model was not trained on.
    case unknownItemID(String, items: Int)
    /// A history was given for a user the model knows (it recommends from their training history).
    case historyForKnownUser(String)
    /// The model needs item metadata the data lacks.
    case missingMetadata(model: String)
    /// The model cannot say why it recommended (only explaining models can).
    case cannotExplain(model: String, explaining: [String])
    /// The model has no item similarity.
    case noItemSimilarity(model: String, similar: [String])
    /// A session was given to a model that is not a session model.
    case notSessionModel(model: String)
    /// The trained model holds NaN or infinite values (its hyperparameters overflow single precision).
    case nonFiniteModel(model: String, values: Int)
    /// The model cannot be written to a model file, and why.
    case notSaveable(model: String, reason: String)
    /// An evaluation that cannot be computed (empty test set, no known test user, …).
    case evaluation(String)
    /// Invalid input to a model that none of the cases above describes, in words.
    case invalidInput(model: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownModel(name, known): return "unknown model \"\(name)\": expected one of \(known.joined(separator: ", "))"
        case let .wrongTask(model, needed):
            return needed == .rating ? "\(model) is not a rating predictor (those are \(ModelKind.rating.map(\.rawValue).joined(separator: ", ")))"
                : "\(model) is not a ranking model (those are \(ModelKind.ranking.map(\.rawValue).joined(separator: ", ")))"
        case let .invalidParameter(model, name, value, expected):
            return "\(model.map { "\($0): " } ?? "")invalid \(name) \(value): expected \(expected)"
        case let .unusedParameter(model, name, reads):
            return "\(name) has no effect on the \(model) model (" + (reads.isEmpty ? "it takes no hyperparameters)" : "it reads \(reads.joined(separator: ", ")))")
        case let .notFitted(model): return "\(model): fit before scoring, saving or serving"
        case let .unknownUser(model, index, users): return "\(model): unknown user index \(index) (trained on \(users) users)"
        case let .unknownItem(model, index, items): return "\(model): unknown item index \(index) (trained on \(items) items)"
        case let .unknownItemID(id, items): return "unknown item \"\(id)\": the model was trained on \(items) items"
        case let .historyForKnownUser(user):
            return "user \"\(user)\" is known to the model, which recommends from their training history; a history is only used for users it has not seen"
        case let .missingMetadata(model): return "\(model): the data has no item metadata (genres, cast, …)"
        case let .cannotExplain(model, explaining):
            return "the \(model) model cannot explain its recommendations (\(explaining.joined(separator: " and ")) can)"
        case let .noItemSimilarity(model, similar):
            return "the \(model) model has no item similarity (use \(similar.joined(separator: ", ")))"
        case let .notSessionModel(model): return "a session needs a session model; this file holds the \(model) model"
        case let .nonFiniteModel(model, values):
            return "\(model): the trained model holds \(values) NaN or infinite values; not saved (its hyperparameters overflow single precision)"
        case let .notSaveable(model, reason): return "\(model): cannot be saved: \(reason)"
        case let .evaluation(reason): return "evaluation: \(reason)"
        case let .invalidInput(model, reason): return "\(model): \(reason)"
        }
    }
}
