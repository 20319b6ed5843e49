import DenseLinalg
import Testing
@testable import Factorization

@Suite struct NeighborsAndTopNTests {
    let x = TestData.implicitMatrix(users: 50, items: 30, density: 0.2, seed: 7)

    /// Brute-force top-k of a similarity matrix row, ties by smaller index, excluding `skip`.
    func bruteTopK(_ scores: [Float], k: Int, skip: Set<Int>, positiveOnly: Bool) -> [Int] {
        scores.indices.filter { !skip.contains($0) && (!positiveOnly || scores[$0] > 0) }
            .sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
            .prefix(k).map { $0 }
    }

    /// Dense enough that every row scans its scratch row (30 items; 120 items, where that scan
    /// filters whole blocks of 16), and sparse enough (200 items) that rows keep a list of
    /// touched entries: both accumulation paths, for weighted values and for a binary matrix
    /// (which accumulates co-occurrence counts only). 120 and 200 items take two workers, each
    /// with its own selections, merged.
    @Test(arguments: [(Float(0), 30, 0.0, false), (5, 30, 0, false), (0, 120, 0.3, false), (5, 120, 0.3, false),
                      (0, 200, 0.01, false), (5, 200, 0.01, false), (0, 30, 0, true), (5, 30, 0, true),
                      (0, 120, 0.3, true), (5, 120, 0.3, true), (0, 200, 0.01, true), (5, 200, 0.01, true)])
    func sparseItemCosineMatchesBruteForce(shrinkage: Float, items: Int, density: Double, binary: Bool) throws {
        var x = items == 30 ? self.x : TestData.implicitMatrix(users: 60, items: items, density: density, seed: 8)
        if binary { x = try SparseMatrix(rows: x.rows, columns: x.columns, rowPointers: x.rowPointers,
                                         columnIndices: x.columnIndices, values: x.values.map { _ in 1 }) }
        let dense = x.toDense()
        let list = try CosineNeighbors.items(x, k: 5, shrinkage: shrinkage, threads: 2)
        #expect(try CosineNeighbors.items(x, k: 5, shrinkage: shrinkage, threads: 1) == list)
        let allColumns = (0..<x.columns).map { dense.column($0) }
        for i in 0..<x.columns {
            let ci = allColumns[i]
            let sims: [Float] = (0..<x.columns).map { j in
                let cj = allColumns[j]
                let dot = zip(ci, cj).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                let norms = (ci.reduce(0) { $0 + $1 * $1 } * cj.reduce(0) { $0 + $1 * $1 }).squareRoot()
                let co = Float(zip(ci, cj).filter { $0.0 != 0 && $0.1 != 0 }.count)
                let cosine = norms > 0 ? dot / norms : 0
                return shrinkage > 0 ? cosine * co / (co + shrinkage) : cosine
            }
            let got = list.neighbors(of: i)
            let want = bruteTopK(sims, k: 5, skip: [i], positiveOnly: true)
            // Scores agree exactly in order; indices agree except among near-ties.
            #expect(got.count == want.count)
            for (g, w) in zip(got, want) { #expect(abs(g.score - sims[w]) < 1e-5) }
        }
    }

    @Test func denseCosineAndTopNMatchBruteForce() throws {
        let users = Matrix<Float>.random(rows: 23, columns: 6, seed: 1)
        // 101 items: the scan skips whole blocks of 32 scores once it holds 5, and ends on a partial block.
        let items = Matrix<Float>.random(rows: 101, columns: 6, seed: 2)
        let scores = try users.matmul(items, transposeOther: true)
        for threads in [1, 2] {
            let top = try TopN.recommend(userFactors: users, itemFactors: items, count: 5, excluding: x.rowSlice(0..<23).columnsPadded(to: 101), threads: threads)
            for u in 0..<23 {
                let seen = Set(x.row(u).columns.map(Int.init))
                #expect(top.neighbors(of: u).map(\.index) == bruteTopK(scores.row(u), k: 5, skip: seen, positiveOnly: false))
            }
        }
        let subset = try TopN.recommend(userFactors: users, itemFactors: items, count: 3, users: [4, 1])
        #expect(subset.neighbors(of: 0).map(\.index) == bruteTopK(scores.row(4), k: 3, skip: [], positiveOnly: false))
        #expect(subset.neighbors(of: 1).map(\.index) == bruteTopK(scores.row(1), k: 3, skip: [], positiveOnly: false))

        let list = try CosineNeighbors.dense(items, k: 4, threads: 2)
        for i in 0..<items.rows {
            let ri = items.row(i)
            let sims: [Float] = (0..<items.rows).map { j in
                let rj = items.row(j)
                let dot = zip(ri, rj).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                return dot / (ri.reduce(0) { $0 + $1 * $1 } * rj.reduce(0) { $0 + $1 * $1 }).squareRoot()
            }
            #expect(list.neighbors(of: i).map(\.index) == bruteTopK(sims, k: 4, skip: [i], positiveOnly: false))
        }
    }

    /// Items scored a tile at a time (tiles of 7, 32 and 40 over 101 items): the exclusions of
    /// each tile and the selections carried across tiles give the brute-force answer.
    @Test(arguments: [7, 32, 40])
    func topNAcrossItemTilesMatchesBruteForce(tile: Int) throws {
        let users = Matrix<Float>.random(rows: 23, columns: 6, seed: 1)
        let items = Matrix<Float>.random(rows: 101, columns: 6, seed: 2)
        let seen = TestData.implicitMatrix(users: 23, items: 101, density: 0.2, seed: 9)
        let scores = try users.matmul(items, transposeOther: true)
        for threads in [1, 2] {
            let top = try DenseTopK.select(queries: users, items: items, count: 5, excluding: seen, excludeSelf: false,
                                           threads: threads, itemTile: tile)
            for u in 0..<23 {
                let skip = Set(seen.row(u).columns.map(Int.init))
                #expect(top.neighbors(of: u).map(\.index) == bruteTopK(scores.row(u), k: 5, skip: skip, positiveOnly: false))
            }
        }
        let cosine = try DenseTopK.select(queries: items, items: items, count: 4, excluding: nil, excludeSelf: true,
                                          threads: 2, itemTile: tile)
        let itemScores = try items.matmul(items, transposeOther: true)
        for i in 0..<101 {
            #expect(cosine.neighbors(of: i).map(\.index) == bruteTopK(itemScores.row(i), k: 4, skip: [i], positiveOnly: false))
        }
    }

    @Test func topKSelectorKeepsTheBestWithDeterministicTies() {
        var s = TopKSelector(capacity: 3)
        for (i, v) in [Float(1), 5, 3, 5, .nan, 2, 5].enumerated() { s.insert(v, Int32(i)) }
        #expect(s.sorted().map(\.index) == [1, 3, 6])
        var empty = TopKSelector(capacity: 0)
        empty.insert(1, 0)
        #expect(empty.sorted().isEmpty)
    }

    @Test func badInputIsRejected() throws {
        #expect(throws: FactorizationError.self) { try CosineNeighbors.items(x, k: 0) }
        #expect(throws: FactorizationError.self) {
            try TopN.recommend(userFactors: Matrix(rows: 2, columns: 3), itemFactors: Matrix(rows: 4, columns: 2), count: 1)
        }
        var bad = Matrix<Float>(rows: 2, columns: 2, repeating: 1)
        bad[0, 0] = .nan
        #expect(throws: FactorizationError.nonFiniteInput(operation: "top-N")) {
            try TopN.recommend(userFactors: bad, itemFactors: bad, count: 1)
        }
    }
}

extension SparseMatrix {
    /// The same entries in a matrix with `columns` columns (≥ the current count).
    func columnsPadded(to columns: Int) throws -> SparseMatrix {
        try SparseMatrix(rows: rows, columns: columns, rowPointers: rowPointers, columnIndices: columnIndices, values: values)
    }
}
