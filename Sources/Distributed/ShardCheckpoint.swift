import DenseLinalg
import Foundation
import Recommend

/// What one rank needs to go on training from an iteration: named matrices (its factor rows,
/// biases as one-column matrices), the iterations done and the loss history.
public struct ShardState: Sendable, Equatable {
    public var iterations: Int
    public var lossHistory: [Double]
    public var matrices: [String: Matrix<Float>]

    public init(iterations: Int, lossHistory: [Double], matrices: [String: Matrix<Float>]) {
        self.iterations = iterations; self.lossHistory = lossHistory; self.matrices = matrices
    }
}

/// Checkpoints of distributed training: every rank writes its own ``ShardState`` to
/// `folder/iteration-NNNNNN.rank-R-of-S.ckpt` atomically (temporary file, fsync, rename), so a
/// file is either whole or absent whatever kills the job. A checkpoint is usable once every rank
/// has written its file for the iteration: ``latestComplete(folder:settings:communicator:)``
/// finds the last such iteration from each rank's own files, so the folder need not be shared
/// between machines. A rank removes its older files only after all ranks have written a newer
/// one. Each file records the settings (command line) it belongs to; a resume with other
/// settings or another number of ranks is refused.
///
/// File: 8 bytes `RECKPT01`, a little-endian UInt64 header length, the JSON header (rank, size,
/// iterations, settings, loss history, matrix names and shapes), then each matrix's floats
/// (little-endian, row-major) in the header's order.
public enum ShardCheckpoint {
    struct Header: Codable {
        var rank: Int
        var size: Int
        var iterations: Int
        var settings: String
        var lossHistory: [Double]
        var matrices: [Shape]
        /// FNV-1a (64-bit) of the matrices' bytes, hexadecimal: damage is refused, not trained on.
        var checksum: String
        struct Shape: Codable { var name: String; var rows: Int; var columns: Int }
    }

    /// FNV-1a, 64-bit.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return String(hash, radix: 16)
    }

    static let magic = Array("RECKPT01".utf8)

    static func path(_ folder: String, iteration: Int, rank: Int, size: Int) -> String {
        folder + "/" + String(format: "iteration-%06d.rank-%d-of-%d.ckpt", iteration, rank, size)
    }

    /// Writes this rank's state, waits until every rank has written its own, then removes
    /// this rank's older checkpoints. Collective.
    public static func write(_ state: ShardState, settings: String, folder: String, communicator: some Communicator) throws {
        let outcome = Result {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw DataError(file: folder, reason: "cannot create the checkpoint folder (\((error as NSError).localizedDescription))")
            }
            let names = state.matrices.keys.sorted()
            var payload = Data()
            for name in names { state.matrices[name]!.elements.withUnsafeBytes { payload.append(contentsOf: $0) } }
            let header = Header(rank: communicator.rank, size: communicator.size, iterations: state.iterations, settings: settings,
                                lossHistory: state.lossHistory,
                                matrices: names.map { Header.Shape(name: $0, rows: state.matrices[$0]!.rows, columns: state.matrices[$0]!.columns) },
                                checksum: payload.withUnsafeBytes { checksum($0) })
            let json = try JSONEncoder().encode(header)
            var data = Data(magic)
            withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
            data.append(json)
            data.append(payload)
            try AtomicFile.write(data, to: path(folder, iteration: state.iterations, rank: communicator.rank, size: communicator.size))
        }
        try communicator.agree(outcome)
        // Every rank has this iteration: older files of this rank are no longer needed.
        for (iteration, file) in files(folder, rank: communicator.rank, size: communicator.size) where iteration < state.iterations {
            try? FileManager.default.removeItem(atPath: file)
        }
    }

    /// This rank's checkpoint files in `folder`, by iteration.
    static func files(_ folder: String, rank: Int, size: Int) -> [(Int, String)] {
        let suffix = ".rank-\(rank)-of-\(size).ckpt"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.compactMap { name in
            guard name.hasPrefix("iteration-"), name.hasSuffix(suffix),
                  let iteration = Int(name.dropFirst("iteration-".count).prefix(while: \.isNumber)) else { return nil }
            return (iteration, folder + "/" + name)
        }.sorted { $0.0 < $1.0 }
    }

    /// The numbers of ranks of the checkpoint files in `folder`.
    public static func rankCounts(in folder: String) -> Set<Int> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return Set(names.compactMap { name -> Int? in
            guard name.hasPrefix("iteration-"), name.hasSuffix(".ckpt"), let of = name.range(of: "-of-") else { return nil }
            return Int(name[of.upperBound...].prefix(while: \.isNumber))
        })
    }

    /// The last iteration for which every rank has its checkpoint, or nil when there is none.
    /// Collective.
    public static func latestComplete(folder: String, communicator: some Communicator) throws -> Int? {
        let mine = files(folder, rank: communicator.rank, size: communicator.size).map { Int64($0.0) }
        let all = try communicator.allGather(mine).map(Set.init)
        return all.dropFirst().reduce(all[0]) { $0.intersection($1) }.max().map(Int.init)
    }

    /// Reads this rank's state at `iteration`.
    /// - Throws: ``DataError`` for a missing or damaged file, or one written with other settings
    ///   or another number of ranks.
    public static func read(folder: String, iteration: Int, settings: String, rank: Int, size: Int) throws -> ShardState {
        let file = path(folder, iteration: iteration, rank: rank, size: size)
        guard let data = FileManager.default.contents(atPath: file) else { throw DataError(file: file, reason: "cannot read the checkpoint") }
        let bytes = [UInt8](data)
        guard bytes.count >= 16, Array(bytes[0..<8]) == magic else { throw DataError(file: file, reason: "not a rectrain checkpoint") }
        let length = bytes[8..<16].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard length >= 0, 16 + length <= bytes.count,
              let header = try? JSONDecoder().decode(Header.self, from: Data(bytes[16..<(16 + length)])) else {
            throw DataError(file: file, reason: "damaged checkpoint header")
        }
        guard header.settings == settings else {
            throw DataError(file: file, reason: "the checkpoint belongs to other settings or input (\(header.settings)) than this run's (\(settings))")
        }
        guard header.rank == rank, header.size == size, header.iterations == iteration else {
            throw DataError(file: file, reason: "the checkpoint is rank \(header.rank) of \(header.size) at iteration \(header.iterations)")
        }
        guard bytes.withUnsafeBytes({ checksum(UnsafeRawBufferPointer(rebasing: $0[(16 + length)...])) }) == header.checksum else {
            throw DataError(file: file, reason: "damaged checkpoint: its checksum does not match its contents")
        }
        var offset = 16 + length
        var matrices: [String: Matrix<Float>] = [:]
        for shape in header.matrices {
            let count = shape.rows * shape.columns
            guard shape.rows >= 0, shape.columns >= 0, offset + 4 * count <= bytes.count else {
                throw DataError(file: file, reason: "truncated checkpoint (matrix \(shape.name))")
            }
            let floats = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                bytes.withUnsafeBytes { raw in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + 4 * count)]))
                }
                initialized = count
            }
            matrices[shape.name] = try Matrix(rows: shape.rows, columns: shape.columns, elements: floats)
            offset += 4 * count
        }
        guard offset == bytes.count else { throw DataError(file: file, reason: "checkpoint has \(bytes.count - offset) unexpected trailing bytes") }
        return ShardState(iterations: header.iterations, lossHistory: header.lossHistory, matrices: matrices)
    }
}
