import FeedbackStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import Recommend
import Synchronization

/// The service could not start (the address is taken, the host does not resolve).
public struct ServiceStartError: Error, CustomStringConvertible {
    public var description: String
}

/// How `rectrain serve` runs.
public struct ServerConfiguration: Sendable {
    /// Address to bind; 127.0.0.1 (this machine only) unless told otherwise.
    public var host = "127.0.0.1"
    /// TCP port; 0 picks a free one (the listening line says which).
    public var port = 8080
    /// The model file answered from, and reloaded by `POST /v1/admin/reload`.
    public var modelPath: String
    /// A session model file for `POST /v1/sessions/next`.
    public var sessionModelPath: String?
    /// The feedback store (SQLite), created when missing; nil keeps feedback in memory only.
    public var storePath: String?
    /// Event-loop threads.
    public var threads = 2
    /// The bearer token of `POST /v1/admin/reload`; nil turns the admin route off.
    public var adminToken: String?
    /// Largest request body, bytes (413 above).
    public var maxBodyBytes = 1 << 20
    /// Seconds a connection may stay silent before it is closed (slow or idle clients).
    public var idleTimeoutSeconds: Int64 = 30
    /// Seconds a request body may take to arrive (408 after).
    public var bodyTimeoutSeconds: Int64 = 10
    public var limits = RequestLimits()

    public init(modelPath: String) { self.modelPath = modelPath }
}

/// The HTTP service of `rectrain serve` on Hummingbird 2: routes (docs/openapi.yaml), JSON
/// errors, metrics, the feedback store and the live model.
public final class RecommendService: Sendable {
    public let configuration: ServerConfiguration
    public let live: LiveRecommender
    public let store: FeedbackStore?
    public let metrics = ServerMetrics()
    let reloading = Mutex(false)
    /// Where the service reports what an operator wants to know (start-up, reloads).
    let log: @Sendable (String) -> Void

    /// Loads the models, opens the store and replays it into the users' histories and factors.
    /// - Throws: ``ModelFileError``, ``FeedbackStoreError``, ``RecommenderError``.
    public init(configuration: ServerConfiguration, log: @escaping @Sendable (String) -> Void = { _ in }) async throws {
        self.configuration = configuration
        self.log = log
        let start = Date()
        live = LiveRecommender(try ModelSnapshot.load(model: configuration.modelPath, session: configuration.sessionModelPath, version: 1))
        let snapshot = live.snapshot
        log(String(format: "loaded the %@ model (%d users, %d titles) in %.0f ms", snapshot.saved.model.name,
                   snapshot.saved.userIDs.count, snapshot.saved.itemIDs.count, Date().timeIntervalSince(start) * 1000))
        if let path = configuration.storePath {
            let store = try await FeedbackStore.open(path: path)
            let replayStart = Date()
            let events = try await store.events()
            try live.apply(events)
            log(String(format: "replayed %d feedback events of %d users from %@ in %.0f ms", events.count, live.usersWithFeedback, path,
                       Date().timeIntervalSince(replayStart) * 1000))
            self.store = store
        } else {
            store = nil
        }
    }

    /// The routes, behind the metrics and the JSON error middleware.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: JSONErrorMiddleware())
        let limits = configuration.limits
        let maxBody = configuration.maxBodyBytes
        let bodyTimeout = Duration.seconds(configuration.bodyTimeoutSeconds)

        router.get("/v1/users/:id/recommendations") { request, context in
            try checkQuery(request, allowed: ["n", "explain", "exclude"])
            let user = try limits.id(try pathID(context), "user id")
            let n = try limits.count(query: request.uri.queryParameters["n"].map(String.init))
            let explain = try flag(request.uri.queryParameters["explain"].map(String.init), "explain")
            // Counted with empty entries (`exclude=` is no id, but an entry of the list).
            let entries = request.uri.queryParameters.getAll("exclude").flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
            guard entries.count <= limits.maxQueryListLength else {
                throw APIError.badRequest("exclude has \(entries.count) entries; at most \(limits.maxQueryListLength) in the query")
            }
            let exclude = try limits.ids(entries.filter { !$0.isEmpty }.map(String.init), "exclude")
            let answer = try self.live.recommend(user: user, count: n, explain: explain, exclude: exclude)
            return jsonResponse(ResponseJSON.recommendations(answer, user: user, explained: explain))
        }
        router.post("/v1/recommendations") { request, context in
            try checkQuery(request, allowed: [])
            let body = try decodeBody(VisitorRequest.self, from: try await collect(request, maxBody, within: bodyTimeout))
            let history = try limits.ids(body.history, "history"), exclude = try limits.ids(body.exclude ?? [], "exclude")
            let answer = try self.live.recommend(history: history, count: try limits.count(body.n), exclude: exclude)
            return jsonResponse(ResponseJSON.recommendations(answer, history: history))
        }
        router.post("/v1/sessions/next") { request, context in
            try checkQuery(request, allowed: [])
            let body = try decodeBody(SessionRequest.self, from: try await collect(request, maxBody, within: bodyTimeout))
            let items = try limits.ids(body.items, "items")
            let answer = try self.live.next(session: items, count: try limits.count(body.n))
            return jsonResponse(ResponseJSON.recommendations(answer, session: items))
        }
        router.get("/v1/items/:id/similar") { request, context in
            try checkQuery(request, allowed: ["n"])
            let item = try limits.id(try pathID(context), "item id")
            let n = try limits.count(query: request.uri.queryParameters["n"].map(String.init))
            let (answer, title) = try self.live.similar(item: item, count: n)
            return jsonResponse(ResponseJSON.similar(item: item, title: title, answer))
        }
        router.post("/v1/feedback") { request, context in
            try checkQuery(request, allowed: [])
            let bytes = try await collect(request, maxBody, within: bodyTimeout)
            let now = Int64(Date().timeIntervalSince1970)
            let events: [FeedbackEvent]
            if bytes.first(where: { !$0.isWhitespace }) == UInt8(ascii: "[") {
                let list = try decodeBody([EventRequest].self, from: bytes)
                guard !list.isEmpty else { throw APIError.badRequest("the list of events is empty") }
                guard list.count <= limits.maxListLength else {
                    throw APIError.badRequest("\(list.count) events in one request; at most \(limits.maxListLength)")
                }
                events = try list.enumerated().map { try limits.event($0.element, at: $0.offset, now: now) }
            } else {
                events = [try limits.event(try decodeBody(EventRequest.self, from: bytes), at: nil, now: now)]
            }
            // Durable first, then visible: a 2xx means the events are on disk.
            try await self.store?.append(events)
            let unknown = try self.live.apply(events)
            return try json(FeedbackJSON(stored: events.count, unknown_items: unknown, durable: self.store != nil,
                                         events_stored: await self.store?.count ?? 0, model_version: self.live.snapshot.version))
        }
        router.get("/healthz") { request, context in
            try checkQuery(request, allowed: [])
            let saved = self.live.snapshot
            return try json(HealthJSON(status: "ok", model: saved.saved.model.name, model_version: saved.version,
                                       users: saved.saved.userIDs.count, items: saved.saved.itemIDs.count,
                                       session_model: saved.session?.model.name, users_with_feedback: self.live.usersWithFeedback,
                                       events_stored: await self.store?.count ?? 0))
        }
        router.get("/metrics") { request, context in
            try checkQuery(request, allowed: [])
            let text = self.metrics.text(version: self.live.snapshot.version, events: await self.store?.count ?? 0, users: self.live.usersWithFeedback)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.post("/v1/admin/reload") { request, context in
            guard let token = self.configuration.adminToken else {
                throw APIError.notFound("no route POST /v1/admin/reload: the admin route is off (start the server with an admin token)")
            }
            try checkQuery(request, allowed: [])
            // The scheme is case-insensitive (RFC 9110), the token is not.
            let given = request.headers[.authorization] ?? ""
            let scheme = given.prefix(7).lowercased(), credentials = String(given.dropFirst(7))
            guard scheme == "bearer ", constantTimeEqual(credentials, token) else {
                throw APIError(401, "reload needs the header Authorization: Bearer <the admin token given at start-up>")
            }
            return try json(try await self.reload())
        }
        return router
    }

    /// Reads the model files again and swaps them in; one reload at a time.
    func reload() async throws -> ReloadJSON {
        let busy = reloading.withLock { busy in
            defer { busy = true }
            return busy
        }
        guard !busy else { throw APIError(409, "a reload is already running") }
        defer { reloading.withLock { $0 = false } }
        let start = Date()
        let version = live.snapshot.version + 1
        let configuration = self.configuration
        // Off the request threads: reading and checking a model file takes milliseconds to seconds.
        let snapshot: ModelSnapshot = try await withCheckedThrowingContinuation { done in
            DispatchQueue.global().async {
                done.resume(with: Result {
                    do {
                        return try ModelSnapshot.load(model: configuration.modelPath, session: configuration.sessionModelPath, version: version)
                    } catch {
                        let message = "reload failed, still serving version \(version - 1): \(error)"
                        self.log(message)
                        throw APIError(422, message)
                    }
                })
            }
        }
        live.swap(snapshot)
        log(String(format: "reloaded the %@ model as version %d (%d users, %d titles) in %.0f ms", snapshot.saved.model.name, snapshot.version,
                   snapshot.saved.userIDs.count, snapshot.saved.itemIDs.count, Date().timeIntervalSince(start) * 1000))
        return ReloadJSON(model: snapshot.saved.model.name, model_version: snapshot.version,
                          users: snapshot.saved.userIDs.count, items: snapshot.saved.itemIDs.count,
                          load_seconds: Date().timeIntervalSince(start))
    }

    /// Binds and serves until SIGINT or SIGTERM; `onListening` gets the bound port.
    public func run(verbose: Bool = false, onListening: @escaping @Sendable (Int) -> Void) async throws {
        var logger = Logger(label: "rectrain.serve", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = verbose ? .info : .warning
        // NIO's shared event loops: sized and, when the executable asked for it, made Swift's
        // global executor by ``useEventLoopsForConcurrency(threads:)``.
        let group = MultiThreadedEventLoopGroup.singleton
        let app = Application(
            router: router(),
            server: .http1(configuration: .init(idleTimeout: .seconds(configuration.idleTimeoutSeconds))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "rectrain"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            eventLoopGroupProvider: .shared(group),
            logger: logger
        )
        do {
            try await app.runService()
        } catch let error as IOError {
            // bind() failures, in words: "cannot listen on 127.0.0.1:8080: Address already in use".
            throw ServiceStartError(description: "cannot listen on \(configuration.host):\(configuration.port): \(String(cString: strerror(error.errnoCode)))")
        } catch is SocketAddressError {
            throw ServiceStartError(description: "cannot listen on \(configuration.host):\(configuration.port): the host does not resolve to an address")
        }
        try await store?.close()
    }

    /// Process-wide, for the executable's `main` only, before any other concurrency: runs
    /// Swift concurrency's global executor on NIO's `threads` event loops, so a request's handler
    /// runs on the thread that read it instead of hopping to another pool and back (p50 and p99
    /// latency: docs/serving.md). Returns false when it was too late to install.
    public static func useEventLoopsForConcurrency(threads: Int) -> Bool {
        NIOSingletons.groupLoopCountSuggestion = threads
        NIOSingletons.blockingPoolThreadCountSuggestion = max(2, threads)
        return NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}

// MARK: - Request helpers

/// The request body, at most `limit` bytes (413 above; a Content-Length above is refused before
/// reading).
func collect(_ request: Request, _ limit: Int, within timeout: Duration) async throws -> Data {
    if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
        throw APIError(413, "request body of \(length) bytes; at most \(limit)")
    }
    do {
        // A client that sends its body slower than `timeout` gets 408 instead of holding the
        // connection (the idle timeout only closes connections that send nothing). A body that
        // ends early or is badly chunked is the client's fault: 400, not 500.
        let buffer: ByteBuffer? = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask { try await request.body.collect(upTo: limit) }
            group.addTask { try await Task.sleep(for: timeout); return nil }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        guard let buffer else { throw APIError(408, "the request body did not arrive within \(timeout.components.seconds) s") }
        return Data(buffer.readableBytesView)
    } catch is NIOTooManyBytesError {
        throw APIError(413, "request body larger than \(limit) bytes")
    } catch let error as APIError {
        throw error
    } catch is CancellationError {
        throw CancellationError()
    } catch {
        throw APIError.badRequest("the request body could not be read: it ended early or its chunked encoding is malformed")
    }
}

func pathID(_ context: BasicRequestContext) throws -> String {
    guard let raw = context.parameters.get("id") else { throw APIError.badRequest("missing id in the path") }
    guard let id = raw.removingPercentEncoding else {
        throw APIError.badRequest("the id in the path has invalid percent-encoding (%XX of UTF-8 bytes expected)")
    }
    return id
}

/// Refuses query parameters a route does not take, and single-valued ones given twice (every
/// parameter but `exclude`).
func checkQuery(_ request: Request, allowed: Set<String>) throws {
    var seen = Set<Substring>()
    for (key, _) in request.uri.queryParameters {
        guard allowed.contains(String(key)) else {
            let takes = allowed.isEmpty ? "this route takes none" : "this route takes \(allowed.sorted().joined(separator: ", "))"
            throw APIError.badRequest("unknown query parameter \"\(key.prefix(64))\": \(takes)")
        }
        guard seen.insert(key).inserted || key == "exclude" else {
            throw APIError.badRequest("query parameter \"\(key)\" is given more than once")
        }
    }
}

/// The routes and their methods, for 405 answers: a path that matches a route with another
/// method.
let routeMethods: [(pattern: [String], methods: String)] = [
    (["v1", "users", "*", "recommendations"], "GET"), (["v1", "recommendations"], "POST"), (["v1", "sessions", "next"], "POST"),
    (["v1", "items", "*", "similar"], "GET"), (["v1", "feedback"], "POST"), (["healthz"], "GET"), (["metrics"], "GET"),
    (["v1", "admin", "reload"], "POST"),
]

/// The methods `path` takes, when it names a route.
func allowedMethods(_ path: String) -> String? {
    let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
    return routeMethods.first { route in
        route.pattern.count == parts.count && zip(route.pattern, parts).allSatisfy { $0 == "*" ? !$1.isEmpty : $0 == $1 }
    }?.methods
}

/// `true`/`false`/`1`/`0`, absent = false.
func flag(_ value: String?, _ name: String) throws -> Bool {
    switch value {
    case nil, "false", "0": return false
    case "true", "1", "": return true
    case let value?: throw APIError.badRequest("\(name) must be true or false, got \"\(value.prefix(40))\"")
    }
}

func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var difference = UInt8(x.count == y.count ? 0 : 1)
    for i in 0..<min(x.count, y.count) { difference |= x[i] ^ y[i] }
    return difference == 0
}

extension UInt8 {
    var isWhitespace: Bool { self == 0x20 || self == 0x0A || self == 0x0D || self == 0x09 }
}

// MARK: - Responses

func jsonResponse(_ body: ByteBuffer) -> Response {
    Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: body))
}

func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

struct FeedbackJSON: Encodable {
    var stored: Int
    var unknown_items: Int
    var durable: Bool
    var events_stored: Int
    var model_version: Int
}

struct HealthJSON: Encodable {
    var status: String
    var model: String
    var model_version: Int
    var users: Int
    var items: Int
    var session_model: String?
    var users_with_feedback: Int
    var events_stored: Int
}

struct ReloadJSON: Encodable {
    var model: String
    var model_version: Int
    var users: Int
    var items: Int
    var load_seconds: Double
}

struct ErrorJSON: Encodable {
    struct Body: Encodable {
        var status: Int
        var message: String
    }
    var error: Body
}
