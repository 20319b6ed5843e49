import Foundation

/// The one way the project prints JSON: Codable values, keys sorted, slashes unescaped.
public enum JSONOutput {
    /// `value` as one line of JSON.
    public static func string(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every value here is built from numbers and strings: encoding cannot fail.
        guard let data = try? encoder.encode(value) else { preconditionFailure("unencodable \(type(of: value))") }
        return String(decoding: data, as: UTF8.self)
    }

    /// A number that encodes as `null` when it is NaN or infinite (JSON has no such numbers),
    /// e.g. RMSE over no ratings.
    public struct Number: Codable, Equatable, Sendable {
        public var value: Double
        public init(_ value: Double) { self.value = value }
        public init(_ value: Float) { self.value = Double(value) }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            if value.isFinite { try c.encode(value) } else { try c.encodeNil() }
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            value = c.decodeNil() ? .nan : try c.decode(Double.self)
        }
    }
}
