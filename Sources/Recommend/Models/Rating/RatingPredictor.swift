import DenseLinalg
import Factorization

/// A model that predicts ratings (evaluated by RMSE and MAE).
public protocol RatingPredictor: Sendable {
    var name: String { get }
    /// Trains on `data.ratings` (the latest rating of each pair).
    mutating func fit(_ data: TrainingData) throws
    /// The predicted rating; for a user or item unknown to training, the model's fallback.
    func predict(user: Int, item: Int) throws -> Float
}
