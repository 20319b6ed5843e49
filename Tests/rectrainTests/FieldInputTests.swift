import Foundation
import Testing

/// Every subcommand, given inputs of the kinds users of peer libraries reported faults with
/// (issue 15), either answers correctly or exits non-zero with one `rectrain: error:` line;
/// never with a signal, a trap or a backtrace.
@Suite(.serialized) struct FieldInputTests {
    /// Writes the inputs into a fresh folder: six titles, one (`solo`) that shares no viewer and
    /// no genre with any other.
    static func inputs() throws -> String {
        let dir = try CLI.folder("field-inputs")
        let files: [String: String] = [
            "views.csv": "user,item,rating,timestamp\n" + [
                "p1,t1,5,100", "p1,t2,3,101", "p2,t1,4,102", "p2,t3,2,103", "p3,t2,1,104", "p3,t3,5,105",
                "p3,t4,4,106", "p4,t4,3,107", "p4,t5,2,108", "p5,t1,1,109", "p5,t5,4,110", "p6,solo,5,111",
            ].joined(separator: "\n") + "\n",
            "items.csv": "\u{FEFF}item,title,genres\nt1,Émile (1999),Comedy\nt2,Ünder (2005),Comedy|Drama\nt3,Three,Drama\nt4,Four,Horror\nt5,Five,Horror|Drama\nsolo,Solo,\n",
            "strangers.csv": "user,item\nq1,t1\nq2,t3\n",
            "test.csv": "user,item\np1,t3\np4,t1\nq9,t2\n",
            "ts_huge.csv": "user,item,timestamp\np1,t1,1\np1,t2,1e300\n",
            "ts_neg.csv": "user,item,timestamp\np1,t1,1\np1,t2,-99999999999999999999\n",
            "rating_word.csv": "user,item,rating\np1,t1,4\np1,t2,four\n",
            "rating_huge.csv": "user,item,rating\np1,t1,4\np1,t2,1e40\n",
        ]
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    /// Runs one command and checks it ended cleanly: exit 0, or non-zero with one error line.
    @discardableResult
    static func clean(_ arguments: [String], mustFail: Bool = false, naming: String? = nil) throws -> CLI.Result {
        let r = try CLI.run(arguments)
        #expect(!r.signaled && r.status < 128, "\(arguments): ended by a signal or trap (\(r.status)): \(r.err.prefix(300))")
        #expect(!r.err.contains("Fatal error") && !r.err.contains("Backtrace") && !r.err.contains("Swift runtime failure"), "\(arguments): \(r.err.prefix(300))")
        if r.status != 0 {
            let lines = r.err.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("rectrain: error: "), "\(arguments): \(r.err)")
            if let naming { #expect(r.err.contains(naming), "\(arguments): error does not name \(naming): \(r.err)") }
        }
        if mustFail { #expect(r.status != 0, "\(arguments) was accepted") }
        return r
    }

    static func items(_ r: CLI.Result) throws -> [(item: String, title: String, score: Double)] {
        let json = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
        return (json["items"] as! [[String: Any]]).map { ($0["item"] as! String, $0["title"] as! String, ($0["score"] as! NSNumber).doubleValue) }
    }

    @Test func hugeCountsAnswerTheWholeCatalogueAtOnce() throws {
        let dir = try Self.inputs()
        for model in ["als", "itemknn", "ease", "svd", "popular"] {
            let file = dir + "/\(model).model"
            try Self.clean(["train", "--data", dir + "/views.csv", "--model", model, "--output", file, "--quiet"])
            let reference = try Self.items(try Self.clean(["recommend", "--model", file, "--user", "p1", "-n", "6", "--json"]))
            #expect(reference.count == 4, "\(model): p1 has 4 unseen titles")
            for n in ["7", "1000000", "10000000000", "4611686018427387904", "9223372036854775807"] {
                let r = try Self.clean(["recommend", "--model", file, "--user", "p1", "-n", n, "--json"])
                #expect(try Self.items(r).map(\.item) == reference.map(\.item), "\(model) -n \(n)")
                try Self.clean(["recommend", "--model", file, "--user", "nobody", "-n", n, "--json"])
                try Self.clean(["similar", "--model", file, "--item", "t1", "-n", n, "--json"])
            }
        }
        for model in ["itemknn", "userknn", "session"] {
            try Self.clean(["train", "--data", dir + "/views.csv", "--model", model, "--neighbors", "9223372036854775807",
                            "--output", dir + "/n.model", "--quiet"])
        }
        for k in ["100", "4611686018427387904"] {
            try Self.clean(["evaluate", "--train", dir + "/views.csv", "--test", dir + "/test.csv", "--model", "itemknn", "--k", k, "--json"])
        }
        // More factors than min(users, items) add no rank: clamped, as svd and nmf clamp theirs.
        for model in ["als", "svd", "nmf"] {
            let r = try Self.clean(["train", "--data", dir + "/views.csv", "--model", model, "--factors", "4611686018427387904",
                                    "--output", dir + "/x.model", "--export-npy", dir + "/npy", "--quiet"])
            #expect(r.status == 0, "\(model): \(r.err)")
            let npy = FileManager.default.contents(atPath: dir + "/npy/item_factors.npy") ?? Data()
            #expect(npy.count > 0 && npy.count < 1_000, "\(model): \(npy.count) bytes of item factors for 6 titles")
        }
    }

    @Test func badNumbersInFilesAreRefusedOnTheirLine() throws {
        let dir = try Self.inputs()
        for file in ["ts_huge.csv", "ts_neg.csv", "rating_word.csv", "rating_huge.csv"] {
            for model in ["popular", "session", "als"] {
                try Self.clean(["train", "--data", dir + "/" + file, "--model", model, "--output", dir + "/x.model", "--quiet"],
                               mustFail: true, naming: "\(file):3")
            }
            try Self.clean(["evaluate", "--train", dir + "/" + file, "--test", dir + "/test.csv", "--model", "popular"],
                           mustFail: true, naming: "\(file):3")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.model"))
    }

    @Test func similarListsNoZeroSimilarityTitlesAndReadsUTF8() throws {
        let dir = try Self.inputs()
        for model in ["itemknn", "content", "svd", "nmf", "als", "ease", "hybrid"] {
            let file = dir + "/\(model).model"
            try Self.clean(["train", "--data", dir + "/views.csv", "--items", dir + "/items.csv", "--model", model, "--output", file, "--quiet"])
            let lonely = try Self.clean(["similar", "--model", file, "--item", "solo", "-n", "5", "--json"])
            // Implicit ALS's factor cosines are the model's own (non-orthogonal) similarities.
            let sharesNothing = model != "als"
            let lonelyItems = try Self.items(lonely)
            #expect(lonely.status == 0 && (lonelyItems.isEmpty || !sharesNothing), "\(model): \(lonely.out)")
            let t1 = try Self.items(try Self.clean(["similar", "--model", file, "--item", "t2", "-n", "5", "--json"]))
            #expect(t1.allSatisfy { $0.score > 1e-6 && (!sharesNothing || $0.item != "solo") }, "\(model): \(t1)")
        }
        let content = try Self.items(try Self.clean(["similar", "--model", dir + "/content.model", "--item", "t2", "--json"]))
        #expect(content.first?.item == "t1" && content.first?.title == "Émile (1999)")
    }

    @Test func evaluationOverNoKnownUserIsRefusedAndSkippedUsersAreCounted() throws {
        let dir = try Self.inputs()
        try Self.clean(["evaluate", "--train", dir + "/views.csv", "--test", dir + "/strangers.csv", "--model", "popular", "--json"],
                       mustFail: true, naming: "training data")
        let r = try Self.clean(["evaluate", "--train", dir + "/views.csv", "--test", dir + "/test.csv", "--model", "popular", "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
        #expect(json["users"] as? Int == 2 && json["skipped_users"] as? Int == 1)
    }

    @Test func overflowingHyperparametersNeverSaveANaNModel() throws {
        let dir = try Self.inputs()
        for options in [["--model", "als", "--alpha", "1e38"], ["--model", "als", "--regularization", "3e38"],
                        ["--model", "als-explicit", "--regularization", "3e38"], ["--model", "ease", "--regularization", "3e38"]] {
            let file = dir + "/nan.model"
            let r = try Self.clean(["train", "--data", dir + "/views.csv", "--output", file, "--quiet"] + options)
            if r.status == 0 {
                // A model that was saved must answer with finite scores.
                let similar = try Self.clean(["similar", "--model", file, "--item", "t1", "--json"])
                let finite = try similar.status != 0 || Self.items(similar).allSatisfy { $0.score.isFinite }
                #expect(finite, "\(options)")
                try FileManager.default.removeItem(atPath: file)
            } else {
                #expect(!FileManager.default.fileExists(atPath: file), "\(options): failed but wrote a file")
            }
        }
    }

    /// Options that would have no effect are refused (or warned about) in one line.
    @Test func optionsWithoutEffectAreRefused() throws {
        let dir = try Self.inputs()
        let data = ["--data", dir + "/views.csv", "--output", dir + "/o.model", "--quiet"]
        try Self.clean(["train", "--model", "svd", "--alpha", "3"] + data, mustFail: true, naming: "--alpha")
        try Self.clean(["train", "--model", "popular", "--factors", "3"] + data, mustFail: true, naming: "--factors")
        try Self.clean(["train", "--model", "als", "--neighbors", "3"] + data, mustFail: true, naming: "--neighbors")
        try Self.clean(["train", "--model", "itemknn", "--learn-weights"] + data, mustFail: true, naming: "--learn-weights")
        try Self.clean(["train", "--model", "popular", "--export-npy", dir + "/npy"] + data, mustFail: true, naming: "--export-npy")
        try Self.clean(["evaluate", "--train", dir + "/views.csv", "--test", dir + "/test.csv", "--task", "rating", "--model", "als-explicit",
                        "--k", "5"], mustFail: true, naming: "--k")
        // Nothing is written over a device, a folder or the input itself.
        try Self.clean(["train", "--model", "popular", "--data", dir + "/views.csv", "--output", "/dev/full"], mustFail: true, naming: "regular file")
        try Self.clean(["train", "--model", "popular", "--data", dir + "/views.csv", "--output", dir + "/views.csv"], mustFail: true, naming: "--data")
        try Self.clean(["train", "--model", "popular", "--data", "/dev/zero", "--output", dir + "/z.model"], mustFail: true, naming: "regular file")
        try Self.clean(["recommend", "--model", "/dev/zero", "--user", "p1"], mustFail: true)
        // A rating model refuses a file without ratings; hexadecimal and duplicated columns are malformed.
        try Self.clean(["train", "--model", "als-explicit", "--data", dir + "/strangers.csv", "--output", dir + "/r.model"], mustFail: true, naming: "rating column")
        try Self.clean(["synth-matrix", "--users", "11", "--items", "10", "--nnz", "10", "--out", dir + "/s.csv"], mustFail: true, naming: "per user")
        try Self.clean(["train", "--model", "als", "--factors", "4"] + data)
        let model = dir + "/o.model"
        try Self.clean(["recommend", "--model", model, "--user", "p1", "--history", "t3"], mustFail: true, naming: "known")
        let explained = try Self.clean(["recommend", "--model", model, "--user", "p1", "--explain", "--json"])
        #expect(explained.status == 0 && explained.out.contains("because"))
        try Self.clean(["train", "--model", "svd", "--factors", "2", "--data", dir + "/views.csv", "--output", dir + "/svd.model", "--quiet"])
        try Self.clean(["recommend", "--model", dir + "/svd.model", "--user", "p1", "--explain"], mustFail: true, naming: "explain")
        try Self.clean(["recommend", "--model", model, "--session", "t1", "--history", "t3"], mustFail: true, naming: "--history")
        let cold = try Self.clean(["recommend", "--model", model, "--user", "nobody", "--history", "t3", "--json"])
        #expect(cold.status == 0 && cold.out.contains("als-fold-in"))
        try Self.clean(["train", "--model", "itemknn"] + data)
        let warned = try Self.clean(["recommend", "--model", model, "--user", "nobody", "--explain"])
        #expect(warned.status == 0 && warned.err.hasPrefix("rectrain: warning: --explain"))
    }

    /// A negative value is read as the option's value and refused by name (the parser used to
    /// report "Missing value" for `--alpha -1`).
    @Test func negativeValuesAreRefusedByTheirOption() throws {
        for (arguments, flag) in [(["train", "--data", "x.csv", "--model", "als", "--output", "y.rec", "--alpha", "-1"], "--alpha"),
                                  (["train", "--data", "x.csv", "--model", "als", "--output", "y.rec", "--regularization", "-1"], "--regularization"),
                                  (["recommend", "--model", "m.rec", "--user", "u", "-n", "-1"], "-n"),
                                  (["evaluate", "--train", "a.csv", "--test", "b.csv", "--model", "als", "--threads", "-2"], "--threads")] {
            let r = try CLI.run(arguments)
            #expect(r.status != 0 && !r.signaled && r.err.contains(flag) && !r.err.contains("Missing value"), "\(arguments): \(r.err)")
        }
    }
}

