import DenseLinalg
import Factorization
import Foundation
import Testing
@testable import Recommend

@Suite struct ModelArchiveTests {
    /// A small world's training data, with metadata and sessions.
    static func world() throws -> TrainingData {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("archive-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try SyntheticWorld.generate(.init(users: 200, titles: 120, interactions: 3_000, sessions: 600, seed: 9), to: dir)
        let (dataset, sessions) = try DataSource.load(path: dir)
        return try TrainingData(dataset, sessions: sessions, compute: ComputeSettings(threads: 2), seed: 4)
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
    }

    /// Every model, saved and read back, recommends exactly what it did before.
    @Test(arguments: ModelKind.ranking.map(\.rawValue) + ["als-explicit"])
    func roundTripKeepsRecommendations(model name: String) throws {
        let data = try Self.world()
        var options = ModelOptions()
        options.factors = 8
        var model: any Recommender = name == "als-explicit" ? ExplicitALSRecommender() : try ModelKind(name).makeRecommender(options)
        try model.fit(data)
        let saved = SavedModel(model: model, data: data)
        let loaded = try SavedModel.decode(try saved.encoded(), path: "memory")
        #expect(loaded.model.name == name)
        #expect(loaded.userIDs == data.interactions.userIDs && loaded.itemIDs == data.interactions.itemIDs)
        let users = Array(0..<data.users)
        let before = try model.recommend(users: users, count: 10, excluding: data.binary)
        let after = try loaded.model.recommend(users: users, count: 10, excluding: loaded.history)
        #expect(before == after, "\(name): recommendations changed after a save and load")
        if let similar = try model.similarItems(to: 3, count: 5) {
            #expect(try loaded.model.similarItems(to: 3, count: 5)!.map(\.index) == similar.map(\.index))
        }
        // Writing is atomic and reading the file gives the same bytes back.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("m-\(UUID().uuidString).model").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try saved.write(to: path)
        #expect(try SavedModel.read(path: path).encoded() == saved.encoded())
    }

    @Test func damagedFilesAreClearErrors() throws {
        let data = try Self.world()
        var model = ALSRecommender(configuration: .init(factors: 4, iterations: 2))
        try model.fit(data)
        let bytes = try SavedModel(model: model, data: data).encoded()
        func reason(_ b: [UInt8]) -> String {
            do { _ = try SavedModel.decode(b, path: "f"); return "read" } catch let e as ModelFileError { return e.reason } catch { return "other \(error)" }
        }
        // Truncated anywhere: header, payload, checksum.
        for cut in [0, 5, 12, 19, 20, 100, bytes.count / 2, bytes.count - 1] {
            let r = reason(Array(bytes[..<cut]))
            #expect(r.contains("truncated") || r.contains("RECMODEL"), "cut at \(cut): \(r)")
        }
        // A flipped payload byte.
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0x40
        #expect(reason(flipped).contains("checksum"))
        // Another version.
        var version = bytes
        version[8] = 9
        #expect(reason(version).contains("version 9"))
        // A foreign file.
        #expect(reason(Array("user,item,rating\n1,2,3\n".utf8)).contains("not a Recommend model file"))
        // Extra bytes.
        #expect(reason(bytes + [0]).contains("unexpected bytes"))
        #expect(throws: ModelFileError.self) { try SavedModel.read(path: "/nonexistent/model.bin") }
    }

    @Test func savedModelServesRawIDsAndColdStart() throws {
        let data = try Self.world()
        var model = HybridRecommender(members: [(ItemKNNRecommender(), 0.5), (ALSRecommender(configuration: .init(factors: 8, iterations: 3)), 0.5)])
        try model.fit(data)
        let saved = SavedModel(model: model, data: data)
        let user = data.interactions.userIDs.id(at: 0)
        let known = try saved.recommend(user: user, count: 5, explain: true)
        #expect(known.strategy == "hybrid" && known.items.count == 5)
        let watched = Set(data.binary.row(0).columns.map { data.interactions.itemIDs.id(at: Int($0)) })
        #expect(known.items.allSatisfy { !watched.contains($0.item) })
        #expect(known.items.contains { !$0.because.isEmpty } && known.items.allSatisfy { Set($0.because).isSubset(of: watched) })
        #expect(try saved.recommend(user: "nobody", count: 3).strategy == "cold-start: popularity")
        let history = Array(watched.prefix(3))
        let folded = try saved.recommend(user: "nobody", count: 3, history: history)
        #expect(folded.strategy == "cold-start: als-fold-in" && folded.items.allSatisfy { !history.contains($0.item) })
        #expect(throws: RecommenderError.self) { try saved.similar(item: "no-such-title", count: 3) }
        #expect(throws: RecommenderError.self) { try saved.recommend(session: [history[0]], count: 3) }
    }

    @Test func npyFilesHaveTheNumpyHeader() throws {
        let m = try Matrix<Float>(rows: 2, columns: 3, elements: [1, 2, 3, 4, 5, 6])
        let bytes = NpyFile.encode(m)
        #expect(Array(bytes[0..<8]) == [0x93] + Array("NUMPY".utf8) + [1, 0])
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        #expect((10 + headerLength) % 64 == 0 && bytes.count == 10 + headerLength + 24)
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        #expect(header.contains("'descr': '<f4'") && header.contains("'shape': (2, 3)") && header.hasSuffix("\n"))
        #expect(Array(bytes[(10 + headerLength)..<(14 + headerLength)]) == [0, 0, 0x80, 0x3F])  // 1.0f little-endian
    }
}
