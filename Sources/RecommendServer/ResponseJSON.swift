import NIOCore
import Recommend

/// The lists of recommendations written straight into the response buffer: the same JSON as
/// `JSONEncoder` with sorted keys (`rectrain recommend --json`'s shape), at a fraction of its
/// cost on the hot routes (docs/serving.md).
struct ResponseJSON {
    var buffer: ByteBuffer

    init(capacity: Int = 1_024) { buffer = ByteBufferAllocator().buffer(capacity: capacity) }

    mutating func raw(_ text: StaticString) { buffer.writeStaticString(text) }
    mutating func int(_ value: Int) { buffer.writeString(String(value)) }

    /// A JSON string: quotes, backslashes and control characters escaped, the rest as UTF-8.
    mutating func string(_ value: String) {
        buffer.writeInteger(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case 0x0A: buffer.writeStaticString("\\n")
            case 0x0D: buffer.writeStaticString("\\r")
            case 0x09: buffer.writeStaticString("\\t")
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(hex[Int(byte >> 4)]); buffer.writeInteger(hex[Int(byte & 15)])
            default: buffer.writeInteger(byte)
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    mutating func strings(_ values: [String]) {
        raw("[")
        for (i, v) in values.enumerated() { if i > 0 { raw(",") }; string(v) }
        raw("]")
    }

    /// A score: Swift's shortest round-trip form, as `JSONEncoder` writes a Float.
    mutating func score(_ value: Float) { buffer.writeString(value.isFinite ? "\(value)" : "0") }

    mutating func items(_ items: [RecommendedItem], explained: Bool) {
        raw("[")
        for (r, entry) in items.enumerated() {
            if r > 0 { raw(",") }
            if explained { raw("{\"because\":"); strings(entry.because); raw(",\"item\":") } else { raw("{\"item\":") }
            string(entry.item)
            raw(",\"rank\":"); int(r + 1)
            raw(",\"score\":"); score(entry.score)
            raw(",\"title\":"); string(entry.title)
            raw("}")
        }
        raw("]")
    }

    /// `{"history"|"session": […]?, "items": […], "model", "model_version", "strategy", "user"?}`.
    static func recommendations(_ answer: LiveRecommender.Answer, user: String? = nil, history: [String]? = nil,
                                session: [String]? = nil, explained: Bool = false) -> ByteBuffer {
        var w = ResponseJSON()
        w.raw("{")
        if let history { w.raw("\"history\":"); w.strings(history); w.raw(",") }
        w.raw("\"items\":"); w.items(answer.recommendations.items, explained: explained)
        w.raw(",\"model\":"); w.string(answer.model)
        w.raw(",\"model_version\":"); w.int(answer.version)
        if let session { w.raw(",\"session\":"); w.strings(session) }
        w.raw(",\"strategy\":"); w.string(answer.recommendations.strategy)
        if let user { w.raw(",\"user\":"); w.string(user) }
        w.raw("}")
        return w.buffer
    }

    /// `{"item", "items": […], "model", "model_version", "title"}`.
    static func similar(item: String, title: String, _ answer: LiveRecommender.Answer) -> ByteBuffer {
        var w = ResponseJSON()
        w.raw("{\"item\":"); w.string(item)
        w.raw(",\"items\":"); w.items(answer.recommendations.items, explained: false)
        w.raw(",\"model\":"); w.string(answer.model)
        w.raw(",\"model_version\":"); w.int(answer.version)
        w.raw(",\"title\":"); w.string(title)
        w.raw("}")
        return w.buffer
    }
}
