import FeedbackStore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `rectrain serve` as a client sees it: the built binary on a free port.
final class Server: @unchecked Sendable {
    let process = Process()
    let port: Int
    let log: String

    /// Starts `rectrain serve --port 0 …` and waits for its listening line.
    init(_ arguments: [String], environment: [String: String] = [:], folder: String) throws {
        log = folder + "/serve-\(UUID().uuidString).out"
        FileManager.default.createFile(atPath: log, contents: nil)
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["serve", "--port", "0", "--quiet"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle(forWritingAtPath: folder + "/serve.err")
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while true {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(text[range].split(separator: ":").last!)!
                return
            }
            guard process.isRunning, Date() < deadline else {
                let err = (try? String(contentsOfFile: folder + "/serve.err", encoding: .utf8)) ?? ""
                throw ServerFailed(message: "server did not start: \(err)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
    struct ServerFailed: Error { var message: String }

    func stop() { if process.isRunning { process.terminate(); process.waitUntilExit() } }
    func kill() { Foundation.kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    deinit { stop() }

    /// One request; the status and the JSON body (nil when not JSON).
    func call(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:]) async throws -> (status: Int, json: [String: Any]?, text: String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = 30
        if let body { request.httpBody = Data(body.utf8); request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as! HTTPURLResponse).statusCode
        return (status, try? JSONSerialization.jsonObject(with: data) as? [String: Any], String(decoding: data, as: UTF8.self))
    }

    static func items(_ json: [String: Any]?) -> [String] {
        ((json?["items"] as? [[String: Any]]) ?? []).compactMap { $0["item"] as? String }
    }
}

@Suite(.serialized) struct ServeTests {
    /// ALS and session models of the small generated world, trained once.
    static let models: (folder: String, als: String, session: String, ease: String) = {
        let dir = try! CLI.folder("serve")
        for (model, extra) in [("als", ["--factors", "16", "--iterations", "5"]), ("session", []), ("ease", [])] {
            let r = try! CLI.run(["train", "--data", CLI.world, "--model", model, "--output", dir + "/\(model).model", "--quiet"] + extra)
            precondition(r.status == 0, r.err)
        }
        return (dir, dir + "/als.model", dir + "/session.model", dir + "/ease.model")
    }()

    @Test func everyRouteAnswersAndFeedbackChangesTheNextAnswer() async throws {
        let m = Self.models
        let dir = try CLI.folder("serve-routes")
        let server = try Server(["--model", m.als, "--session-model", m.session, "--store", dir + "/events.sqlite"], folder: dir)
        defer { server.stop() }

        // A known user: what `recommend --json` answers, in the same shape.
        let cli = try CLI.run(["recommend", "--model", m.als, "--user", "USER_00007", "-n", "5", "--json"])
        let expected = Server.items(try JSONSerialization.jsonObject(with: Data(cli.out.utf8)) as? [String: Any])
        let first = try await server.call("GET", "/v1/users/USER_00007/recommendations?n=5")
        #expect(first.status == 200)
        #expect(Server.items(first.json) == expected)
        #expect(first.json?["strategy"] as? String == "als" && first.json?["model"] as? String == "als" && first.json?["user"] as? String == "USER_00007")
        let entry = try #require((first.json?["items"] as? [[String: Any]])?.first)
        #expect(entry["rank"] as? Int == 1 && entry["title"] is String && entry["score"] is Double)
        // exclude= drops titles.
        let excluded = try await server.call("GET", "/v1/users/USER_00007/recommendations?n=5&exclude=\(expected[0]),\(expected[1])")
        #expect(!Server.items(excluded.json).contains(expected[0]) && !Server.items(excluded.json).contains(expected[1]))

        // Feedback: stored, then the next answer excludes the title and the factor moved.
        let fb = try await server.call("POST", "/v1/feedback", body: #"[{"user": "USER_00007", "item": "\#(expected[0])", "value": 1, "kind": "play"}, {"user": "USER_00007", "item": "\#(expected[2])"}]"#)
        #expect(fb.status == 200 && fb.json?["stored"] as? Int == 2 && fb.json?["durable"] as? Bool == true, "\(fb.text)")
        let after = try await server.call("GET", "/v1/users/USER_00007/recommendations?n=5")
        #expect(!Server.items(after.json).contains(expected[0]) && !Server.items(after.json).contains(expected[2]))
        let scoresBefore = (first.json?["items"] as! [[String: Any]]).map { $0["score"] as! Double }
        let scoresAfter = (after.json?["items"] as! [[String: Any]]).map { $0["score"] as! Double }
        #expect(scoresBefore != scoresAfter)
        // A user new to the model: cold start, then their feedback drives the fold-in.
        let stranger = try await server.call("GET", "/v1/users/NEW_PERSON/recommendations?n=3")
        #expect(stranger.json?["strategy"] as? String == "cold-start: popularity")
        _ = try await server.call("POST", "/v1/feedback", body: #"{"user": "NEW_PERSON", "item": "TITLE_0003", "timestamp": 1700000000}"#)
        let known = try await server.call("GET", "/v1/users/NEW_PERSON/recommendations?n=3")
        #expect(known.json?["strategy"] as? String == "cold-start: als-fold-in" && !Server.items(known.json).contains("TITLE_0003"))

        // Visitors, sessions, similar titles.
        let visitor = try await server.call("POST", "/v1/recommendations", body: #"{"history": ["TITLE_0001", "TITLE_0002"], "n": 4}"#)
        #expect(visitor.status == 200 && Server.items(visitor.json).count == 4 && visitor.json?["strategy"] as? String == "cold-start: als-fold-in")
        let next = try await server.call("POST", "/v1/sessions/next", body: #"{"items": ["TITLE_0001", "TITLE_0002"], "n": 3}"#)
        #expect(next.status == 200 && Server.items(next.json).count == 3 && !Server.items(next.json).contains("TITLE_0001"))
        let similar = try await server.call("GET", "/v1/items/TITLE_0001/similar?n=4")
        #expect(similar.status == 200 && Server.items(similar.json).count == 4 && similar.json?["item"] as? String == "TITLE_0001")

        // Health and metrics.
        let health = try await server.call("GET", "/healthz")
        #expect(health.status == 200 && health.json?["events_stored"] as? Int == 3 && health.json?["users_with_feedback"] as? Int == 2)
        let metrics = try await server.call("GET", "/metrics")
        #expect(metrics.status == 200 && metrics.text.contains("rectrain_model_version 1.0"))
        #expect(metrics.text.contains(#"rectrain_http_requests_total{route="/v1/users/{id}/recommendations",method="GET",status="200"}"#))
        #expect(metrics.text.contains("rectrain_http_request_duration_seconds_bucket") && metrics.text.contains("rectrain_feedback_events_stored 3.0"))
        // The admin route is off without a token.
        #expect(try await server.call("POST", "/v1/admin/reload").status == 404)

        // The loop closes: retraining on the data plus the store knows the new user.
        server.stop()
        let retrained = dir + "/retrained.model"
        let train = try CLI.run(["train", "--data", CLI.world, "--feedback", dir + "/events.sqlite", "--model", "als", "--factors", "16",
                                 "--iterations", "5", "--output", retrained])
        #expect(train.status == 0 && train.err.contains("added 3 feedback events"), "\(train.err)")
        let newUser = try CLI.run(["recommend", "--model", retrained, "--user", "NEW_PERSON", "-n", "3", "--json"])
        #expect(newUser.out.contains(#""strategy":"als""#) || newUser.out.contains(#""strategy" : "als""#), "\(newUser.out)")
        let bad = try CLI.run(["train", "--data", CLI.world, "--feedback", dir + "/serve.err", "--model", "als", "--output", dir + "/x.model"])
        #expect(bad.status != 0 && bad.err.contains("--feedback") && bad.err.contains("serve.err"), "\(bad.err)")
        let both = try CLI.run(["serve", "--model", m.als, "--store", dir + "/a.sqlite", "--no-store"])
        #expect(both.status != 0 && both.err.contains("--store and --no-store"), "\(both.err)")
    }

    /// A rating model retrains on rating events only, on the data's scale.
    @Test func ratingModelsRetrainOnRatingEventsOnTheDataScale() async throws {
        let dir = try CLI.folder("serve-ratings")
        let csv = dir + "/ratings.csv"
        var rows = ["user,item,rating"]
        for u in 0..<30 { for i in 0..<12 where (u + i) % 3 != 0 { rows.append("u\(u),i\(i),\((u * i) % 5 + 1)") } }
        try rows.joined(separator: "\n").write(toFile: csv, atomically: true, encoding: .utf8)
        let store = try await FeedbackStore.open(path: dir + "/events.sqlite")
        try await store.append([FeedbackEvent(user: "u1", item: "i0", value: 1, timestamp: 1, kind: "view"),
                                FeedbackEvent(user: "u2", item: "i1", value: 4, timestamp: 2, kind: "rating")])
        try await store.close()
        let good = try CLI.run(["train", "--data", csv, "--feedback", dir + "/events.sqlite", "--model", "als-explicit", "--output", dir + "/e.model"])
        #expect(good.status == 0 && good.err.contains("1 of 2 feedback events are of kind \"rating\""), "\(good.err)")
        let wild = try await FeedbackStore.open(path: dir + "/wild.sqlite")
        try await wild.append([FeedbackEvent(user: "u1", item: "i0", value: 1e6, timestamp: 1, kind: "rating")])
        try await wild.close()
        let bad = try CLI.run(["train", "--data", csv, "--feedback", dir + "/wild.sqlite", "--model", "als-explicit", "--output", dir + "/w.model"])
        #expect(bad.status != 0 && bad.err.contains("outside the data's ratings 1–5") && bad.err.contains("wild.sqlite"), "\(bad.err)")
    }

    /// Bad requests get a 4xx with a JSON error naming the problem, and the server lives on.
    @Test func badRequestsAreNamedFourHundreds() async throws {
        let m = Self.models
        let dir = try CLI.folder("serve-bad")
        let server = try Server(["--model", m.ease, "--no-store", "--max-body-bytes", "4096"], folder: dir)
        defer { server.stop() }
        let big = String(repeating: "x", count: 5_000)
        // ALS explains a known user's recommendations by the history items' shares of the score.
        let explained = try await server.call("GET", "/v1/users/USER_00001/recommendations?explain=true&n=3")
        let because = ((explained.json?["items"] as? [[String: Any]]) ?? []).map { $0["because"] as? [String] ?? [] }
        #expect(explained.status == 200 && because.count == 3 && because.allSatisfy { !$0.isEmpty }, "\(explained.text)")
        let cases: [(String, String, String?, Int, String)] = [
            ("POST", "/v1/feedback", "{", 400, "malformed JSON"),
            ("POST", "/v1/feedback", #"{"user": 5, "item": "TITLE_0001"}"#, 400, "field \"user\": expected a string"),
            ("POST", "/v1/feedback", #"{"user": "a", "item": "TITLE_0001", "colour": 1}"#, 400, "unknown field \"colour\""),
            ("POST", "/v1/feedback", #"{"item": "TITLE_0001"}"#, 400, "missing field \"user\""),
            ("POST", "/v1/feedback", #"{"user": "", "item": "TITLE_0001"}"#, 400, "user must not be empty"),
            ("POST", "/v1/feedback", #"{"user": "a", "item": "TITLE_0001", "timestamp": 1700000000000}"#, 400, "timestamp must be Unix seconds"),
            ("POST", "/v1/feedback", "[]", 400, "empty"),
            ("POST", "/v1/feedback", nil, 400, "needs a JSON body"),
            ("POST", "/v1/feedback", #"{"user": "\#(big)", "item": "x"}"#, 413, "at most 4096"),
            ("POST", "/v1/recommendations", #"{"history": "TITLE_0001"}"#, 400, "field \"history\": expected an array"),
            ("POST", "/v1/recommendations", #"{"history": [], "n": 0}"#, 400, "n must be an integer between 1 and 1000, got 0"),
            ("POST", "/v1/recommendations", #"{"history": [], "n": 1e9}"#, 400, "n must be an integer between 1 and 1000"),
            ("GET", "/v1/users/u1/recommendations?n=-3", nil, 400, "n must be an integer between 1 and 1000, got -3"),
            ("GET", "/v1/users/u1/recommendations?n=99999999999999999999", nil, 400, "n must be an integer"),
            ("GET", "/v1/users/u1/recommendations?n=abc", nil, 400, "n must be an integer"),
            ("GET", "/v1/users/u1/recommendations?explain=maybe", nil, 400, "explain must be true or false"),
            ("GET", "/v1/users/u1/recommendations?file=/etc/passwd", nil, 400, "unknown query parameter \"file\""),
            ("GET", "/v1/items/NO_SUCH_TITLE/similar", nil, 404, "unknown item"),
            ("POST", "/v1/sessions/next", #"{"items": ["TITLE_0001"]}"#, 404, "no session model"),
            ("GET", "/v1/nothing/here", nil, 404, "no route GET /v1/nothing/here"),
            ("DELETE", "/v1/feedback", nil, 405, "use POST"),
            ("GET", "/v1/users/u1/recommendations?n=2&n=abc", nil, 400, "given more than once"),
            ("POST", "/v1/recommendations", #"{"history": [], "n": 1.5}"#, 400, "n must be an integer between 1 and 1000, got 1.5"),
            ("POST", "/v1/feedback", #"{"user": "a", "item": "b", "timestamp": 1.5}"#, 400, "timestamp must be Unix seconds"),
            ("GET", "/v1/users/u1/recommendations?exclude=" + Array(repeating: "x", count: 101).joined(separator: ","), nil, 400, "at most 100 in the query"),
        ]
        for (method, path, body, status, words) in cases {
            let r = try await server.call(method, path, body: body)
            #expect(r.status == status, "\(method) \(path) \(body ?? ""): \(r.status) \(r.text)")
            let message = (r.json?["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.contains(words), "\(method) \(path): \(r.text)")
            #expect(!r.text.contains("Swift") && !r.text.contains(".swift"), "leaks internals: \(r.text)")
        }
        #expect(try await server.call("GET", "/healthz").status == 200)
    }

    /// Sends `bytes` on a new connection (half-closing it when `close`) and returns what the
    /// server answers within 10 s.
    static func raw(_ bytes: String, port: Int, halfClose: Bool = false) -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return "" }
        _ = bytes.withCString { send(fd, $0, strlen($0), 0) }
        if halfClose { shutdown(fd, Int32(SHUT_WR)) }
        var reply = [UInt8](repeating: 0, count: 4_096)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let n = recv(fd, &reply, reply.count, 0)
        return n > 0 ? String(decoding: reply[..<n], as: UTF8.self) : ""
    }

    /// Broken bodies are the client's fault (4xx, JSON), whatever way they break: half a body
    /// then silence (408), half a body then the end of the stream, malformed chunks (400).
    @Test func brokenBodiesAreFourHundreds() async throws {
        let dir = try CLI.folder("serve-slow")
        let server = try Server(["--model", Self.models.ease, "--no-store", "--body-timeout", "1"], folder: dir)
        defer { server.stop() }
        let head = "POST /v1/feedback HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        let start = Date()
        let stalled = Self.raw(head + "Content-Length: 100\r\n\r\n{\"user\": ", port: server.port)
        #expect(stalled.hasPrefix("HTTP/1.1 408") && stalled.contains("did not arrive within 1 s"), "\(stalled)")
        #expect(Date().timeIntervalSince(start) < 5)
        let ended = Self.raw(head + "Content-Length: 100\r\n\r\n{\"user\": ", port: server.port, halfClose: true)
        #expect(ended.hasPrefix("HTTP/1.1 400") && ended.contains("ended early"), "\(ended)")
        let chunked = Self.raw(head + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", port: server.port)
        #expect(chunked.hasPrefix("HTTP/1.1 4"), "\(chunked)")
        #expect(try await server.call("GET", "/healthz").status == 200)
        let metrics = try await server.call("GET", "/metrics")
        #expect(!metrics.text.contains(#"status="500""#), "\(metrics.text)")
    }

    /// Ids are bytes: two spellings of "café" are two users; one service per store; long
    /// histories grow by whole batches.
    @Test func idsAreBytesAndAStoreHasOneService() async throws {
        let dir = try CLI.folder("serve-ids")
        let store = dir + "/events.sqlite"
        let server = try Server(["--model", Self.models.als, "--store", store], folder: dir)
        defer { server.stop() }
        let fb = try await server.call("POST", "/v1/feedback", body: #"[{"user": "caf\u00e9", "item": "TITLE_0001"}, {"user": "cafe\u0301", "item": "TITLE_0002"}]"#)
        #expect(fb.status == 200, "\(fb.text)")
        let nfc = Set(Server.items(try await server.call("GET", "/v1/users/caf%C3%A9/recommendations?n=1000").json))
        let nfd = Set(Server.items(try await server.call("GET", "/v1/users/cafe%CC%81/recommendations?n=1000").json))
        #expect(!nfc.contains("TITLE_0001") && nfc.contains("TITLE_0002") && !nfd.contains("TITLE_0002") && nfd.contains("TITLE_0001"))
        #expect(try await server.call("GET", "/healthz").json?["users_with_feedback"] as? Int == 2)
        #expect(try await server.call("GET", "/v1/users/%FF/recommendations").status == 400)
        // A second service on the same store is refused at start.
        #expect(throws: Server.ServerFailed.self) { _ = try Server(["--model", Self.models.als, "--store", store], folder: dir) }
        // Batches of 10,000 events for one user, and the user's answers exclude them.
        for batch in 0..<3 {
            let events = (0..<9_999).map { #"{"user": "heavy", "item": "X\#(batch)-\#($0)"}"# } + [#"{"user": "heavy", "item": "TITLE_00\#(10 + batch)"}"#]
            #expect(try await server.call("POST", "/v1/feedback", body: "[" + events.joined(separator: ",") + "]").status == 200)
        }
        let heavy = Set(Server.items(try await server.call("GET", "/v1/users/heavy/recommendations?n=1000").json))
        #expect(heavy.isDisjoint(with: ["TITLE_0010", "TITLE_0011", "TITLE_0012"]) && heavy.count == 150 - 3)
    }

    /// Reload swaps a retrained model in while requests keep flowing; none fails.
    @Test func reloadUnderLoadLosesNoRequest() async throws {
        let m = Self.models
        let dir = try CLI.folder("serve-reload")
        let model = dir + "/live.model"
        try FileManager.default.copyItem(atPath: m.als, toPath: model)
        let token = "test-token-0123456789abcdef"
        let server = try Server(["--model", model, "--no-store"], environment: ["RECTRAIN_ADMIN_TOKEN": token], folder: dir)
        defer { server.stop() }
        #expect(try await server.call("POST", "/v1/admin/reload", headers: ["Authorization": "Bearer wrong"]).status == 401)
        let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
            for client in 0..<4 {
                group.addTask {
                    var seen: [Int] = []
                    for r in 0..<60 {
                        let user = String(format: "USER_%05d", (client * 60 + r) % 300 + 1)
                        let answer = try await server.call("GET", "/v1/users/\(user)/recommendations?n=5")
                        seen.append(answer.status)
                        if answer.status == 200 { seen.append(answer.json?["model_version"] as? Int ?? -1) }
                    }
                    return seen
                }
            }
            group.addTask {
                var versions: [Int] = []
                for round in 0..<3 {
                    // Retrain into the served path (an atomic rename), then reload.
                    let r = try CLI.run(["train", "--data", CLI.world, "--model", "ease", "--output", model, "--quiet", "--seed", "\(round)"])
                    precondition(r.status == 0, r.err)
                    let scheme = round == 1 ? "bearer" : "Bearer"   // the scheme is case-insensitive
                    let reload = try await server.call("POST", "/v1/admin/reload", headers: ["Authorization": "\(scheme) \(token)"])
                    versions.append(reload.status == 200 ? reload.json?["model_version"] as? Int ?? -1 : -reload.status)
                }
                return versions.map { 1_000 + $0 }
            }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(statuses.filter { $0 >= 1_000 } == [1_002, 1_003, 1_004], "reloads answered \(statuses.filter { $0 >= 1_000 })")
        #expect(!statuses.contains { $0 >= 300 && $0 < 1_000 }, "a request failed during reload: \(statuses.filter { $0 >= 300 && $0 < 1_000 })")
        let final = try await server.call("GET", "/v1/users/USER_00001/recommendations?n=5")
        #expect(final.json?["model"] as? String == "ease" && final.json?["model_version"] as? Int == 4)
    }

    /// SIGKILL while clients stream feedback: after a restart every acknowledged event is in the
    /// store and in its user's history (never recommended again).
    @Test func acknowledgedFeedbackSurvivesSIGKILL() async throws {
        let m = Self.models
        let dir = try CLI.folder("serve-kill")
        let store = dir + "/events.sqlite"
        let server = try Server(["--model", m.ease, "--store", store], folder: dir)
        let acknowledged = try await withThrowingTaskGroup(of: [String].self) { group in
            for client in 0..<4 {
                group.addTask {
                    var acked: [String] = []
                    for r in 0..<400 {
                        let user = "K\(client)-\(r % 5)", item = String(format: "TITLE_%04d", (r * 7 + client) % 150 + 1)
                        do {
                            let answer = try await server.call("POST", "/v1/feedback", body: #"{"user": "\#(user)", "item": "\#(item)"}"#)
                            if answer.status == 200 { acked.append(user + "|" + item) }
                        } catch { break }   // the server is gone
                    }
                    return acked
                }
            }
            group.addTask {
                // Kill mid-stream, once some events are through.
                while (try? await server.call("GET", "/healthz"))?.json?["events_stored"] as? Int ?? 0 < 150 { try await Task.sleep(for: .milliseconds(5)) }
                server.kill()
                return []
            }
            return try await group.reduce(into: Set<String>()) { $0.formUnion($1) }
        }
        #expect(acknowledged.count >= 150)
        let stored = Set(try await FeedbackStore.readEvents(path: store).map { $0.user + "|" + $0.item })
        #expect(acknowledged.isSubset(of: stored), "lost: \(acknowledged.subtracting(stored).sorted().prefix(5))")
        // Restarted: the store is replayed into the histories.
        let again = try Server(["--model", m.ease, "--store", store], folder: dir)
        defer { again.stop() }
        var byUser: [String: Set<String>] = [:]
        for pair in acknowledged { let p = pair.split(separator: "|"); byUser[String(p[0]), default: []].insert(String(p[1])) }
        for (user, items) in byUser {
            let all = Set(Server.items(try await again.call("GET", "/v1/users/\(user)/recommendations?n=1000").json))
            #expect(all.isDisjoint(with: items), "\(user) is recommended titles they watched")
            #expect(all.count + items.count <= 150)
        }
    }
}
