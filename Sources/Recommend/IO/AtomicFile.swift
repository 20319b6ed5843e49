import Foundation

/// Writes files so that a reader never sees a half-written one: the content goes to a
/// temporary file in the same folder, which is then renamed over the target.
public enum AtomicFile {
    /// Writes `data` to `path` atomically.
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { handle in try handle.write(contentsOf: data) }
    }

    /// Writes `text` (UTF-8) to `path` atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Streams content through `body` into a temporary file, then renames it to `path`.
    /// On any error the temporary file is removed and `path` is left as it was.
    public static func write(to path: String, _ body: (FileHandle) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError(file: path, reason: "folder \(folder) does not exist")
        }
        let temporary = folder + "/.\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw DataError(file: path, reason: "cannot write in \(folder) (permission denied or read-only)")
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            do {
                try body(handle)
                try handle.synchronize()
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            guard rename(temporary, path) == 0 else {
                throw DataError(file: path, reason: "cannot replace: \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(temporary)
            throw error
        }
    }
}

/// Buffers text and flushes it to a file handle in large writes.
public struct BufferedWriter {
    let handle: FileHandle
    var buffer: [UInt8] = []

    public init(_ handle: FileHandle) {
        self.handle = handle
        buffer.reserveCapacity(1 << 20)
    }

    public mutating func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 20 { try flush() }
    }

    public mutating func flush() throws {
        if !buffer.isEmpty { try handle.write(contentsOf: buffer); buffer.removeAll(keepingCapacity: true) }
    }
}

extension Interactions {
    /// Writes `user,item,rating,timestamp` CSV with raw ids, atomically.
    public func writeCSV(to path: String) throws {
        try AtomicFile.write(to: path) { handle in
            var out = BufferedWriter(handle)
            try out.write("user,item,rating,timestamp\n")
            for t in 0..<count {
                let v = values[t]
                let rating = v == v.rounded() ? String(Int(v)) : String(v)
                try out.write("\(userIDs.id(at: Int(users[t]))),\(itemIDs.id(at: Int(items[t]))),\(rating),\(timestamps[t])\n")
            }
            try out.flush()
        }
    }
}
