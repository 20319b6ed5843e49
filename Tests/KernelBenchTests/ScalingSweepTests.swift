import Foundation
@testable import KernelBench
import Testing

@Suite struct ScalingSweepTests {
    @Test func sizesDoubleAndTheExponentIsTheLogLogSlope() throws {
        var sweep = ScalingSweep(benchmark: KernelBenchmark(kernel: .als))
        sweep.from = 1_000; sweep.to = 5_000
        #expect(sweep.sizes == [1_000, 2_000, 4_000, 5_000])
        // seconds ∝ nnz^1.5 exactly.
        let points = [1_000, 4_000, 16_000].map { ScalingSweep.Point(users: 1, items: 1, nnz: $0, seconds: pow(Double($0), 1.5) * 1e-6, peakRSSBytes: 0) }
        #expect(abs(ScalingSweep.exponent(points) - 1.5) < 1e-9)
        let json = try JSONSerialization.jsonObject(with: Data(ScalingSweep.json(kernel: "als", points: points).utf8)) as? [String: Any]
        #expect(json?["kernel"] as? String == "als" && abs((json?["exponent"] as? Double ?? 0) - 1.5) < 1e-9)
        #expect((json?["points"] as? [[String: Any]])?.count == 3)
        #expect(ScalingSweep.svg(kernel: "als", points: points).contains("fitted exponent 1.500"))
        #expect(ScalingSweep.csv(points).split(separator: "\n").count == 4)
    }

    /// Every size has room for its nonzeros (the generator needs twice as many cells); sizes
    /// from 20,000 up keep the shape they always had.
    @Test func shapesHoldTheirNonzeros() {
        for nnz in [1_000, 2_600, 4_000, 10_000, 20_000, 100_000, 2_000_000] {
            let (users, items) = ScalingSweep.shape(nnz: nnz)
            #expect(users * items >= 2 * nnz, "\(nnz): \(users)×\(items)")
        }
        #expect(ScalingSweep.shape(nnz: 100_000) == (2_500, 500))
        #expect(ScalingSweep.shape(nnz: 20_000) == (500, 100))
    }
}

