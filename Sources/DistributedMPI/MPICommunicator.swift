import CMPI
import Distributed

/// ``Communicator`` over Open MPI's `MPI_COMM_WORLD`: all-reduce sums by `MPI_Allreduce`,
/// byte exchanges by `MPI_Alltoall` of the counts then `MPI_Alltoallv` of the bytes, in rounds
/// whenever a pair's part exceeds what MPI's 32-bit counts and displacements address.
///
/// MPI is initialised with `MPI_THREAD_FUNNELED`: only the thread that called ``initialize()``
/// calls MPI; the kernels' worker threads never do. Errors come back as codes
/// (`MPI_ERRORS_RETURN`) and throw ``CommunicatorError``; a rank that dies makes `mpirun` abort
/// the job.
public final class MPICommunicator: Communicator, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    let comm: MPI_Comm

    init(rank: Int, size: Int, comm: MPI_Comm) { self.rank = rank; self.size = size; self.comm = comm }

    /// Initialises MPI for this process (once) and returns the world communicator.
    /// - Throws: ``CommunicatorError/invalidArgument(_:)`` when MPI cannot start or does not
    ///   grant funneled threading.
    public static func initialize() throws -> MPICommunicator {
        var provided: Int32 = 0
        let code = MPI_Init_thread(nil, nil, recommend_mpi_thread_funneled(), &provided)
        guard code == recommend_mpi_success() else { throw CommunicatorError.invalidArgument("MPI_Init_thread failed (code \(code))") }
        guard provided >= recommend_mpi_thread_funneled() else {
            throw CommunicatorError.invalidArgument("the MPI library grants thread level \(provided), below MPI_THREAD_FUNNELED")
        }
        guard let world = recommend_mpi_comm_world() else { throw CommunicatorError.invalidArgument("MPI_COMM_WORLD is null") }
        MPI_Comm_set_errhandler(world, recommend_mpi_errors_return())
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(world, &rank)
        MPI_Comm_size(world, &size)
        return MPICommunicator(rank: Int(rank), size: Int(size), comm: world)
    }

    /// Ends MPI for this process (every rank calls it before exiting normally).
    public func finalize() { MPI_Finalize() }

    /// Ends every rank of the job at once with `code` (for a failure only this rank saw).
    public func abort(code: Int32) -> Never {
        MPI_Abort(comm, code)
        fatalError("MPI_Abort returned")
    }

    func check(_ code: Int32, _ what: String) throws {
        guard code != recommend_mpi_success() else { return }
        var text = [CChar](repeating: 0, count: Int(recommend_mpi_max_error_string()) + 1)
        var length: Int32 = 0
        MPI_Error_string(code, &text, &length)
        let message = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw CommunicatorError.invalidArgument("\(what) failed on rank \(rank): \(message)")
    }

    public func allReduceSum(_ values: inout [Double]) throws { try sum(&values, recommend_mpi_double()) }
    public func allReduceSum(_ values: inout [Float]) throws { try sum(&values, recommend_mpi_float()) }

    func sum<T>(_ values: inout [T], _ type: MPI_Datatype) throws {
        let step = 1 << 28  // elements a call: within MPI's int count
        try values.withUnsafeMutableBufferPointer { buffer in
            var start = 0
            repeat {
                let count = min(step, buffer.count - start)
                try check(MPI_Allreduce(recommend_mpi_in_place(), buffer.baseAddress.map { UnsafeMutableRawPointer($0 + start) },
                                        Int32(count), type, recommend_mpi_sum(), comm), "MPI_Allreduce")
                start += count
            } while start < buffer.count
        }
    }

    public func allToAll(send: UnsafeBufferPointer<Float>, sendCounts: [Int], receive: UnsafeMutableBufferPointer<Float>,
                         receiveCounts: [Int]) throws {
        try checkCounts(send: send.count, sendCounts, receive: receive.count, receiveCounts)
        // MPI's counts and displacements are Int32: larger exchanges go by the chunked byte path.
        guard send.count < Int(Int32.max), receive.count < Int(Int32.max) else {
            return try allToAllThroughBytes(send: send, sendCounts: sendCounts, receive: receive, receiveCounts: receiveCounts)
        }
        let sc = sendCounts.map(Int32.init), rc = receiveCounts.map(Int32.init)
        var sd = [Int32](repeating: 0, count: size), rd = sd
        for r in 1..<max(1, size) { sd[r] = sd[r - 1] + sc[r - 1]; rd[r] = rd[r - 1] + rc[r - 1] }
        try check(MPI_Alltoallv(send.baseAddress, sc, sd, recommend_mpi_float(), receive.baseAddress, rc, rd, recommend_mpi_float(), comm),
                  "MPI_Alltoallv")
    }

    public func allToAll(_ send: [[UInt8]]) throws -> [[UInt8]] {
        guard send.count == size else { throw CommunicatorError.invalidArgument("all-to-all with \(send.count) parts for \(size) ranks") }
        var sendCounts = send.map { Int64($0.count) }
        var receiveCounts = [Int64](repeating: 0, count: size)
        try check(MPI_Alltoall(&sendCounts, 1, recommend_mpi_int64(), &receiveCounts, 1, recommend_mpi_int64(), comm), "MPI_Alltoall")
        var longest = [sendCounts.max() ?? 0, receiveCounts.max() ?? 0].max()!
        try check(MPI_Allreduce(recommend_mpi_in_place(), &longest, 1, recommend_mpi_int64(), recommend_mpi_max(), comm), "MPI_Allreduce")
        var received = receiveCounts.map { [UInt8](repeating: 0, count: Int($0)) }
        // Rounds of at most `chunk` bytes a pair, so counts and displacements fit in Int32.
        let chunk = Int(Int32.max) / size
        var offset = 0
        repeat {
            let sc = send.map { Int32(max(0, min(chunk, $0.count - offset))) }
            let rc = received.map { Int32(max(0, min(chunk, $0.count - offset))) }
            var sd = [Int32](repeating: 0, count: size), rd = sd
            for r in 1..<max(1, size) { sd[r] = sd[r - 1] + sc[r - 1]; rd[r] = rd[r - 1] + rc[r - 1] }
            var packed = [UInt8](); packed.reserveCapacity(Int(sd[size - 1] + sc[size - 1]))
            for r in 0..<size where sc[r] > 0 { packed.append(contentsOf: send[r][offset..<(offset + Int(sc[r]))]) }
            var unpacked = [UInt8](repeating: 0, count: Int(rd[size - 1] + rc[size - 1]))
            try packed.withUnsafeBytes { p in
                try unpacked.withUnsafeMutableBytes { u in
                    try check(MPI_Alltoallv(p.baseAddress, sc, sd, recommend_mpi_byte(), u.baseAddress, rc, rd, recommend_mpi_byte(), comm),
                              "MPI_Alltoallv")
                }
            }
            for r in 0..<size where rc[r] > 0 {
                received[r].replaceSubrange(offset..<(offset + Int(rc[r])), with: unpacked[Int(rd[r])..<Int(rd[r] + rc[r])])
            }
            offset += chunk
        } while offset < Int(longest)
        return received
    }
}
