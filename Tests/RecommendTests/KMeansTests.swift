import DenseLinalg
import Testing
@testable import Recommend

@Suite struct KMeansTests {
    /// Three separated blobs of 30 points in 2-D.
    func blobs() -> Matrix<Double> {
        var g = SeededGenerator(seed: 4)
        var values: [Double] = []
        for centre in [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0)] {
            for _ in 0..<30 { values += [centre.0 + g.nextGaussian() * 0.5, centre.1 + g.nextGaussian() * 0.5] }
        }
        return try! Matrix(rows: 90, columns: 2, elements: values)
    }

    @Test func recoversSeparatedBlobsAndInertiaNeverRises() throws {
        let x = blobs()
        let result = try KMeans.fit(x, k: 3, seed: 1)
        for blob in 0..<3 { #expect(Set(result.assignments[(blob * 30)..<(blob * 30 + 30)]).count == 1) }
        #expect(Set(result.assignments).count == 3)
        #expect(zip(result.inertiaHistory, result.inertiaHistory.dropFirst()).allSatisfy { $1 <= $0 + 1e-9 })
        // Inertia equals the brute-force sum of squared distances to the centroids.
        var brute = 0.0
        for i in 0..<90 { for f in 0..<2 { let d = x[i, f] - result.centroids[result.assignments[i], f]; brute += d * d } }
        #expect(abs(brute - result.inertia) < 1e-6 * max(1, brute))
    }

    @Test func silhouetteChoosesThreeAndSeedsRepeat() throws {
        let x = blobs()
        let chosen = try KMeans.chooseK(x, candidates: 2...6, seed: 2)
        #expect(chosen.k == 3 && chosen.silhouette > 0.8)
        #expect(try KMeans.fit(x, k: 4, seed: 9).assignments == KMeans.fit(x, k: 4, seed: 9).assignments)
        #expect(throws: RecommenderError.self) { try KMeans.fit(x, k: 0, seed: 1) }
        let z = KMeans.standardized(x)
        #expect(abs(z.column(0).reduce(0, +)) < 1e-9)
    }
}
