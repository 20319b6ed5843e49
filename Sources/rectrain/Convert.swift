import ArgumentParser
import Foundation
import Recommend

struct Convert: ParsableCommand, UsesGlobalOptions {
    static let configuration = CommandConfiguration(
        abstract: "Convert a ratings CSV to the binary interaction format (.rmx), which loads in seconds.",
        discussion: """
        The binary file keeps the CSV's rows in order (duplicates and rows without a rating \
        included), its user and item ids, and its ratings and timestamps when the CSV has those \
        columns, behind a CRC-32C checksum; every command that takes --data (and evaluate's \
        --train and --test) reads it, recognising it by its first bytes, and answers exactly as \
        from the CSV. The CSV is parsed on --threads threads (a file of 64 MiB or more; smaller \
        ones on one). A binary file given as --data is copied row for row (re-checked). The \
        output is written atomically: \
        an interrupted run leaves no half-written file. Layout: docs/data-formats.md.
        """
    )

    @Option(help: "Ratings CSV to convert (header with user and item columns, optional rating and timestamp).") var data: String
    @Option(help: "Binary file to write (conventionally FILE.rmx).") var output: String
    @Flag(help: "Skip malformed lines (reporting how many) instead of stopping at the first.") var skipBadLines = false
    @OptionGroup var global: GlobalOptions

    func run() throws {
        try checkOutput(output, notOver: data)
        let start = Date()
        var options = RatingsCSVOptions(skipBadLines: skipBadLines)
        options.threads = global.threads
        options.keepUnrated = true
        let loaded = try RatingsCSV.load(path: data, options: options)
        if loaded.skippedLines > 0 {
            global.log("skipped \(loaded.skippedLines.formatted()) malformed lines, for example: " + loaded.skippedExamples.map(\.description).joined(separator: "; "))
        }
        let parsed = seconds(since: start)
        let rows = loaded.interactions
        try InteractionFile.write(rows, values: loaded.hasRatings, timestamps: loaded.hasTimestamps, to: output)
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        print(String(format: "✓ Converted %@ rows (%@ users × %@ items%@%@) in %.2f s (parsed in %.2f s); wrote %@ (%.1f MiB)",
                     rows.count.formatted(), rows.userIDs.count.formatted(), rows.itemIDs.count.formatted(),
                     loaded.hasRatings ? ", ratings" : "", loaded.hasTimestamps ? ", timestamps" : "",
                     seconds(since: start), parsed, output, Double(size) / 1_048_576))
    }
}
