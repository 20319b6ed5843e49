import ArgumentParser
import Foundation
import Recommend

/// `rectrain predict`: a saved rating model's predictions for (user, item) pairs.
struct Predict: ParsableCommand, UsesGlobalOptions {
    static let configuration = CommandConfiguration(
        abstract: "Predict ratings for (user, item) pairs with a saved rating model (als-explicit), and score them when the file has ratings.",
        discussion: """
        --data is a CSV with a header naming user and item columns (and optionally rating). A \
        user or item unknown to the model gets the model's fallback (the global mean plus the \
        known bias). With a rating column, prints RMSE and MAE over every pair; --output writes \
        user,item,prediction rows (atomically).
        """
    )

    @Option(help: "Model file written by `rectrain train --model als-explicit` (also with --distributed).") var model: String
    @Option(help: "CSV of pairs: user and item columns, optionally rating.") var data: String
    @Option(help: "Write the predictions as CSV user,item,prediction.") var output: String?
    @Flag(help: "Print one JSON object (ratings, rmse, mae).") var json = false
    @OptionGroup var global: GlobalOptions

    func run() throws {
        if let output { try checkOutput(output, notOver: data) }
        let saved = try SavedModel.read(path: model)
        guard let predictor = saved.model as? any RatingPredictor else {
            throw ValidationError("--model \(model): the \(saved.model.name) model predicts no ratings (als-explicit does)")
        }
        var options = RatingsCSVOptions()
        options.keepUnrated = true  // a pair without a rating is still predicted (its value NaN)
        options.threads = global.threads
        let pairs = try RatingsCSV.load(path: data, options: options)
        let rows = pairs.interactions
        let ids = (users: rows.userIDs, items: rows.itemIDs)
        // Pairs by the model's indices; -1 for an id the model does not know.
        let userIndex = ids.users.ids.map { saved.userIDs.index(of: $0) ?? -1 }
        let itemIndex = ids.items.ids.map { saved.itemIDs.index(of: $0) ?? -1 }
        let predictions = try (0..<rows.count).map { try predictor.predict(user: userIndex[Int(rows.users[$0])], item: itemIndex[Int(rows.items[$0])]) }
        if let output {
            var text = "user,item,prediction\n"
            for r in 0..<rows.count { text += "\(ids.users.id(at: Int(rows.users[r]))),\(ids.items.id(at: Int(rows.items[r]))),\(predictions[r])\n" }
            try AtomicFile.write(text, to: output)
        }
        guard pairs.hasRatings else {
            if output == nil { global.warn("\(data) has no rating column and no --output was given: nothing to report") }
            return
        }
        let rated = (0..<rows.count).filter { !rows.values[$0].isNaN }
        let rmse = RatingMetrics.rmse(rated.map { predictions[$0] }, rated.map { rows.values[$0] })
        let mae = RatingMetrics.mae(rated.map { predictions[$0] }, rated.map { rows.values[$0] })
        if json {
            print("{\"ratings\": \(rated.count), \"rmse\": \(rmse.isNaN ? "null" : "\(rmse)"), \"mae\": \(mae.isNaN ? "null" : "\(mae)")}")
        } else {
            print(String(format: "%@ on %ld ratings: RMSE %.4f, MAE %.4f", saved.model.name, rated.count, rmse, mae))
        }
    }
}
