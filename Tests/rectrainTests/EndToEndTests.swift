import Foundation
import Recommend
import Testing

/// Runs the built `rectrain` binary as a user would.
enum CLI {
    /// The rectrain executable next to the test bundle (`.build/<config>/rectrain`).
    static let binary: String = {
        let candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(), Bundle.main.bundleURL]
            + ["release", "debug"].map { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/\($0)").standardized }
        for folder in candidates {
            let path = folder.appendingPathComponent("rectrain").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return "rectrain"
    }()

    struct Result {
        var status: Int32; var out: String; var err: String
        /// Ended by a signal (a crash or trap), not by exit.
        var signaled = false
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so a full pipe cannot block the child.
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self),
                      signaled: process.terminationReason == .uncaughtSignal)
    }

    static func folder(_ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A folder with train.csv and test.csv: the world's distinct pairs, 25% of each user's held out.
    static func heldOutFiles(_ name: String) throws -> String {
        let dir = try folder(name)
        let (dataset, _) = try DataSource.load(path: world)
        let pairs = dataset.interactions.distinctPairs()
        let split = try Splitter.randomPerUser(pairs, testFraction: 0.25, seed: 1)
        try pairs.subset(split.train).writeCSV(to: dir + "/train.csv")
        try pairs.subset(split.test).writeCSV(to: dir + "/test.csv")
        return dir
    }

    /// A small generated world, written once per test process.
    static let world: String = {
        let dir = try! folder("e2e-world")
        _ = try! SyntheticWorld.generate(.init(users: 300, titles: 150, interactions: 5_000, sessions: 800, seed: 3), to: dir)
        return dir
    }()
}

@Suite(.serialized) struct EndToEndTests {
    /// train → save → load → recommend from the binary gives what the same model gives in process.
    @Test(arguments: ["popular", "itemknn", "als", "ease", "session", "hybrid"])
    func savedModelsRecommendLikeInProcess(model name: String) throws {
        let dir = try CLI.folder("e2e-train")
        let file = dir + "/\(name).model"
        // The hybrid with fixed weights: learning them fits its four members on two validation
        // splits, minutes in a debug build, and save/load fidelity does not depend on the weights.
        let fixed = name == "hybrid" ? ["--no-learn-weights"] : []
        let train = try CLI.run(["train", "--data", CLI.world, "--model", name, "--output", file, "--quiet"] + fixed)
        #expect(train.status == 0, "\(train.err)")
        let (dataset, sessions) = try DataSource.load(path: CLI.world)
        let data = try TrainingData(dataset, sessions: sessions, compute: ComputeSettings(threads: 2), seed: 42)
        var options = ModelOptions()
        if name == "hybrid" { options.learnWeights = false }
        var model = try ModelKind(name).makeRecommender(options)
        try model.fit(data)
        for u in [0, 17, 123] {
            let user = data.interactions.userIDs.id(at: u)
            let expected = try model.recommend(user: u, count: 5, excluding: data.binary).map { data.interactions.itemIDs.id(at: $0.index) }
            let result = try CLI.run(["recommend", "--model", file, "--user", user, "-n", "5", "--json"])
            #expect(result.status == 0, "\(result.err)")
            let json = try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as! [String: Any]
            let items = (json["items"] as! [[String: Any]]).map { $0["item"] as! String }
            #expect(items == expected, "\(name), user \(user)")
            #expect(json["strategy"] as? String == name)
        }
    }

    @Test func coldStartSimilarExplainAndSession() throws {
        let dir = try CLI.folder("e2e-serve")
        #expect(try CLI.run(["train", "--data", CLI.world, "--model", "hybrid", "--output", dir + "/h.model", "--quiet"]).status == 0)
        let unknown = try CLI.run(["recommend", "--model", dir + "/h.model", "--user", "NEW_USER", "-n", "3"])
        #expect(unknown.status == 0 && unknown.out.contains("unknown to the model") && unknown.out.contains("cold-start"))
        let explained = try CLI.run(["recommend", "--model", dir + "/h.model", "--user", "USER_00002", "--explain"])
        #expect(explained.status == 0 && explained.out.contains("because you watched"))
        let similar = try CLI.run(["similar", "--model", dir + "/h.model", "--item", "TITLE_0001", "-n", "4", "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(similar.out.utf8)) as! [String: Any]
        #expect((json["items"] as! [Any]).count == 4)
        #expect(try CLI.run(["train", "--data", CLI.world, "--model", "session", "--output", dir + "/s.model", "--quiet"]).status == 0)
        let next = try CLI.run(["recommend", "--model", dir + "/s.model", "--session", "TITLE_0001,TITLE_0002", "-n", "3", "--json"])
        let items = (try JSONSerialization.jsonObject(with: Data(next.out.utf8)) as! [String: Any])["items"] as! [[String: Any]]
        #expect(next.status == 0 && items.count == 3 && !items.contains { ["TITLE_0001", "TITLE_0002"].contains($0["item"] as! String) })
        // Factor export for numpy.
        #expect(try CLI.run(["train", "--data", CLI.world, "--model", "als", "--factors", "8", "--output", dir + "/a.model",
                             "--export-npy", dir + "/npy", "--quiet"]).status == 0)
        let npy = FileManager.default.contents(atPath: dir + "/npy/item_factors.npy")!
        #expect(npy.prefix(6) == Data([0x93] + Array("NUMPY".utf8)))
    }

    /// Every user's top-N as CSV, block by block: the lists `recommend --user` gives, whatever
    /// the block size.
    @Test(arguments: ["als", "ease"])
    func recommendAllWritesEveryUsersList(model name: String) throws {
        let dir = try CLI.folder("e2e-all")
        let file = dir + "/\(name).model"
        #expect(try CLI.run(["train", "--data", CLI.world, "--model", name, "--output", file, "--quiet"]).status == 0)
        let all = try CLI.run(["recommend-all", "--model", file, "--output", dir + "/all.csv", "-n", "5"])
        #expect(all.status == 0 && all.out.contains("300 users (1,500 rows)"), "\(all.out) \(all.err)")
        let small = try CLI.run(["recommend-all", "--model", file, "--output", dir + "/blocks.csv", "-n", "5", "--block-users", "7", "--threads", "1"])
        #expect(small.status == 0)
        let lines = try String(contentsOfFile: dir + "/all.csv", encoding: .utf8).split(separator: "\n")
        let blocks = try String(contentsOfFile: dir + "/blocks.csv", encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "user,rank,item,score" && lines.count == 1 + 1_500)
        // The same lists (users, ranks, items) for any block size and thread count; factor
        // scores may differ in their last bits (GEMM blocking).
        let differing = zip(lines, blocks).filter { $0.0.split(separator: ",").prefix(3) != $0.1.split(separator: ",").prefix(3) }.count
        #expect(lines.count == blocks.count && differing == 0, "\(differing) rows differ")
        for user in ["USER_00001", "USER_00150"] {
            let one = try CLI.run(["recommend", "--model", file, "--user", user, "-n", "5", "--json"])
            let expected = ((try JSONSerialization.jsonObject(with: Data(one.out.utf8)) as! [String: Any])["items"] as! [[String: Any]]).map { $0["item"] as! String }
            let rows = lines.filter { $0.hasPrefix(user + ",") }.map { String($0.split(separator: ",")[2]) }
            #expect(rows == expected, "\(name) \(user)")
        }
    }

    /// convert → .rmx: train and evaluate give byte-identical model files and the same report
    /// from the binary form as from the CSV (a model reading rows, one reading matrices, a
    /// rating model), on 1 and 2 threads; a damaged .rmx is a one-line error.
    @Test func convertedDataAnswersAsTheCSV() throws {
        let dir = try CLI.folder("e2e-convert")
        let csv = CLI.world + "/interactions.csv", rmx = dir + "/views.rmx"
        let convert = try CLI.run(["convert", "--data", csv, "--output", rmx, "--quiet"])
        #expect(convert.status == 0 && convert.out.contains("Converted 5,000 rows"), "\(convert.err)")
        for (model, threads) in [("als", "1"), ("als", "2"), ("popular", "2"), ("als-explicit", "2")] {
            var files: [Data] = []
            for data in [csv, rmx] {
                let out = dir + "/\(model)-\(threads)-\(files.count).model"
                let r = try CLI.run(["train", "--data", data, "--model", model, "--threads", threads, "--output", out, "--quiet"])
                #expect(r.status == 0, "\(model) from \(data): \(r.err)")
                files.append(try Data(contentsOf: URL(fileURLWithPath: out)))
            }
            #expect(files[0] == files[1], "\(model) on \(threads) threads: the .rmx gave another model")
        }
        let reports = try [csv, rmx].map { data in
            try CLI.run(["evaluate", "--train", data, "--test", csv, "--model", "itemknn", "--json", "--quiet"]).out
                .replacingOccurrences(of: #""(fit|recommend)_seconds":[0-9.e-]+"#, with: "", options: .regularExpression)
        }
        #expect(!reports[0].isEmpty && reports[0] == reports[1])
        var bytes = try Data(contentsOf: URL(fileURLWithPath: rmx))
        bytes[bytes.count / 2] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: rmx))
        let broken = try CLI.run(["train", "--data", rmx, "--model", "als", "--output", dir + "/x.model"])
        #expect(broken.status != 0 && broken.err.contains("checksum mismatch") && !broken.signaled, "\(broken.err)")
    }

    @Test func evaluateJSONParses() throws {
        let dir = try CLI.heldOutFiles("e2e-eval")
        let result = try CLI.run(["evaluate", "--train", dir + "/train.csv", "--test", dir + "/test.csv", "--model", "ease", "--json"])
        #expect(result.status == 0, "\(result.err)")
        let json = try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as! [String: Any]
        for key in ["model", "k", "users", "precision", "recall", "f1", "ndcg", "map", "hit_rate", "mrr", "coverage", "diversity",
                    "novelty", "fit_seconds", "recommend_seconds"] {
            #expect(json[key] != nil, "missing \(key)")
        }
        #expect((json["ndcg"] as! Double) > 0)
    }

    /// tune → best.json → train/evaluate --config: the saved hyperparameters are the ones used,
    /// and bad files, mismatched models and outputs over inputs are one-line errors.
    @Test func tunedConfigurationsDriveTrainAndEvaluate() throws {
        let dir = try CLI.heldOutFiles("e2e-tune")
        let tune = try CLI.run(["tune", "--model", "edlae", "--train", dir + "/train.csv", "--budget", "3", "--splits", "1",
                                "--output", dir + "/best.json", "--quiet"])
        #expect(tune.status == 0, "\(tune.err)")
        #expect(tune.out.contains("defaults") && tune.out.contains("best: trial"), "\(tune.out)")
        let saved = try JSONDecoder().decode(TunedConfiguration.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/best.json")))
        #expect(saved.model == "edlae" && saved.trials == 3 && saved.validationScore > 0)
        let lambda = try #require(saved.hyperparameters["regularization"]), p = try #require(saved.hyperparameters["dropout"])
        func ndcg(_ arguments: [String]) throws -> Double {
            let r = try CLI.run(["evaluate", "--train", dir + "/train.csv", "--test", dir + "/test.csv", "--json"] + arguments)
            #expect(r.status == 0, "\(arguments): \(r.err)")
            return (try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any])["ndcg"] as! Double
        }
        let configured = try ndcg(["--config", dir + "/best.json"])
        #expect(configured == (try ndcg(["--model", "edlae", "--regularization", lambda, "--dropout", p])))
        // (That the command line wins over the file: TunerTests.)
        let train = try CLI.run(["train", "--data", dir + "/train.csv", "--config", dir + "/best.json", "--output", dir + "/m.model", "--quiet"])
        #expect(train.status == 0, "\(train.err)")
        #expect(try SavedModel.read(path: dir + "/m.model").model.name == "edlae")
        try #"{"model": "ease", "hyperparameters": {"lambda": 3}}"#.write(toFile: dir + "/unknown.json", atomically: true, encoding: .utf8)
        try "{not json".write(toFile: dir + "/broken.json", atomically: true, encoding: .utf8)
        try #"{"model": "edlae", "hyperparameters": {"user_weight_exponent": -1}}"#.write(toFile: dir + "/range.json", atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["train", "--data", dir + "/train.csv", "--config", dir + "/best.json", "--model", "als", "--output", dir + "/x.model"], "not of als"),
            (["train", "--data", dir + "/train.csv", "--config", dir + "/missing.json", "--output", dir + "/x.model"], "no such file"),
            (["train", "--data", dir + "/train.csv", "--config", dir + "/unknown.json", "--output", dir + "/x.model"], "lambda"),
            (["evaluate", "--train", dir + "/train.csv", "--test", dir + "/test.csv", "--config", dir + "/broken.json"], "not a configuration"),
            (["train", "--data", dir + "/train.csv", "--config", dir + "/range.json", "--output", dir + "/x.model"], "range.json: invalid --user-weight-exponent"),
            (["train", "--data", dir + "/train.csv", "--output", dir + "/x.model"], "--model"),
            (["tune", "--model", "popular", "--train", dir + "/train.csv"], "does not search the popular model"),
            (["tune", "--model", "ease", "--train", dir + "/train.csv", "--regularization", "300", "--user-weight-exponent", "0"], "nothing left to search"),
            (["tune", "--model", "ease", "--train", dir + "/train.csv", "--output", dir + "/train.csv"], "would be overwritten"),
            (["tune", "--model", "ease", "--train", dir + "/train.csv", "--budget", "0"], "--budget"),
        ]
        for (arguments, expected) in cases {
            let r = try CLI.run(arguments)
            #expect(r.status != 0 && r.err.split(separator: "\n").count == 1 && r.err.contains(expected), "\(arguments): \(r.err)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.model"))
    }

    /// Each bad input exits non-zero with one line naming the problem, never a stack trace.
    @Test func badInputsAreOneLineErrors() throws {
        let dir = try CLI.folder("e2e-bad")
        try "user,item,rating\n1,2,3\n1,oops\n".write(toFile: dir + "/bad.csv", atomically: true, encoding: .utf8)
        try "user,item,rating\n1,2,3\n2,3,4\n".write(toFile: dir + "/ok.csv", atomically: true, encoding: .utf8)
        #expect(try CLI.run(["train", "--data", dir + "/ok.csv", "--model", "popular", "--output", dir + "/m.model", "--quiet"]).status == 0)
        var model = try Data(contentsOf: URL(fileURLWithPath: dir + "/m.model"))
        try model.prefix(model.count / 2).write(to: URL(fileURLWithPath: dir + "/truncated.model"))
        model[model.count / 2] ^= 0xFF
        try model.write(to: URL(fileURLWithPath: dir + "/corrupted.model"))
        let readOnly = dir + "/readonly"
        try FileManager.default.createDirectory(atPath: readOnly, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o555])
        let cases: [([String], String)] = [
            (["train", "--data", dir + "/missing.csv", "--model", "als", "--output", dir + "/x.model"], "no such file"),
            (["train", "--data", dir + "/bad.csv", "--model", "als", "--output", dir + "/x.model"], "bad.csv:3"),
            (["train", "--data", dir + "/ok.csv", "--model", "deep-magic", "--output", dir + "/x.model"], "unknown model"),
            (["train", "--data", dir + "/ok.csv", "--model", "als", "--factors", "0", "--output", dir + "/x.model"], "--factors"),
            (["train", "--data", dir + "/ok.csv", "--model", "als", "--alpha", "-1", "--output", dir + "/x.model"], "--alpha"),
            (["recommend", "--model", dir + "/corrupted.model", "--user", "1"], "checksum"),
            (["recommend", "--model", dir + "/truncated.model", "--user", "1"], "truncated"),
            (["recommend", "--model", dir + "/ok.csv", "--user", "1"], "not a Recommend model file"),
            (["train", "--data", dir + "/ok.csv", "--model", "popular", "--output", dir + "/nofolder/x.model"], "does not exist"),
            (["pipeline", "--out", dir + "/ok.csv/sub", "--users", "50", "--titles", "20", "--interactions", "200", "--sessions", "20"], "output folder"),
            (["evaluate", "--train", dir + "/ok.csv", "--test", dir + "/ok.csv", "--model", "als", "--k", "0"], "--k"),
        ] + (getuid() == 0 ? [] : [(["train", "--data", dir + "/ok.csv", "--model", "popular", "--output", readOnly + "/x.model"], "not writable")])
        for (arguments, expected) in cases {
            let r = try CLI.run(arguments)
            let lines = r.err.split(separator: "\n")
            #expect(r.status != 0, "\(arguments) exited 0")
            #expect(lines.count == 1 && r.err.contains(expected), "\(arguments): \(r.err)")
            #expect(!r.err.contains("Fatal error") && !r.err.contains("Stack dump"), "\(arguments) crashed")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.model"))
    }

    /// A run killed midway leaves the previous model intact, never a half-written file.
    @Test func killedTrainingLeavesNoHalfWrittenModel() throws {
        let dir = try CLI.folder("e2e-kill")
        let file = dir + "/m.model"
        #expect(try CLI.run(["train", "--data", CLI.world, "--model", "popular", "--output", file, "--quiet"]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: file))
        for delay in [0.05, 0.2, 0.5] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = ["train", "--data", CLI.world, "--model", "ease", "--output", file, "--quiet"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // Either the old model or the complete new one: both read back.
            let model = try SavedModel.read(path: file)
            #expect(model.model.name == "popular" || model.model.name == "ease")
            if model.model.name == "popular" { #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == before) }
        }
        let visible = try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".") }
        #expect(visible == ["m.model"])
    }

    @Test func pipelineWritesEveryFile() throws {
        let dir = try CLI.folder("e2e-pipeline")
        let r = try CLI.run(["pipeline", "--out", dir, "--users", "300", "--titles", "150", "--interactions", "6000", "--sessions", "800"])
        #expect(r.status == 0, "\(r.err)")
        for line in ["✓ Generated 150 movies/shows", "✓ Generated 300 user profiles", "✓ Generated 6,000 viewing interactions",
                     "✓ Trained \(ModelKind.ranking.count) recommendation models", "✓ Generated personalized recommendations"] {
            #expect(r.out.contains(line), "missing \(line)")
        }
        let files = ["recommendation_dashboard.svg", "dashboard.html", "recommendation_executive_summary.txt", "model_performance_comparison.csv",
                     "sample_recommendations.csv", "user_features.csv", "title_features.csv", "user_segments.csv"]
        for file in files { #expect(FileManager.default.fileExists(atPath: dir + "/" + file), "missing \(file)") }
        let svg = try String(contentsOfFile: dir + "/recommendation_dashboard.svg", encoding: .utf8)
        #expect(svg.components(separatedBy: "font-size=\"15\" text-anchor=\"middle\" font-weight=\"bold\"").count - 1 == 12, "12 panel titles")
        let comparison = try String(contentsOfFile: dir + "/model_performance_comparison.csv", encoding: .utf8).split(separator: "\n")
        #expect(comparison.count == ModelKind.ranking.count + 1 && comparison[0].hasPrefix("model,precision,recall,f1,ndcg,map,hit_rate,coverage,diversity,novelty"))
        let html = try String(contentsOfFile: dir + "/dashboard.html", encoding: .utf8)
        #expect(html.contains("<svg") && !html.contains("src=\"http"))
    }
}
