import Benchmark
import CBLASDirect
import DenseLinalg

/// sgemm 1024³ through our wrapper against cblas_sgemm called directly, in the same run:
/// the wrapper should cost no more than 2%.
// Names use "_" for spaces: `benchmark thresholds update` writes files under the name with
// spaces replaced, but 1.38.1's `thresholds check` looks them up under the raw name.
let benchmarks: @Sendable () -> Void = {
    let n = 1024
    let a = Matrix<Float>.random(rows: n, columns: n, seed: 1)
    let b = Matrix<Float>.random(rows: n, columns: n, seed: 2)
    let configuration = Benchmark.Configuration(metrics: [.wallClock, .throughput], warmupIterations: 3,
                                                maxDuration: .seconds(10), maxIterations: 50,
                                                thresholds: [.wallClock: .init(relative: [.p50: 25, .p90: 25]),
                                                             .throughput: .init(relative: [.p50: 25, .p90: 25])])

    Benchmark("sgemm_1024³_wrapper_(Matrix.gemm)", configuration: configuration) { benchmark in
        var c = Matrix<Float>(rows: n, columns: n)
        for _ in benchmark.scaledIterations {
            try Matrix.gemm(a, b, into: &c)
            blackHole(c[0, 0])
        }
    }

    Benchmark("sgemm_1024³_direct_(cblas_sgemm)", configuration: configuration) { benchmark in
        var c = [Float](repeating: 0, count: n * n)
        let ae = a.elements, be = b.elements
        for _ in benchmark.scaledIterations {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1,
                        ae, Int32(n), be, Int32(n), 0, &c, Int32(n))
            blackHole(c[0])
        }
    }
}
