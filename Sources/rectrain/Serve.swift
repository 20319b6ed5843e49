import ArgumentParser
import Foundation
import Recommend

/// One recommended title as JSON.
struct ItemJSON: Encodable {
    var rank: Int
    var item: String
    var title: String
    var score: Float
    var because: [String]?
}

func itemsJSON(_ items: [RecommendedItem], explained: Bool) -> [ItemJSON] {
    items.enumerated().map { ItemJSON(rank: $0.offset + 1, item: $0.element.item, title: $0.element.title, score: $0.element.score,
                                      because: explained ? $0.element.because : nil) }
}

func printJSON(_ value: some Encodable) throws { print(JSONOutput.string(value)) }

func printItems(_ items: [RecommendedItem], explained: Bool = false) {
    for (rank, entry) in items.enumerated() {
        let title = entry.title.isEmpty ? "" : "  \(entry.title)"
        print(String(format: "%3d. %@%@  (%.4f)", rank + 1, entry.item, title, entry.score))
        if explained && !entry.because.isEmpty { print("     because you watched: \(entry.because.joined(separator: ", "))") }
    }
}

struct RecommendCommand: ParsableCommand, UsesGlobalOptions {
    static let configuration = CommandConfiguration(
        commandName: "recommend",
        abstract: "Recommend titles for a user (or after a browsing session) from a saved model.",
        discussion: """
        Known users get the model's top titles, excluding those they watched in training. A user \
        the model has not seen is served by the cold-start path and the output says so: \
        popularity, or with --history the ALS fold-in (or content similarity) of the titles given. \
        --session asks a session model for the next titles after the given ones.
        """
    )

    @Option(help: "Model file written by `rectrain train`.") var model: String
    @Option(help: "User id (as in the training data).") var user: String?
    @Option(help: "Comma-separated title ids of the current browsing session, oldest first (session models).") var session: String?
    @Option(help: "Comma-separated title ids a user unknown to the model has watched (cold start).") var history: String?
    @Option(name: [.customShort("n"), .long], parsing: .unconditional, help: "Number of titles.") var count = 10
    @Flag(help: "Say which titles in the user's history led to each one (\(ModelKind.explaining.map(\.rawValue).joined(separator: ", "))).") var explain = false
    @Flag(help: "Print one JSON object.") var json = false
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard count > 0 else { throw ValidationError("-n must be positive, got \(count)") }
        guard (user == nil) != (session == nil) else { throw ValidationError("give exactly one of --user or --session") }
        if session != nil {
            if history != nil { throw ValidationError("--history has no effect with --session (the session's titles are the history)") }
            if explain { throw ValidationError("--explain has no effect with --session (session models do not explain)") }
        }
    }

    struct Output: Encodable {
        var user: String?
        var session: [String]?
        var model: String
        var strategy: String
        var items: [ItemJSON]
        var load_seconds: Double
        var recommend_seconds: Double
    }

    func run() throws {
        let loadStart = Date()
        let saved = try SavedModel.read(path: model)
        let loadSeconds = seconds(since: loadStart)
        let start = Date()
        let result = try user.map { try saved.recommend(user: $0, count: count, explain: explain, history: history.map(idList) ?? []) }
            ?? saved.recommend(session: idList(session!), count: count)
        let recommendSeconds = seconds(since: start)
        if explain && result.strategy.hasPrefix("cold-start") {
            global.warn("--explain: user \(user ?? "") is unknown to the model; the cold-start answer (\(result.strategy)) has no explanations")
        }
        if json {
            try printJSON(Output(user: user, session: session.map(idList), model: saved.model.name, strategy: result.strategy,
                                 items: itemsJSON(result.items, explained: explain), load_seconds: loadSeconds, recommend_seconds: recommendSeconds))
            return
        }
        if let user {
            let how = result.strategy.hasPrefix("cold-start") ? "unknown to the model, served by \(result.strategy)" : "\(result.strategy) model"
            print("Top \(result.items.count) for user \(user) (\(how)):")
        } else {
            print("Next \(result.items.count) after the session (session model):")
        }
        printItems(result.items, explained: explain)
        global.detail(String(format: "load %.1f ms, recommend %.2f ms", loadSeconds * 1000, recommendSeconds * 1000))
    }
}

struct Similar: ParsableCommand, UsesGlobalOptions {
    static let configuration = CommandConfiguration(
        abstract: "The titles most similar to a title, from a saved model.",
        discussion: "Similarity is the model's own: item-kNN cosine neighbours, EASE weights, content TF-IDF cosine, or cosine between factor rows (svd, nmf, als)."
    )

    @Option(help: "Model file written by `rectrain train`.") var model: String
    @Option(help: "Title id (as in the training data).") var item: String
    @Option(name: [.customShort("n"), .long], parsing: .unconditional, help: "Number of titles.") var count = 10
    @Flag(help: "Print one JSON object.") var json = false
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard count > 0 else { throw ValidationError("-n must be positive, got \(count)") }
    }

    struct Output: Encodable {
        var item: String
        var title: String
        var model: String
        var items: [ItemJSON]
    }

    func run() throws {
        let saved = try SavedModel.read(path: model)
        let items = try saved.similar(item: item, count: count)
        let title = saved.itemIDs.index(of: item).map { saved.titles[$0] } ?? ""
        if json {
            try printJSON(Output(item: item, title: title, model: saved.model.name, items: itemsJSON(items, explained: false)))
        } else {
            print("Most similar to \(item)\(title.isEmpty ? "" : " (\(title))") by the \(saved.model.name) model:")
            printItems(items)
        }
    }
}

struct RecommendAll: ParsableCommand, UsesGlobalOptions {
    static let configuration = CommandConfiguration(
        commandName: "recommend-all",
        abstract: "Top-N for every user of a saved model, written as CSV (user,rank,item,score).",
        discussion: """
        Users are scored a block at a time (--block-users), so memory stays bounded by the block \
        whatever the number of users; each list excludes the user's training titles, as \
        `recommend --user` does. The file is written atomically; progress goes to standard error.
        """
    )

    @Option(help: "Model file written by `rectrain train`.") var model: String
    @Option(help: "CSV file to write.") var output: String
    @Option(name: [.customShort("n"), .long], parsing: .unconditional, help: "Titles per user.") var count = 10
    @Option(parsing: .unconditional, help: "Users scored together (bounds memory: block × titles scores).") var blockUsers = 1_024
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard count > 0 else { throw ValidationError("-n must be positive, got \(count)") }
        guard blockUsers > 0 && blockUsers <= 1 << 20 else { throw ValidationError("--block-users must be between 1 and 1048576, got \(blockUsers)") }
    }

    func run() throws {
        try checkWritable(output)
        let saved = try SavedModel.read(path: model)
        var lastReport = Date()
        let summary = try BatchTopN.write(saved, to: output, count: count, blockUsers: blockUsers, threads: global.threads) { done, users in
            if Date().timeIntervalSince(lastReport) > 2 {
                global.log("\(done.formatted()) of \(users.formatted()) users")
                lastReport = Date()
            }
        }
        print(String(format: "✓ Wrote the top %d of %@ users (%@ rows) to %@ in %.2f s (%@ users/s)", count, summary.users.formatted(),
                     summary.rows.formatted(), output, summary.seconds, Int(Double(summary.users) / max(summary.seconds, 1e-9)).formatted()))
    }
}
