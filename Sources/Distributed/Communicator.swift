import Foundation
import Synchronization

/// The collective operations distributed training uses, with MPI's semantics: every rank of
/// the group calls the same collectives in the same order, and each call returns when the
/// rank's part is done. Implemented by ``SingleProcessCommunicator`` (one rank), by
/// ``InProcessGroup`` (several ranks as threads of one process, for tests without `mpirun`),
/// and, in the command line's MPI target, over Open MPI.
///
/// Payloads are bytes (``allToAll(_:)``) or floating-point sums (``allReduceSum(_:)``); the
/// typed helpers in the extension build on them. Errors: a collective throws
/// ``CommunicatorError`` when the group cannot complete it (MPI aborts the job instead).
public protocol Communicator: Sendable {
    /// This process's rank, 0..<size.
    var rank: Int { get }
    /// The number of ranks.
    var size: Int { get }
    /// Element-wise sum over the ranks, left in `values` on every rank (MPI_Allreduce, MPI_SUM).
    /// Every rank passes the same count.
    func allReduceSum(_ values: inout [Double]) throws
    /// The same in single precision.
    func allReduceSum(_ values: inout [Float]) throws
    /// Personalised exchange: `send[r]` goes to rank r (send.count == size); returns what each
    /// rank sent to this one, indexed by sender (MPI_Alltoallv).
    func allToAll(_ send: [[UInt8]]) throws -> [[UInt8]]
    /// MPI_Alltoallv of floats whose counts both sides already know (routing lists built
    /// once): `send` holds the parts for ranks 0, 1, … back to back (`sendCounts` floats each),
    /// `receive` gets the parts from ranks 0, 1, … back to back (`receiveCounts` each). No
    /// count exchange and no copy beyond MPI's own. A default implementation goes through
    /// ``allToAll(_:)``.
    func allToAll(send: UnsafeBufferPointer<Float>, sendCounts: [Int], receive: UnsafeMutableBufferPointer<Float>,
                  receiveCounts: [Int]) throws
}

/// A collective that could not complete.
public enum CommunicatorError: Error, CustomStringConvertible, Equatable {
    /// A call's arguments do not fit the group (wrong number of parts, counts that differ).
    case invalidArgument(String)
    /// Another rank failed; the message says which and why.
    case peerFailed(rank: Int, message: String)

    public var description: String {
        switch self {
        case let .invalidArgument(message): return "communicator: \(message)"
        case let .peerFailed(rank, message): return "rank \(rank) failed: \(message)"
        }
    }
}

extension Communicator {
    public func allToAll(send: UnsafeBufferPointer<Float>, sendCounts: [Int], receive: UnsafeMutableBufferPointer<Float>,
                         receiveCounts: [Int]) throws {
        try allToAllThroughBytes(send: send, sendCounts: sendCounts, receive: receive, receiveCounts: receiveCounts)
    }

    /// ``allToAll(send:sendCounts:receive:receiveCounts:)`` by way of ``allToAll(_:)`` (one
    /// array per part): the default, and an implementation's path for what its own cannot take.
    public func allToAllThroughBytes(send: UnsafeBufferPointer<Float>, sendCounts: [Int], receive: UnsafeMutableBufferPointer<Float>,
                                     receiveCounts: [Int]) throws {
        try checkCounts(send: send.count, sendCounts, receive: receive.count, receiveCounts)
        var parts: [[Float]] = [], start = 0
        for n in sendCounts { parts.append(Array(send[start..<(start + n)])); start += n }
        let received: [[Float]] = try allToAll(parts)
        var at = 0
        for (r, part) in received.enumerated() {
            guard part.count == receiveCounts[r] else {
                throw CommunicatorError.invalidArgument("rank \(rank) expected \(receiveCounts[r]) floats from rank \(r), got \(part.count)")
            }
            for value in part { receive[at] = value; at += 1 }
        }
    }

    package func checkCounts(send: Int, _ sendCounts: [Int], receive: Int, _ receiveCounts: [Int]) throws {
        guard sendCounts.count == size, receiveCounts.count == size, sendCounts.reduce(0, +) == send,
              receiveCounts.reduce(0, +) == receive else {
            throw CommunicatorError.invalidArgument("all-to-all of \(send) and \(receive) floats in parts \(sendCounts), \(receiveCounts) for \(size) ranks")
        }
    }

    /// Waits until every rank has called it.
    public func barrier() throws { _ = try allToAll([[UInt8]](repeating: [], count: size)) }

    /// Every rank's `local`, indexed by rank (MPI_Allgatherv).
    public func allGather<T: BitwiseCopyable>(_ local: [T]) throws -> [[T]] {
        let bytes = Self.bytes(of: local)
        return try allToAll([[UInt8]](repeating: bytes, count: size)).map { Self.values(of: $0) }
    }

    /// Typed ``allToAll(_:)``.
    public func allToAll<T: BitwiseCopyable>(_ send: [[T]]) throws -> [[T]] {
        try allToAll(send.map { Self.bytes(of: $0) }).map { Self.values(of: $0) }
    }

    /// `values` from `root` on every rank (MPI_Bcast).
    public func broadcast<T: BitwiseCopyable>(_ values: [T], root: Int) throws -> [T] {
        let send = rank == root ? [[T]](repeating: values, count: size) : [[T]](repeating: [], count: size)
        return try allToAll(send)[root]
    }

    static func bytes<T: BitwiseCopyable>(of values: [T]) -> [UInt8] {
        values.withUnsafeBytes { [UInt8]($0) }
    }

    static func values<T: BitwiseCopyable>(of bytes: [UInt8]) -> [T] {
        let count = bytes.count / MemoryLayout<T>.stride
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<count * MemoryLayout<T>.stride]))
            }
            initialized = count
        }
    }
}

/// One rank: every collective returns its input.
public struct SingleProcessCommunicator: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allReduceSum(_ values: inout [Double]) throws {}
    public func allReduceSum(_ values: inout [Float]) throws {}
    public func allToAll(_ send: [[UInt8]]) throws -> [[UInt8]] {
        guard send.count == 1 else { throw CommunicatorError.invalidArgument("all-to-all with \(send.count) parts for 1 rank") }
        return send
    }
}

/// Several ranks in one process, one thread each: ``run(size:_:)`` calls `body` on `size`
/// threads with a communicator each, as `mpirun -np size` would start processes. Sums add the
/// ranks' contributions in rank order. A rank that throws fails the group: the other ranks'
/// next collective throws ``CommunicatorError/peerFailed(rank:message:)`` instead of waiting
/// for it, so a test never hangs.
public final class InProcessGroup: @unchecked Sendable {
    // Everything below `condition` guards is read and written with its lock held.
    let size: Int
    let condition = NSCondition()
    var generation = 0
    var arrived = 0
    var deposits: [Any?]
    var results: [Any] = []
    var failure: (rank: Int, message: String)?

    init(size: Int) {
        self.size = size
        deposits = [Any?](repeating: nil, count: size)
    }

    /// Runs `body(communicator)` on `size` threads and returns their results by rank; rethrows
    /// the first rank's error (by rank order) after every thread has finished.
    public static func run<R: Sendable>(size: Int, _ body: @escaping @Sendable (InProcessCommunicator) throws -> R) throws -> [R] {
        precondition(size > 0, "a group needs at least one rank")
        let group = InProcessGroup(size: size)
        let results = Mutex<[Result<R, any Error>?]>([Result<R, any Error>?](repeating: nil, count: size))
        // One thread per rank, not a dispatch pool: ranks block in collectives until all have
        // arrived, so all must run at once whatever the core count.
        let done = DispatchSemaphore(value: 0)
        for rank in 0..<size {
            let thread = Thread {
                let outcome = Result { try body(InProcessCommunicator(rank: rank, group: group)) }
                if case let .failure(error) = outcome { group.fail(rank: rank, message: "\(error)") }
                results.withLock { $0[rank] = outcome }
                done.signal()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        for _ in 0..<size { done.wait() }
        return try results.withLock { $0 }.map { try $0!.get() }
    }

    func fail(rank: Int, message: String) {
        condition.lock()
        if failure == nil { failure = (rank, message) }
        condition.broadcast()
        condition.unlock()
    }

    /// Deposits this rank's part; when all have, `combine` turns the parts into one result per
    /// rank; every rank returns its own.
    func exchange(rank: Int, _ part: Any, combine: ([Any]) throws -> [Any]) throws -> Any {
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw CommunicatorError.peerFailed(rank: failure.rank, message: failure.message) }
        let mine = generation
        deposits[rank] = part
        arrived += 1
        if arrived == size {
            do { results = try combine(deposits.map { $0! }) } catch {
                if failure == nil { failure = (rank, "\(error)") }
                condition.broadcast()
                throw error
            }
            arrived = 0
            deposits = [Any?](repeating: nil, count: size)
            generation += 1
            condition.broadcast()
        } else {
            while generation == mine && failure == nil { condition.wait() }
            if generation == mine, let failure { throw CommunicatorError.peerFailed(rank: failure.rank, message: failure.message) }
        }
        // Results stay until the next generation completes, which needs this rank's next deposit.
        return results[rank]
    }
}

/// One rank of an ``InProcessGroup``.
public struct InProcessCommunicator: Communicator {
    public let rank: Int
    let group: InProcessGroup
    public var size: Int { group.size }

    public func allReduceSum(_ values: inout [Double]) throws { values = try sum(values) }
    public func allReduceSum(_ values: inout [Float]) throws { values = try sum(values) }

    func sum<T: BinaryFloatingPoint>(_ values: [T]) throws -> [T] {
        let size = self.size
        return try group.exchange(rank: rank, values) { parts in
            let arrays = parts.map { $0 as! [T] }
            guard arrays.allSatisfy({ $0.count == arrays[0].count }) else {
                throw CommunicatorError.invalidArgument("all-reduce with counts \(arrays.map(\.count))")
            }
            var total = arrays[0]
            for other in arrays.dropFirst() { for i in total.indices { total[i] += other[i] } }
            return [Any](repeating: total, count: size)
        } as! [T]
    }

    public func allToAll(_ send: [[UInt8]]) throws -> [[UInt8]] {
        guard send.count == size else { throw CommunicatorError.invalidArgument("all-to-all with \(send.count) parts for \(size) ranks") }
        let size = self.size
        return try group.exchange(rank: rank, send) { parts in
            let sends = parts.map { $0 as! [[UInt8]] }
            return (0..<size).map { receiver in sends.map { $0[receiver] } as Any }
        } as! [[UInt8]]
    }
}

/// A communicator that counts what passes through another: seconds spent in collectives and
/// payload bytes sent to other ranks (all-to-all parts for other ranks; an all-reduce counts its
/// vector once per call when there is more than one rank, the payload of a reduce-scatter plus
/// all-gather being about twice that). For `bench --distributed`'s compute/communication split.
public struct MeasuredCommunicator<Base: Communicator>: Communicator {
    public let base: Base
    final class Totals: Sendable { let value = Mutex<(seconds: Double, bytes: Int)>((0, 0)) }
    let totals = Totals()

    public init(_ base: Base) { self.base = base }
    public var rank: Int { base.rank }
    public var size: Int { base.size }

    /// Seconds in collectives and bytes sent so far.
    public var seconds: Double { totals.value.withLock { $0.seconds } }
    public var bytesSent: Int { totals.value.withLock { $0.bytes } }

    func timed<R>(bytes: Int, _ body: () throws -> R) rethrows -> R {
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            totals.value.withLock { $0.seconds += elapsed; $0.bytes += bytes }
        }
        return try body()
    }

    public func allReduceSum(_ values: inout [Double]) throws {
        try timed(bytes: size > 1 ? values.count * 8 : 0) { try base.allReduceSum(&values) }
    }
    public func allReduceSum(_ values: inout [Float]) throws {
        try timed(bytes: size > 1 ? values.count * 4 : 0) { try base.allReduceSum(&values) }
    }
    public func allToAll(_ send: [[UInt8]]) throws -> [[UInt8]] {
        let bytes = send.enumerated().reduce(0) { $0 + ($1.offset == rank ? 0 : $1.element.count) }
        return try timed(bytes: bytes) { try base.allToAll(send) }
    }
    public func allToAll(send: UnsafeBufferPointer<Float>, sendCounts: [Int], receive: UnsafeMutableBufferPointer<Float>,
                         receiveCounts: [Int]) throws {
        let bytes = 4 * sendCounts.enumerated().reduce(0) { $0 + ($1.offset == rank ? 0 : $1.element) }
        try timed(bytes: bytes) { try base.allToAll(send: send, sendCounts: sendCounts, receive: receive, receiveCounts: receiveCounts) }
    }
}
