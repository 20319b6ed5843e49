/// Errors reading data, each naming the file, the line (1-based, the header is line 1) and
/// what was wrong.
public struct DataError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var reason: String
    /// The argument at fault when it is not the file's content (e.g. "format" for a folder given
    /// with the csv format), for a caller that names its own options.
    public var argument: String?

    public init(file: String, line: Int? = nil, reason: String, argument: String? = nil) {
        self.file = file
        self.line = line
        self.reason = reason
        self.argument = argument
    }

    public var description: String {
        if let line { return "\(file):\(line): \(reason)" }
        return "\(file): \(reason)"
    }
}
