import Foundation
import Testing
@testable import FeedbackStore

@Suite struct FeedbackStoreTests {
    static func path(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir + "/" + name
    }

    @Test func eventsRoundTripInArrivalOrderAcrossReopen() async throws {
        let path = try Self.path("events.sqlite")
        let store = try await FeedbackStore.open(path: path)
        let events = (0..<450).map { FeedbackEvent(user: "u\($0 % 7)", item: "i\($0)", value: Double($0) / 4, timestamp: 1_700_000_000 + Int64($0), kind: $0 % 2 == 0 ? "view" : "play") }
        try await store.append(Array(events[..<1]))
        try await store.append(Array(events[1...]))   // more than one multi-row insert
        #expect(await store.count == 450)
        #expect(try await store.events() == events)
        try await store.close()
        let again = try await FeedbackStore.open(path: path)
        #expect(await again.count == 450)
        try await again.close()
        #expect(try await FeedbackStore.readEvents(path: path) == events)
    }

    /// Concurrent appends share transactions (group commit) and none is lost or split.
    @Test func concurrentAppendsAreAllStored() async throws {
        let path = try Self.path("events.sqlite")
        let store = try await FeedbackStore.open(path: path)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0..<16 {
                group.addTask {
                    for r in 0..<10 {
                        try await store.append((0..<3).map { FeedbackEvent(user: "t\(t)", item: "r\(r)-\($0)", timestamp: Int64(r)) })
                    }
                }
            }
            try await group.waitForAll()
        }
        let events = try await store.events()
        #expect(events.count == 16 * 10 * 3)
        for t in 0..<16 {
            // Each task's events in its own order, each request's three together.
            let mine = events.filter { $0.user == "t\(t)" }.map(\.item)
            #expect(mine == (0..<10).flatMap { r in (0..<3).map { "r\(r)-\($0)" } })
        }
        try await store.close()
    }

    @Test func foreignFilesAndNewerSchemasAreRefusedByName() async throws {
        let text = try Self.path("notes.txt")
        try Data(String(repeating: "not a database\n", count: 100).utf8).write(to: URL(fileURLWithPath: text))
        await #expect(throws: FeedbackStoreError.self) { try await FeedbackStore.open(path: text) }
        do { _ = try await FeedbackStore.readEvents(path: text) } catch let error as FeedbackStoreError {
            #expect(error.description.contains("notes.txt") && error.description.contains("not a database"))
        }
        await #expect(throws: FeedbackStoreError(path: "/nonexistent/x.sqlite", reason: "no such file")) {
            try await FeedbackStore.readEvents(path: "/nonexistent/x.sqlite")
        }
        // A store from a future schema.
        let future = try Self.path("future.sqlite")
        let store = try await FeedbackStore.open(path: future)
        _ = try await store.connection.query("PRAGMA user_version = 2")
        try await store.close()
        do { _ = try await FeedbackStore.open(path: future); Issue.record("opened a version 2 store") } catch let error as FeedbackStoreError {
            #expect(error.reason.contains("schema version 2"))
        }
    }
}
