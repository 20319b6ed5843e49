/// One recommended or similar title, by raw id.
public struct RecommendedItem: Sendable, Equatable {
    public var item: String
    public var title: String
    public var score: Float
    /// Raw ids of the titles in the user's history that contributed most, when explained.
    public var because: [String] = []

    public init(item: String, title: String, score: Float, because: [String] = []) {
        self.item = item; self.title = title; self.score = score; self.because = because
    }
}

/// Who answered a request, and how.
public struct Recommendations: Sendable, Equatable {
    /// `model` for a known user; `cold-start: …` for a user the model has not seen.
    public var strategy: String
    public var items: [RecommendedItem]

    public init(strategy: String, items: [RecommendedItem]) {
        self.strategy = strategy; self.items = items
    }
}
