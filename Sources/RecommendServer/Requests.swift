import FeedbackStore
import Foundation
import Recommend

/// Request bodies and query parameters, decoded strictly: unknown fields, wrong types, missing
/// or empty ids, counts out of range and oversized lists are refused with a message naming the
/// field (``APIError`` 400). What the limits are: ``RequestLimits``.
public struct RequestLimits: Sendable {
    /// Largest `n`.
    public var maxCount = 1_000
    /// Longest list of ids in one body (history, items, exclude) and most events in one
    /// feedback request.
    public var maxListLength = 10_000
    /// Most ids in the `exclude` query parameter: 100 ids of 256 bytes, percent-encoded, stay
    /// under the HTTP parser's 80 KiB limit on a request head (beyond it the parser answers a
    /// bare 400 before any route runs).
    public var maxQueryListLength = 100
    /// Longest id or kind, in bytes.
    public var maxIDBytes = 256
    public init() {}
}

struct AnyKey: CodingKey {
    var stringValue: String
    init(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

/// Refuses fields outside `allowed` (the decoder ignores them otherwise).
func checkFields(_ decoder: any Decoder, allowed: [String]) throws {
    let container = try decoder.container(keyedBy: AnyKey.self)
    for key in container.allKeys where !allowed.contains(key.stringValue) {
        let at = decoder.codingPath.isEmpty ? "" : " in \(path(decoder.codingPath))"
        throw APIError.badRequest("unknown field \"\(key.stringValue)\"\(at): expected only \(allowed.joined(separator: ", "))")
    }
}

func path(_ codingPath: [any CodingKey]) -> String {
    codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
}

/// `POST /v1/recommendations`.
struct VisitorRequest: Decodable {
    var history: [String]
    /// Read as a number so that 1.5 or 1e30 is refused by name, not as malformed JSON.
    var n: Double?
    var exclude: [String]?
    enum CodingKeys: String, CodingKey { case history, n, exclude }
    init(from decoder: any Decoder) throws {
        try checkFields(decoder, allowed: ["history", "n", "exclude"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        history = try c.decode([String].self, forKey: .history)
        n = try c.decodeIfPresent(Double.self, forKey: .n)
        exclude = try c.decodeIfPresent([String].self, forKey: .exclude)
    }
}

/// `POST /v1/sessions/next`.
struct SessionRequest: Decodable {
    var items: [String]
    var n: Double?
    enum CodingKeys: String, CodingKey { case items, n }
    init(from decoder: any Decoder) throws {
        try checkFields(decoder, allowed: ["items", "n"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        items = try c.decode([String].self, forKey: .items)
        n = try c.decodeIfPresent(Double.self, forKey: .n)
    }
}

/// One event of `POST /v1/feedback`.
struct EventRequest: Decodable {
    var user: String
    var item: String
    var value: Double?
    var timestamp: Double?
    var kind: String?
    enum CodingKeys: String, CodingKey { case user, item, value, timestamp, kind }
    init(from decoder: any Decoder) throws {
        try checkFields(decoder, allowed: ["user", "item", "value", "timestamp", "kind"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        user = try c.decode(String.self, forKey: .user)
        item = try c.decode(String.self, forKey: .item)
        value = try c.decodeIfPresent(Double.self, forKey: .value)
        timestamp = try c.decodeIfPresent(Double.self, forKey: .timestamp)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
    }
}

extension RequestLimits {
    /// `n` from a body or query: 10 when absent, else 1…``maxCount``.
    func count(_ n: Int?) throws -> Int {
        guard let n else { return 10 }
        guard n >= 1 && n <= maxCount else { throw APIError.badRequest("n must be an integer between 1 and \(maxCount), got \(n)") }
        return n
    }

    /// `n` from a JSON body (a number: anything but an integer in range is refused by name).
    func count(_ n: Double?) throws -> Int {
        guard let n else { return 10 }
        guard n.rounded() == n, n >= 1, n <= Double(maxCount) else {
            throw APIError.badRequest("n must be an integer between 1 and \(maxCount), got \(n.rounded() == n && abs(n) < 1e15 ? String(Int(n)) : String(n))")
        }
        return Int(n)
    }

    /// `n` from a query string.
    func count(query: String?) throws -> Int {
        guard let query else { return 10 }
        guard let n = Int(query) else { throw APIError.badRequest("n must be an integer between 1 and \(maxCount), got \"\(query.prefix(40))\"") }
        return try count(n)
    }

    /// One id: not empty, at most ``maxIDBytes`` bytes, no control characters.
    func id(_ value: String, _ field: String) throws -> String {
        guard !value.isEmpty else { throw APIError.badRequest("\(field) must not be empty") }
        guard value.utf8.count <= maxIDBytes else { throw APIError.badRequest("\(field) is longer than \(maxIDBytes) bytes") }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw APIError.badRequest("\(field) contains control characters")
        }
        return value
    }

    func ids(_ values: [String], _ field: String) throws -> [String] {
        guard values.count <= maxListLength else { throw APIError.badRequest("\(field) has \(values.count) ids; at most \(maxListLength)") }
        return try values.enumerated().map { try id($0.element, "\(field)[\($0.offset)]") }
    }

    /// A feedback event checked and completed: value 1 and kind "view" when absent, timestamp
    /// `now` when absent.
    func event(_ e: EventRequest, at index: Int?, now: Int64) throws -> FeedbackEvent {
        let at = index.map { "events[\($0)]." } ?? ""
        let value = e.value ?? 1
        guard value.isFinite, abs(value) <= 1e12 else { throw APIError.badRequest("\(at)value must be a finite number of magnitude at most 1e12") }
        let seconds = e.timestamp ?? Double(now)
        // Unix seconds: an integer in 0 … 10¹¹ (year 5138); a millisecond timestamp is caught here.
        guard seconds.rounded() == seconds, seconds >= 0, seconds <= 100_000_000_000 else {
            let shown = seconds.rounded() == seconds && abs(seconds) < 1e15 ? String(Int64(seconds)) : String(seconds)
            throw APIError.badRequest("\(at)timestamp must be Unix seconds, an integer between 0 and 100000000000, got \(shown)")
        }
        let timestamp = Int64(seconds)
        return FeedbackEvent(user: try id(e.user, "\(at)user"), item: try id(e.item, "\(at)item"), value: value,
                             timestamp: timestamp, kind: try id(e.kind ?? "view", "\(at)kind"))
    }
}

/// A JSON body decoded as `T`, or a 400 naming what was wrong.
func decodeBody<T: Decodable>(_ type: T.Type, from bytes: Data) throws -> T {
    guard !bytes.isEmpty else { throw APIError.badRequest("the request needs a JSON body") }
    do {
        return try JSONDecoder().decode(T.self, from: bytes)
    } catch let error as DecodingError {
        throw APIError.badRequest(describe(error))
    }
}

/// A decoding error in a client's words: the field and what was expected, no Swift types.
func describe(_ error: DecodingError) -> String {
    func kind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is [String].Type: return "an array of strings"
        case is [Any].Type: return "an array"
        default: return "an object"
        }
    }
    func at(_ codingPath: [any CodingKey]) -> String {
        codingPath.isEmpty ? "the body" : "field \"\(path(codingPath))\""
    }
    switch error {
    case let .typeMismatch(type, context):
        return "\(at(context.codingPath)): expected \(kind(type))"
    case let .valueNotFound(type, context):
        return "\(at(context.codingPath)): expected \(kind(type)), got null"
    case let .keyNotFound(key, context):
        return "missing field \"\(path(context.codingPath + [key]))\""
    case let .dataCorrupted(context):
        if context.codingPath.isEmpty { return "malformed JSON" }
        return "\(at(context.codingPath)): \(context.debugDescription.prefix(120))"
    @unknown default:
        return "malformed request body"
    }
}
