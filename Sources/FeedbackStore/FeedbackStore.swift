import Foundation
import NIOCore
import NIOPosix
import SQLiteNIO

/// One feedback event a service received: `user` interacted with `item`.
public struct FeedbackEvent: Sendable, Equatable, Codable {
    /// Raw user id, as in the training data.
    public var user: String
    /// Raw title id, as in the training data (titles the model does not know are kept too:
    /// the next training run learns them).
    public var item: String
    /// Interaction strength (a rating, a play count, 1 for a view); finite.
    public var value: Double
    /// When it happened, Unix seconds.
    public var timestamp: Int64
    /// What happened ("view", "play", "rating", …): free text, stored as given.
    public var kind: String

    public init(user: String, item: String, value: Double = 1, timestamp: Int64, kind: String = "view") {
        self.user = user; self.item = item; self.value = value; self.timestamp = timestamp; self.kind = kind
    }
}

/// What went wrong with a feedback store, with its path.
public struct FeedbackStoreError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String
    public var description: String { "feedback store \(path): \(reason)" }
}

/// The durable feedback store: an SQLite database in WAL mode (through SQLiteNIO, which bundles
/// SQLite), one row per event in arrival order.
///
/// Schema version 1 (`PRAGMA user_version = 1`; docs/serving.md):
/// ```sql
/// CREATE TABLE events (
///     id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- arrival order
///     user        TEXT    NOT NULL,
///     item        TEXT    NOT NULL,
///     value       REAL    NOT NULL,
///     timestamp   INTEGER NOT NULL,                   -- Unix seconds, when it happened
///     kind        TEXT    NOT NULL,
///     received_at INTEGER NOT NULL                    -- Unix milliseconds, when stored
/// );
/// CREATE INDEX events_user ON events (user);
/// ```
///
/// Durability: ``append(_:)`` returns only after the transaction holding the events has
/// committed with `synchronous = FULL` (the WAL is synced to disk at every commit), so an event
/// acknowledged to a client survives a crash of the process or of the machine. Concurrent
/// appends share one transaction (group commit): one sync for every request that arrived while
/// the previous one was syncing.
public actor FeedbackStore {
    /// The schema this build reads and writes.
    public static let schemaVersion = 1
    public nonisolated let path: String
    let connection: SQLiteConnection
    /// The store file held with flock(LOCK_EX): one service per store (a reader such as
    /// `train --feedback` takes no lock).
    let lock: Int32
    var pending: [(events: [FeedbackEvent], done: CheckedContinuation<Void, any Error>)] = []
    var writing = false
    /// Events in the store.
    public private(set) var count = 0

    init(path: String, connection: SQLiteConnection, lock: Int32, count: Int) {
        self.path = path; self.connection = connection; self.lock = lock; self.count = count
    }

    /// Opens (creating when missing) the store at `path`.
    /// - Throws: ``FeedbackStoreError`` when the file is not an SQLite database, was written by a
    ///   newer schema, or cannot be created.
    public static func open(path: String) async throws -> FeedbackStore {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FeedbackStoreError(path: path, reason: "folder \(folder) does not exist")
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw FeedbackStoreError(path: path, reason: "is a folder, not a feedback store")
        }
        // Writable now, or every feedback request would fail later.
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            guard access(file, W_OK) == 0 else { throw FeedbackStoreError(path: path, reason: "\(file) is read-only") }
        }
        guard access(folder, W_OK) == 0 else { throw FeedbackStoreError(path: path, reason: "folder \(folder) is read-only") }
        let connection = try await connect(path)
        var lock: Int32 = -1
        do {
            let count = try await prepare(connection, path: path, create: true)
            lock = Foundation.open(path, O_RDONLY | O_CLOEXEC)
            guard lock >= 0 else { throw FeedbackStoreError(path: path, reason: "cannot open: \(String(cString: strerror(errno)))") }
            guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
                throw FeedbackStoreError(path: path, reason: "another service is using this store (two would each miss the other's feedback)")
            }
            return FeedbackStore(path: path, connection: connection, lock: lock, count: count)
        } catch {
            if lock >= 0 { Foundation.close(lock) }
            try? await connection.close()
            throw error
        }
    }

    /// A connection to `path`; `readOnly` opens it with SQLite's `mode=ro` (no write, no lock
    /// file needed: a store in a read-only folder can be read).
    static func connect(_ path: String, readOnly: Bool = false) async throws -> SQLiteConnection {
        do {
            guard readOnly else { return try await SQLiteConnection.open(storage: .file(path: path)) }
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            let encoded = absolute.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#%"))) ?? absolute
            return try await SQLiteConnection.open(storage: .file(path: "file:\(encoded)?mode=ro"))
        } catch {
            throw FeedbackStoreError(path: path, reason: "cannot open: \(describe(error))")
        }
    }

    /// Checks the schema (creating it in an empty database when `create`), sets WAL mode, and
    /// returns the number of events.
    static func prepare(_ db: SQLiteConnection, path: String, create: Bool) async throws -> Int {
        func run(_ sql: String) async throws -> [SQLiteRow] {
            do { return try await db.query(sql) } catch { throw FeedbackStoreError(path: path, reason: describe(error)) }
        }
        let version = try await run("PRAGMA user_version").first?.column("user_version")?.integer ?? 0
        if version > schemaVersion {
            throw FeedbackStoreError(path: path, reason: "schema version \(version) was written by a newer rectrain; this one reads version \(schemaVersion)")
        }
        if version == 0 {
            let tables = try await run("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            guard tables.isEmpty else {
                throw FeedbackStoreError(path: path, reason: "is an SQLite database but not a feedback store (tables: \(tables.compactMap { $0.column("name")?.string }.joined(separator: ", ")))")
            }
            guard create else { throw FeedbackStoreError(path: path, reason: "is an empty database, not a feedback store") }
            _ = try await run("BEGIN IMMEDIATE")
            _ = try await run("""
                CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, item TEXT NOT NULL,
                value REAL NOT NULL, timestamp INTEGER NOT NULL, kind TEXT NOT NULL, received_at INTEGER NOT NULL)
                """)
            _ = try await run("CREATE INDEX events_user ON events (user)")
            _ = try await run("PRAGMA user_version = \(schemaVersion)")
            _ = try await run("COMMIT")
        }
        if create {
            _ = try await run("PRAGMA journal_mode = WAL")
            _ = try await run("PRAGMA synchronous = FULL")
            _ = try await run("PRAGMA busy_timeout = 5000")
        }
        return Int(try await run("SELECT count(*) AS n FROM events").first?.column("n")?.integer ?? 0)
    }

    /// Stores `events` durably (see the type's discussion): when this returns, they are on disk.
    /// - Throws: ``FeedbackStoreError`` when the write fails (nothing of `events` is stored then).
    public func append(_ events: [FeedbackEvent]) async throws {
        guard !events.isEmpty else { return }
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            pending.append((events, done))
            if !writing {
                writing = true
                Task { await self.drain() }
            }
        }
    }

    /// Writes what is pending, one transaction per round, until nothing is.
    func drain() async {
        while !pending.isEmpty {
            let batch = pending
            pending = []
            do {
                try await write(batch.flatMap(\.events))
                count += batch.reduce(0) { $0 + $1.events.count }
                for request in batch { request.done.resume() }
            } catch {
                for request in batch { request.done.resume(throwing: error) }
            }
        }
        writing = false
    }

    func write(_ events: [FeedbackEvent]) async throws {
        let receivedAt = Int64((Date().timeIntervalSince1970 * 1000).rounded())
        do {
            _ = try await connection.query("BEGIN IMMEDIATE")
            do {
                // Multi-row inserts of up to 200 rows (7 parameters each, under SQLite's limit).
                var start = 0
                while start < events.count {
                    let chunk = events[start..<min(start + 200, events.count)]
                    let sql = "INSERT INTO events (user, item, value, timestamp, kind, received_at) VALUES "
                        + Array(repeating: "(?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")
                    var binds: [SQLiteData] = []
                    binds.reserveCapacity(chunk.count * 6)
                    for e in chunk {
                        binds += [.text(e.user), .text(e.item), .float(e.value), .integer(Int(e.timestamp)), .text(e.kind), .integer(Int(receivedAt))]
                    }
                    _ = try await connection.query(sql, binds)
                    start += chunk.count
                }
                _ = try await connection.query("COMMIT")
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
        } catch let error as FeedbackStoreError {
            throw error
        } catch {
            throw FeedbackStoreError(path: path, reason: "write failed: \(FeedbackStore.describe(error))")
        }
    }

    /// Every event, in arrival order.
    public func events() async throws -> [FeedbackEvent] {
        try await FeedbackStore.events(connection, path: path)
    }

    static func events(_ db: SQLiteConnection, path: String) async throws -> [FeedbackEvent] {
        let rows: [SQLiteRow]
        do {
            rows = try await db.query("SELECT user, item, value, timestamp, kind FROM events ORDER BY id")
        } catch {
            throw FeedbackStoreError(path: path, reason: describe(error))
        }
        return try rows.map { row in
            guard let user = row.column("user")?.string, let item = row.column("item")?.string,
                  let value = row.column("value")?.double, let timestamp = row.column("timestamp")?.integer,
                  let kind = row.column("kind")?.string else {
                throw FeedbackStoreError(path: path, reason: "corrupted row: \(row)")
            }
            return FeedbackEvent(user: user, item: item, value: value, timestamp: Int64(timestamp), kind: kind)
        }
    }

    /// Closes the database (pending appends finish first).
    public func close() async throws {
        while writing { await Task.yield() }
        try await connection.close()
        Foundation.close(lock)
    }

    /// Every event of the store at `path`, in arrival order, without changing the file: what
    /// `rectrain train --feedback` reads.
    /// - Throws: ``FeedbackStoreError`` when there is no such file or it is not a feedback store.
    public static func readEvents(path: String) async throws -> [FeedbackEvent] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FeedbackStoreError(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw FeedbackStoreError(path: path, reason: "is a folder, not a feedback store") }
        let connection = try await connect(path, readOnly: true)
        do {
            _ = try await prepare(connection, path: path, create: false)
            let events = try await events(connection, path: path)
            try? await connection.close()
            return events
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// SQLite's own words for an error ("file is not a database"), without Swift type names.
    static func describe(_ error: any Error) -> String {
        if let error = error as? SQLiteError { return error.message }
        if let error = error as? FeedbackStoreError { return error.reason }
        return "\(error)"
    }
}
