import ArgumentParser
import FeedbackStore
import Foundation
import Recommend
import RecommendServer
import Synchronization
import DenseLinalg

struct ServeCommand: ParsableCommand, UsesGlobalOptions {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve recommendations over HTTP (JSON), learning from feedback as it arrives.",
        discussion: """
        Routes (docs/openapi.yaml): GET /v1/users/{id}/recommendations?n=10&explain=true&exclude=a,b; \
        POST /v1/recommendations {"history": [...], "n": 10} for a visitor; POST /v1/sessions/next \
        {"items": [...], "n": 10}; GET /v1/items/{id}/similar?n=10; POST /v1/feedback with one event \
        {"user", "item", "value"?, "timestamp"?, "kind"?} or a list of them; GET /healthz; GET /metrics \
        (Prometheus); POST /v1/admin/reload (only with an admin token). Feedback is stored in the \
        SQLite --store (WAL, synced at every commit) before the answer, added to the user's history \
        and, for ALS and SVD, folded into the user's factor, so the next answer reflects it. On start \
        the store is replayed. `rectrain train --feedback STORE` trains on the data plus the stored \
        feedback; reload then swaps the new model in. Binds to 127.0.0.1 unless --host says \
        otherwise; the admin token comes from --admin-token-file or RECTRAIN_ADMIN_TOKEN. --threads \
        sets the event-loop threads; each request runs on one thread. Stops on SIGINT or SIGTERM.
        """
    )

    @Option(help: "Model file written by `rectrain train` (reloaded from the same path by POST /v1/admin/reload).") var model: String
    @Option(help: "A session model file (train --model session) for POST /v1/sessions/next; not needed when --model is one.")
    var sessionModel: String?
    @Option(help: "Address to bind: 127.0.0.1 is this machine only, 0.0.0.0 every interface.") var host = "127.0.0.1"
    @Option(parsing: .unconditional, help: "TCP port (0: any free port; the listening line on standard output names it).") var port = 8080
    @Option(help: "Feedback store: an SQLite file, created when missing (default: events.sqlite).") var store: String?
    @Flag(help: "Keep feedback in memory only (lost at exit); no store is opened.") var noStore = false
    @Option(help: "File holding the bearer token that turns on POST /v1/admin/reload (default: RECTRAIN_ADMIN_TOKEN, else the route is off).")
    var adminTokenFile: String?
    @Option(parsing: .unconditional, help: "Largest request body in bytes; larger ones get 413.") var maxBodyBytes = 1 << 20
    @Option(parsing: .unconditional, help: "Largest n a request may ask for.") var maxCount = 1_000
    @Option(parsing: .unconditional, help: "Seconds a connection may stay silent before it is closed.") var idleTimeout = 30
    @Option(parsing: .unconditional, help: "Seconds a request body may take to arrive; slower ones get 408.") var bodyTimeout = 10
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, got \(port)") }
        guard maxBodyBytes >= 1_024 && maxBodyBytes <= 1 << 30 else { throw ValidationError("--max-body-bytes must be between 1024 and 1073741824, got \(maxBodyBytes)") }
        guard maxCount >= 1 && maxCount <= 100_000 else { throw ValidationError("--max-count must be between 1 and 100000, got \(maxCount)") }
        guard idleTimeout >= 1 && idleTimeout <= 3_600 else { throw ValidationError("--idle-timeout must be between 1 and 3600 seconds, got \(idleTimeout)") }
        guard bodyTimeout >= 1 && bodyTimeout <= 3_600 else { throw ValidationError("--body-timeout must be between 1 and 3600 seconds, got \(bodyTimeout)") }
        guard !host.isEmpty else { throw ValidationError("--host must not be empty") }
        if noStore && store != nil { throw ValidationError("--store and --no-store exclude each other") }
    }

    func run() throws {
        var configuration = ServerConfiguration(modelPath: model)
        configuration.sessionModelPath = sessionModel
        configuration.host = host
        configuration.port = port
        configuration.storePath = noStore ? nil : store ?? "events.sqlite"
        configuration.threads = global.threads
        configuration.maxBodyBytes = maxBodyBytes
        configuration.limits.maxCount = maxCount
        configuration.idleTimeoutSeconds = Int64(idleTimeout)
        configuration.bodyTimeoutSeconds = Int64(bodyTimeout)
        if let adminTokenFile {
            guard let text = try? String(contentsOfFile: adminTokenFile, encoding: .utf8) else { throw ValidationError("--admin-token-file \(adminTokenFile): cannot be read") }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard token.count >= 16 else { throw ValidationError("--admin-token-file \(adminTokenFile): the token must have at least 16 characters") }
            configuration.adminToken = token
        } else if let token = StartupEnvironment.adminToken?.trimmingCharacters(in: .whitespacesAndNewlines) {
            guard token.count >= 16 else { throw ValidationError("RECTRAIN_ADMIN_TOKEN must have at least 16 characters") }
            configuration.adminToken = token
        }
        // Requests run side by side, one thread each: BLAS inside a request stays on its thread.
        Parallel.configuredBLASThreads = 1
        // Before any task starts: handlers run on the event loop that read the request.
        if !RecommendService.useEventLoopsForConcurrency(threads: global.threads) {
            global.warn("could not run Swift concurrency on the event loops; requests hop between thread pools")
        }
        let settings = configuration
        let quiet = global.quiet, verbose = global.verbose, storeNote = noStore ? "in memory only" : "store \(settings.storePath ?? "")"
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host  // IPv6 in a URL
        do {
            try serve(settings, quiet: quiet, verbose: verbose, host: host, storeNote: storeNote)
        } catch let RecommenderError.notSessionModel(model) {
            // Only the --session-model file is checked for it at start-up: name the option.
            throw ValidationError("--session-model \(sessionModel ?? "") holds the \(model) model; train one with --model session")
        }
    }

    func serve(_ settings: ServerConfiguration, quiet: Bool, verbose: Bool, host: String, storeNote: String) throws {
        try runBlocking {
            let service = try await RecommendService(configuration: settings) { line in
                if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            }
            let snapshot = service.live.snapshot
            try await service.run(verbose: verbose) { port in
                // Unbuffered: scripts and tests wait for this line.
                FileHandle.standardOutput.write(Data(("rectrain serve: listening on http://\(host):\(port) (\(snapshot.saved.model.name) model, \(storeNote)"
                    + (settings.adminToken == nil ? ")\n" : ", admin route on)\n")).utf8))
            }
        }
    }
}

/// Runs `body` on Swift's concurrency threads and waits for it (the command line is synchronous).
func runBlocking(_ body: @escaping @Sendable () async throws -> Void) throws {
    let done = DispatchSemaphore(value: 0)
    let outcome = Mutex<Result<Void, any Error>>(.success(()))
    Task {
        do { try await body() } catch { outcome.withLock { $0 = .failure(error) } }
        done.signal()
    }
    done.wait()
    try outcome.withLock { $0 }.get()
}

/// Settings `main` reads from the environment for the service, once.
enum StartupEnvironment {
    /// RECTRAIN_ADMIN_TOKEN: the bearer token of POST /v1/admin/reload.
    nonisolated(unsafe) static var adminToken: String?
    /// Whether an MPI launcher started this process (Open MPI's OMPI_COMM_WORLD_SIZE, or a PMI
    /// launcher's PMI_SIZE / PMIX_RANK): `train --distributed` runs only then.
    nonisolated(unsafe) static var mpiLaunched = false
}
