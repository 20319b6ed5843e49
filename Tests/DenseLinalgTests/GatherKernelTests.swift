import Testing
@testable import DenseLinalg

/// The gathered dot products and accumulations of the ALS kernel against plain loops, for row
/// widths with and without their fast paths.
@Suite struct GatherKernelTests {
    @Test(arguments: [1, 7, 16, 48, 64, 80, 96, 128, 130])
    func gatherKernelsMatchLoops(k: Int) {
        let rows = 40
        let factors = Matrix<Float>.random(rows: rows, columns: k, seed: UInt64(k))
        let x = Matrix<Float>.random(rows: 1, columns: k, seed: 99).elements
        let indices: [Int32] = (0..<25).map { Int32(($0 * 17 + 3) % rows) }
        let weights: [Float] = (0..<25).map { Float($0) / 10 - 1 }
        var dots = [Float](repeating: 0, count: indices.count)
        var accumulated = [Float](repeating: 0.5, count: k)
        factors.withUnsafeBufferPointer { f in
            UnsafeKernels.gatherDots(rows: f.baseAddress!, k: k, indices: indices, count: indices.count, x: x, out: &dots)
            UnsafeKernels.gatherAxpy(rows: f.baseAddress!, k: k, indices: indices, count: indices.count, weights: weights, y: &accumulated)
        }
        for (q, i) in indices.enumerated() {
            let expected = (0..<k).reduce(Float(0)) { $0 + factors[Int(i), $1] * x[$1] }
            #expect(abs(dots[q] - expected) <= 1e-4 * max(1, abs(expected)), "k \(k), entry \(q)")
        }
        for j in 0..<k {
            let expected = 0.5 + indices.indices.reduce(Float(0)) { $0 + weights[$1] * factors[Int(indices[$1]), j] }
            #expect(abs(accumulated[j] - expected) <= 1e-4 * max(1, abs(expected)), "k \(k), column \(j)")
        }
    }

    /// The half-precision gathers equal the single-precision ones on rows rounded to half
    /// precision, where they run (k a multiple of 64 on CPUs with F16C).
    @Test(arguments: [64, 128, 192])
    func halfGathersMatchRoundedRows(k: Int) {
        guard UnsafeKernels.hasHalfGathers(k: k) else { return }
        let rows = 40
        let factors = Matrix<Float>.random(rows: rows, columns: k, seed: UInt64(k) + 5)
        let rounded = factors.elements.map { Float(Float16($0)) }
        var bits = [UInt16](repeating: 0, count: rows * k)
        factors.withUnsafeBufferPointer { f in bits.withUnsafeMutableBufferPointer { UnsafeKernels.toHalf(f.baseAddress!, into: $0.baseAddress!, count: rows * k) } }
        #expect(bits.map { Float(Float16(bitPattern: $0)) } == rounded)
        let x = Matrix<Float>.random(rows: 1, columns: k, seed: 98).elements
        let indices: [Int32] = (0..<25).map { Int32(($0 * 13 + 5) % rows) }
        let weights: [Float] = (0..<25).map { Float($0) / 10 - 1 }
        var dots = [Float](repeating: 0, count: indices.count), expectedDots = dots
        var accumulated = [Float](repeating: 0.5, count: k), expectedAccumulated = accumulated
        bits.withUnsafeBufferPointer { h in
            UnsafeKernels.gatherDots(halfRows: h.baseAddress!, k: k, indices: indices, count: indices.count, x: x, out: &dots)
            UnsafeKernels.gatherAxpy(halfRows: h.baseAddress!, k: k, indices: indices, count: indices.count, weights: weights, y: &accumulated)
        }
        rounded.withUnsafeBufferPointer { r in
            UnsafeKernels.gatherDots(rows: r.baseAddress!, k: k, indices: indices, count: indices.count, x: x, out: &expectedDots)
            UnsafeKernels.gatherAxpy(rows: r.baseAddress!, k: k, indices: indices, count: indices.count, weights: weights, y: &expectedAccumulated)
        }
        for q in indices.indices { #expect(abs(dots[q] - expectedDots[q]) <= 1e-5 * max(1, abs(expectedDots[q]))) }
        for j in 0..<k { #expect(abs(accumulated[j] - expectedAccumulated[j]) <= 1e-5 * max(1, abs(expectedAccumulated[j]))) }
    }

    /// The fused conjugate-gradient terms against plain loops (in double precision), for both
    /// terms, uniform and per-entry confidences, single and half-precision rows, and counts on
    /// and off the kernel's four-row steps. Where the CPU has no AVX-512 the kernel does not
    /// run (hasConjugateGradientTerms is false) and only that is checked.
    @Test(arguments: [0, 1, 3, 4, 5, 8, 23, 300])
    func fusedConjugateGradientTermsMatchLoops(count: Int) {
        let k = 64, rows = 50
        #expect(!UnsafeKernels.hasConjugateGradientTerms(k: 80, simd: .automatic))
        #expect(!UnsafeKernels.hasConjugateGradientTerms(k: 64, simd: .avx2))
        guard UnsafeKernels.hasConjugateGradientTerms(k: k, simd: .automatic) else { return }
        let factors = Matrix<Float>.random(rows: rows, columns: k, seed: UInt64(count) + 11)
        var bits = [UInt16](repeating: 0, count: rows * k)
        factors.withUnsafeBufferPointer { f in bits.withUnsafeMutableBufferPointer { UnsafeKernels.toHalf(f.baseAddress!, into: $0.baseAddress!, count: rows * k) } }
        let halfRows = bits.map { Float(Float16(bitPattern: $0)) }
        let x = Matrix<Float>.random(rows: 1, columns: k, seed: 97).elements
        let indices: [Int32] = (0..<count).map { Int32(($0 * 31 + 7) % rows) }
        let confidences: [Float] = (0..<count).map { 1 + Float($0 % 9) * 0.75 }
        for term in [ConjugateGradientTerm.residual, .curvature] {
            for perEntry in [false, true] {
                for half in [false, true] {
                    let row: (Int, Int) -> Double = { i, j in Double(half ? halfRows[i * k + j] : factors[i, j]) }
                    var expected = (0..<k).map { 0.25 - Double($0) / 100 }
                    for (q, i) in indices.enumerated() {
                        let c = perEntry ? Double(confidences[q]) : 2.5
                        let dot = (0..<k).reduce(0.0) { $0 + row(Int(i), $1) * Double(x[$1]) }
                        let w = term == .residual ? c - (c - 1) * dot : (c - 1) * dot
                        for j in 0..<k { expected[j] += w * row(Int(i), j) }
                    }
                    var out = (0..<k).map { 0.25 - Float($0) / 100 }
                    confidences.withUnsafeBufferPointer { cp in
                        let c = perEntry ? cp.baseAddress : nil
                        if half {
                            bits.withUnsafeBufferPointer { h in
                                UnsafeKernels.conjugateGradientTerms(halfRows: h.baseAddress!, k: k, indices: indices, count: count,
                                                                     confidences: c, uniform: 2.5, term: term, x: x, out: &out)
                            }
                        } else {
                            factors.withUnsafeBufferPointer { f in
                                UnsafeKernels.conjugateGradientTerms(rows: f.baseAddress!, k: k, indices: indices, count: count,
                                                                     confidences: c, uniform: 2.5, term: term, x: x, out: &out)
                            }
                        }
                    }
                    let scale = expected.map(abs).max() ?? 1
                    for j in 0..<k {
                        #expect(abs(Double(out[j]) - expected[j]) <= 1e-5 * max(1, scale),
                                "count \(count), \(term), per-entry \(perEntry), half \(half), column \(j)")
                    }
                }
            }
        }
    }

    /// Transposed copies with strides, for shapes with and without whole 4 × 4 tiles.
    @Test(arguments: [(1, 1), (3, 5), (4, 4), (8, 12), (9, 7), (17, 64)])
    func transposeMatchesLoop(rows: Int, columns: Int) {
        let inStride = columns + 3, outStride = rows + 5
        let input = Matrix<Float>.random(rows: rows, columns: inStride, seed: UInt64(rows * 100 + columns)).elements
        var output = [Float](repeating: -7, count: columns * outStride)
        input.withUnsafeBufferPointer { i in
            output.withUnsafeMutableBufferPointer { o in
                UnsafeKernels.transpose(i.baseAddress!, stride: inStride, rows: rows, columns: columns,
                                        into: o.baseAddress!, stride: outStride)
            }
        }
        for j in 0..<columns {
            for i in 0..<outStride {
                // Inside the shape the transposed entry; in the padding, untouched.
                #expect(output[j * outStride + i] == (i < rows ? input[i * inStride + j] : -7), "(\(i), \(j))")
            }
        }
    }
}
