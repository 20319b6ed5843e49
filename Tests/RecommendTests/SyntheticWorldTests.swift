import Foundation
import DenseLinalg
import Testing
@testable import Recommend

@Suite struct SyntheticWorldTests {
    func folder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("world-\(UUID().uuidString)").path
    }

    func contents(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in ["titles.csv", "users.csv", "interactions.csv", "sessions.csv"] {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
        }
        return out
    }

    @Test func sameSeedIsByteIdenticalAndCountsAreExact() throws {
        let config = SyntheticWorldConfiguration(users: 300, titles: 120, interactions: 4_000, sessions: 500, seed: 9)
        let a = folder(), b = folder(), c = folder()
        let summary = try SyntheticWorld.generate(config, to: a)
        _ = try SyntheticWorld.generate(config, to: b)
        var other = config
        other.seed = 10
        _ = try SyntheticWorld.generate(other, to: c)
        #expect(try contents(a) == contents(b))
        #expect(try contents(a)["interactions.csv"] != contents(c)["interactions.csv"])
        #expect(summary == SyntheticWorldSummary(titles: 120, users: 300, interactions: 4_000, sessions: 500,
                                                 sessionEvents: summary.sessionEvents, ratings: summary.ratings))
        #expect(summary.ratings > 1_000 && summary.ratings < 2_000)  // about 35% of views are rated

        // Read back with the loaders.
        let (world, sessions) = try SyntheticWorld.load(directory: a)
        #expect(world.interactions.count == 4_000)
        #expect(world.interactions.userIDs.count == 300 && world.interactions.itemIDs.count == 120)
        #expect(world.items.allSatisfy { $0 != nil && (1...3).contains($0!.genres.count) })
        #expect(world.users.allSatisfy { $0?.age != nil })
        #expect(sessions.count == 500 && sessions.items.map(\.count).reduce(0, +) == summary.sessionEvents)
        let rated = try RatingsCSV.load(path: a + "/interactions.csv")
        #expect(rated.interactions.count == summary.ratings && rated.unratedRows == 4_000 - summary.ratings)
        #expect(rated.interactions.values.allSatisfy { (1...5).contains($0) })
    }

    /// For random sizes and seeds: the files hold exactly what the summary says, and reading
    /// them back gives the same counts, ids and ratings.
    @Test(arguments: [UInt64(1), 17, 99, 12345])
    func whatIsWrittenReadsBack(seed: UInt64) throws {
        var g = SeededGenerator(seed: seed)
        let config = SyntheticWorldConfiguration(users: 20 + Int(g.next() % 200), titles: 5 + Int(g.next() % 100),
                                                 interactions: Int(g.next() % 3_000) + 1, sessions: Int(g.next() % 200), seed: seed)
        let dir = folder()
        let summary = try SyntheticWorld.generate(config, to: dir)
        #expect(summary.interactions == config.interactions && summary.sessions == config.sessions)
        let (world, sessions) = try SyntheticWorld.load(directory: dir)
        #expect(world.interactions.count == config.interactions)
        #expect(world.interactions.userIDs.count == config.users && world.interactions.itemIDs.count == config.titles)
        #expect(sessions.count == config.sessions && sessions.items.allSatisfy { !$0.isEmpty && Set($0).count == $0.count })
        #expect(world.interactions.viewing!.ratings.filter { $0 > 0 }.count == summary.ratings)
        #expect(world.interactions.viewing!.completion.allSatisfy { $0 > 0 && $0 <= 1 })
        #expect(world.interactions.timestamps.allSatisfy { $0 > 1_400_000_000 })
    }

    @Test func defaultScaleHasTheExactCounts() throws {
        let dir = folder()
        let summary = try SyntheticWorld.generate(SyntheticWorldConfiguration(), to: dir)
        #expect(summary.titles == 2_000 && summary.users == 5_000 && summary.interactions == 100_000 && summary.sessions == 60_000)
        let lines = try String(contentsOfFile: dir + "/interactions.csv", encoding: .utf8).split(separator: "\n").count
        #expect(lines == 100_001)
    }

    @Test func worldHasStructureAndLongTails() throws {
        let dir = folder()
        _ = try SyntheticWorld.generate(SyntheticWorldConfiguration(users: 400, titles: 200, interactions: 8_000, sessions: 1_000, seed: 3), to: dir)
        let (world, sessions) = try SyntheticWorld.load(directory: dir)
        let x = try world.interactions.matrix(.binary)
        let itemCounts = world.interactions.itemCounts.sorted(by: >)
        #expect(itemCounts[0] > 8 * itemCounts[itemCounts.count / 2])       // views: a long popularity tail
        let userCounts = x.rowCounts.sorted(by: >)
        #expect(userCounts[0] > 5 * userCounts[userCounts.count / 2])       // activity long tail
        let lengths = sessions.items.map(\.count)
        #expect(lengths.filter { $0 <= 3 }.count > lengths.count / 2 && lengths.max()! >= 10)
        // Consecutive session titles share a genre far more often than random pairs would.
        var shared = 0, pairs = 0
        for s in sessions.items where s.count > 1 {
            for (a, b) in zip(s, s.dropFirst()) {
                pairs += 1
                if !Set(world.items[Int(a)]!.genres).isDisjoint(with: world.items[Int(b)]!.genres) { shared += 1 }
            }
        }
        #expect(Double(shared) / Double(pairs) > 0.6)
    }

    @Test func badConfigurationAndUnwritableFolderAreErrors() throws {
        #expect(throws: RecommenderError.invalidParameter(model: nil, name: "users", value: "0", expected: "at least 1")) { try SyntheticWorld.generate(.init(users: 0), to: folder()) }
        #expect(throws: DataError.self) { try SyntheticWorld.generate(.init(users: 5, titles: 5, interactions: 5, sessions: 1), to: "/proc/nope") }
    }
}

@Suite struct WorldModelTests {
    /// On a generated world with real structure, every personalised model beats popularity on
    /// nDCG@10 (per-user 75/25 holdout over distinct titles).
    @Test func everyPersonalisedModelBeatsPopularity() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("world-models-\(UUID().uuidString)").path
        _ = try SyntheticWorld.generate(.init(users: 1_000, titles: 500, interactions: 20_000, sessions: 10, seed: 5), to: dir)
        let (world, _) = try SyntheticWorld.load(directory: dir)
        // Distinct (user, title) pairs, as the ranking protocol counts them.
        var pairs = Interactions(userIDs: world.interactions.userIDs, itemIDs: world.interactions.itemIDs)
        var seen = Set<Int64>()
        for r in 0..<world.interactions.count {
            let key = Int64(world.interactions.users[r]) << 32 | Int64(world.interactions.items[r])
            if seen.insert(key).inserted { pairs.append(user: world.interactions.users[r], item: world.interactions.items[r], value: 1) }
        }
        let split = try Splitter.randomPerUser(pairs, testFraction: 0.25, seed: 1)
        let train = try TrainingData(pairs.subset(split.train), items: world.items, threads: 2, seed: 3)
        let reports = try ModelComparison.run(models: ModelKind.ranking.map(\.rawValue), train: train, test: pairs.subset(split.test))
        let popularity = reports.first { $0.model == "popular" }!.ndcg
        for r in reports where r.model != "popular" {
            #expect(r.ndcg > 1.5 * popularity, "\(r.model) nDCG \(r.ndcg) vs popularity \(popularity)")
        }
    }
}
