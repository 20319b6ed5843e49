import Testing
@testable import Recommend

@Suite struct SplitsTests {
    let data = try! LongTailedMatrix.generate(users: 50, items: 40, nnz: 600, seed: 4)

    func checkPartition(_ s: Split) {
        #expect(Set(s.train).isDisjoint(with: s.test))
        #expect((s.train + s.test).sorted() == Array(0..<data.count))
    }

    @Test func randomPerUserHoldsOutTheFractionOfEachUser() throws {
        let s = try Splitter.randomPerUser(data, testFraction: 0.25, seed: 1)
        checkPartition(s)
        for (u, rows) in Splitter.byUser(data).enumerated() {
            let inTest = rows.filter { Set(s.test).contains($0) }.count
            #expect(rows.count - inTest == max(1, Int((Double(rows.count) * 0.75).rounded(.up))), "user \(u)")
        }
        #expect(try Splitter.randomPerUser(data, testFraction: 0.25, seed: 1) == s)
        #expect(try Splitter.randomPerUser(data, testFraction: 0.25, seed: 2) != s)
        #expect(throws: RecommenderError.self) { try Splitter.randomPerUser(data, testFraction: 1.5, seed: 1) }
    }

    @Test func lastNTakesTheMostRecent() throws {
        let s = try Splitter.lastN(data, n: 2)
        checkPartition(s)
        let test = Set(s.test)
        for rows in Splitter.byUser(data) where rows.count > 2 {
            let newestTrain = rows.filter { !test.contains($0) }.map { data.timestamps[$0] }.max()!
            let oldestTest = rows.filter { test.contains($0) }.map { data.timestamps[$0] }.min()!
            #expect(rows.filter { test.contains($0) }.count == 2 && newestTrain <= oldestTest)
        }
    }

    @Test func kFoldCoversEveryInteractionOnce() throws {
        let folds = try Splitter.kFold(data, folds: 5, seed: 3)
        #expect(folds.count == 5)
        folds.forEach(checkPartition)
        #expect(folds.flatMap(\.test).sorted() == Array(0..<data.count))
        #expect(throws: RecommenderError.self) { try Splitter.kFold(data, folds: 1, seed: 3) }
    }

    @Test func coldStartSplitsHoldOutWholeUsersAndItems() throws {
        let users = try Splitter.heldOutUsers(data, fraction: 0.2, seed: 5)
        checkPartition(users)
        #expect(Set(users.train.map { data.users[$0] }).isDisjoint(with: users.test.map { data.users[$0] }))
        let items = try Splitter.heldOutItems(data, fraction: 0.2, seed: 5)
        checkPartition(items)
        #expect(Set(items.train.map { data.items[$0] }).isDisjoint(with: items.test.map { data.items[$0] }))
        let sub = data.subset(items.test)
        #expect(sub.count == items.test.count && sub.itemIDs == data.itemIDs)
    }
}
