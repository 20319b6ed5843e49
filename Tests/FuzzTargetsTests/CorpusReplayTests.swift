import Foundation
import FuzzTargets
import Testing

/// Replays every seed of the fuzz corpus and every input a fuzzing run found to crash, hang or
/// exhaust memory (`Fuzz/regressions`, each fixed) through the harness the fuzzer runs: each
/// must come back, with its parser's typed error at most.
@Suite struct CorpusReplayTests {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz").standardized

    static func inputs(_ target: String) throws -> [URL] {
        try ["corpus", "regressions"].flatMap { kind -> [URL] in
            let folder = fuzz.appendingPathComponent("\(kind)/\(target)")
            guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
            return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
        }.sorted { $0.path < $1.path }
    }

    @Test(arguments: FuzzHarness.targets)
    func everyInputComesBack(target: String) throws {
        let inputs = try Self.inputs(target)
        #expect(!inputs.isEmpty, "no corpus for \(target)")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-replay-\(target)-\(UUID().uuidString)").path
        let harness = try FuzzHarness(target: target, folder: folder)
        for input in inputs { harness.run(Array(try Data(contentsOf: input))) }
        try? FileManager.default.removeItem(atPath: folder)
    }
}
