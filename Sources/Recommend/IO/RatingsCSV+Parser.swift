import Foundation
/// Where parsed rows go: an ``Interactions`` table, or a range of preallocated columns of a
/// parallel load.
protocol RowSink {
    var userIDs: IDMap { get set }
    var itemIDs: IDMap { get set }
    mutating func append(user: Int32, item: Int32, value: Float, timestamp: Int64)
}

extension Interactions: RowSink {}

/// Splits and converts one data line according to the header.
struct RowParser {
    let path: String
    let options: RatingsCSVOptions
    var delimiter: UInt8 = 44
    var fieldCount = 0
    var userField = 0, itemField = 1
    var ratingField: Int? = nil, timestampField: Int? = nil
    var fields: [Range<Int>] = []
    var unquoted: [[UInt8]] = []
    var lastUserBytes: [UInt8] = [], lastUser: Int32 = -1
    /// Inner indices of user and item ids of up to 7 plain bytes, keyed by the bytes themselves, so a
    /// repeated id costs no String.
    var itemCache: [UInt64: Int32] = [:], userCache: [UInt64: Int32] = [:]

    /// The bytes of a field of 1–7 characters without quotes or spaces, packed with its length.
    @inline(__always)
    static func shortKey(_ line: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64? {
        guard range.count > 0, range.count <= 7 else { return nil }
        var key = UInt64(range.count) << 56
        for (shift, i) in range.enumerated() {
            let b = line[i]
            if b == 34 || b == 32 || b == 9 || b == 13 || b >= 128 { return nil }
            key |= UInt64(b) << (8 * UInt64(shift))
        }
        return key
    }

    init(path: String, options: RatingsCSVOptions) {
        self.path = path
        self.options = options
    }

    func fail(_ line: Int, _ reason: String) -> DataError { DataError(file: path, line: line, reason: reason) }

    mutating func readHeader(_ bytes: [UInt8], lineNumber: Int) throws {
        if bytes.contains(0) { throw fail(lineNumber, "binary content (NUL byte) where a header was expected") }
        guard var header = String(validating: bytes, as: UTF8.self) else {
            throw fail(lineNumber, "header is not valid UTF-8 text")
        }
        if header.hasSuffix("\r") { header.removeLast() }
        if header.hasPrefix("\u{FEFF}") { header.removeFirst() }
        if let d = options.delimiter {
            delimiter = d
        } else {
            let candidates: [UInt8] = [44, 9, 59, 124]
            let counts = candidates.map { c in header.utf8.filter { $0 == c }.count }
            guard let best = counts.indices.max(by: { counts[$0] < counts[$1] }), counts[best] > 0 else {
                throw fail(lineNumber, "cannot detect the delimiter: the header has one column (\"\(header.prefix(60))\"); expected user and item columns")
            }
            delimiter = candidates[best]
        }
        let names = header.utf8.split(separator: delimiter, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self).trimmingQuotesAndSpaces().lowercased()
        }
        fieldCount = names.count
        func find(_ given: String?, _ defaults: [String], required: Bool, _ role: String) throws -> Int? {
            if let given {
                guard let i = names.firstIndex(of: given.lowercased()) else {
                    throw fail(lineNumber, "missing column \"\(given)\" for the \(role) (header has: \(names.joined(separator: ", ")))")
                }
                return i
            }
            if let i = defaults.lazy.compactMap({ names.firstIndex(of: $0) }).first { return i }
            if required {
                throw fail(lineNumber, "missing \(role) column: expected one of \(defaults.joined(separator: ", ")) (header has: \(names.joined(separator: ", ")))")
            }
            return nil
        }
        userField = try find(options.userColumn, RatingsCSV.userNames, required: true, "user")!
        itemField = try find(options.itemColumn, RatingsCSV.itemNames, required: true, "item")!
        // The rating column is found (and its values checked) even for an implicit load, which
        // then counts every row as 1: a malformed file is refused whatever the model uses.
        ratingField = try find(options.ratingColumn, ["rating", "score", "value"], required: false, "rating")
        timestampField = try find(options.timestampColumn, ["timestamp", "time", "ts"], required: false, "timestamp")
        for field in [userField, itemField, ratingField, timestampField].compactMap({ $0 }) where names.filter({ $0 == names[field] }).count > 1 {
            throw fail(lineNumber, "column \"\(names[field])\" appears more than once in the header")
        }
        if options.requireRating && ratingField == nil {
            throw fail(lineNumber, "no rating column (expected one of rating, score, value; header has: \(names.joined(separator: ", ")))")
        }
    }

    /// Splits `line` into field ranges, honouring double quotes. Returns false on an unterminated quote.
    mutating func split(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        fields.removeAll(keepingCapacity: true)
        var i = 0
        var end = line.count
        if end > 0 && line[end - 1] == 13 { end -= 1 }
        var fieldStart = 0
        while i <= end {
            if i < end && line[i] == 34 && i == fieldStart {
                // Quoted field: find the closing quote ("" is an escaped quote).
                var j = i + 1
                while true {
                    guard j < end else { return false }
                    if line[j] == 34 {
                        if j + 1 < end && line[j + 1] == 34 { j += 2; continue }
                        break
                    }
                    j += 1
                }
                fields.append(i..<(j + 1))
                i = j + 1
                guard i == end || line[i] == delimiter else { return false }
                i += 1
                fieldStart = i
                if i > end { break }
                continue
            }
            if i == end || line[i] == delimiter {
                fields.append(fieldStart..<i)
                fieldStart = i + 1
            }
            i += 1
        }
        return true
    }

    /// Parses one data line into `result`; returns false for an unrated row that was skipped.
    @discardableResult
    mutating func parse<Sink: RowSink>(_ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, into result: inout Sink) throws -> Bool {
        do {
            if line.contains(0) { throw fail(lineNumber, "binary content (NUL byte)") }
            guard split(line) else { throw fail(lineNumber, "unterminated quoted field") }
            guard fields.count == fieldCount else {
                throw fail(lineNumber, "expected \(fieldCount) fields as in the header, found \(fields.count)")
            }
            let userRange = fields[userField], itemRange = fields[itemField]
            let user: Int32
            if lastUser >= 0, userRange.count == lastUserBytes.count,
               lastUserBytes.withUnsafeBufferPointer({ memcmp($0.baseAddress!, line.baseAddress! + userRange.lowerBound, userRange.count) == 0 }) {
                user = lastUser
            } else if let key = RowParser.shortKey(line, userRange), let known = userCache[key] {
                user = known
                lastUser = user
                lastUserBytes = Array(line[userRange])
            } else {
                let id = try text(line, userRange, lineNumber, "user id")
                user = result.userIDs.intern(id)
                if let key = RowParser.shortKey(line, userRange) { userCache[key] = user }
                lastUser = user
                lastUserBytes = Array(line[userRange])
            }
            let item: Int32
            if let key = RowParser.shortKey(line, itemRange), let known = itemCache[key] {
                item = known
            } else {
                item = result.itemIDs.intern(try text(line, itemRange, lineNumber, "item id"))
                if let key = RowParser.shortKey(line, itemRange) { itemCache[key] = item }
            }
            var rating: Float = 1
            if let r = ratingField {
                if isBlank(line, fields[r]) {
                    if options.keepUnrated { rating = .nan }  // kept as "no rating" (converting to the binary format)
                    else if !options.implicit { return false }  // unrated: not a rating (a view when implicit)
                } else {
                    guard let v = parseNumber(line, fields[r]) else {
                        throw fail(lineNumber, "rating \"\(String(decoding: line[fields[r]], as: UTF8.self))\" is not a number")
                    }
                    guard v.isFinite, Float(v).isFinite else {
                        throw fail(lineNumber, "rating \(String(decoding: line[fields[r]], as: UTF8.self)) is not finite in single precision")
                    }
                    if !options.implicit { rating = Float(v) }
                }
            }
            var timestamp: Int64 = 0
            if let t = timestampField, !isBlank(line, fields[t]) {
                // Whole numbers are read exactly (nanoseconds need all 19 digits), others as Double.
                if let exact = RowParser.parseInteger(line, fields[t]) {
                    result.append(user: user, item: item, value: rating, timestamp: exact)
                    return true
                }
                let raw = String(decoding: line[fields[t]], as: UTF8.self)
                if let exact = Int64(raw.trimmingQuotesAndSpaces()) {
                    timestamp = exact
                    result.append(user: user, item: item, value: rating, timestamp: timestamp)
                    return true
                }
                guard let v = parseNumber(line, fields[t]), v.isFinite else {
                    throw fail(lineNumber, "timestamp \"\(raw)\" is not a number (expected Unix time in seconds)")
                }
                guard let seconds = RowParser.timestamp(v) else {
                    throw fail(lineNumber, "timestamp \(raw) is out of range (expected Unix time in seconds, within ±9.2·10¹⁸)")
                }
                timestamp = seconds
            }
            result.append(user: user, item: item, value: rating, timestamp: timestamp)
            return true
        }
    }

    /// A whole number in `range` (spaces, tabs and double quotes around it ignored, an optional
    /// sign), read from the bytes without a String: the common case of a Unix timestamp. Nil for
    /// anything else (a fraction, an exponent, more than Int64 holds), which the caller reads the
    /// slow way, so the result never differs from `Int64(String)` on the trimmed text.
    @inline(__always)
    static func parseInteger(_ line: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int64? {
        var lo = range.lowerBound, hi = range.upperBound
        while lo < hi, line[lo] == 32 || line[lo] == 34 || line[lo] == 9 { lo += 1 }
        while hi > lo, line[hi - 1] == 32 || line[hi - 1] == 34 || line[hi - 1] == 9 || line[hi - 1] == 13 { hi -= 1 }
        guard lo < hi else { return nil }
        var negative = false
        if line[lo] == 45 || line[lo] == 43 { negative = line[lo] == 45; lo += 1 }
        guard lo < hi, hi - lo <= 18 else { return nil }  // 18 digits never overflow; longer goes the slow way
        var value: Int64 = 0
        for i in lo..<hi {
            let d = line[i] &- 48
            guard d < 10 else { return nil }
            value = value * 10 + Int64(d)
        }
        return negative ? -value : value
    }

    /// A parsed timestamp as whole Unix seconds (fractions dropped toward zero), nil when it
    /// does not fit in Int64.
    static func timestamp(_ v: Double) -> Int64? {
        v.isFinite ? Int64(exactly: v.rounded(.towardZero)) : nil
    }

    func isBlank(_ line: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        range.allSatisfy { line[$0] == 32 || line[$0] == 34 || line[$0] == 13 }
    }

    func text(_ line: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ lineNumber: Int, _ what: String) throws -> String {
        var slice = line[range]
        let quoted = slice.first == 34
        if quoted {
            slice = slice.dropFirst().dropLast()
        } else {
            while let f = slice.first, f == 32 || f == 9 { slice = slice.dropFirst() }
            while let l = slice.last, l == 32 || l == 9 { slice = slice.dropLast() }
        }
        guard !slice.isEmpty else { throw fail(lineNumber, "empty \(what)") }
        guard let s = String(validating: slice, as: UTF8.self) else { throw fail(lineNumber, "\(what) is not valid UTF-8 text") }
        return quoted && slice.contains(34) ? s.replacingOccurrences(of: "\"\"", with: "\"") : s
    }

    /// Parses a decimal number; a fast path for plain integers and decimals, the standard
    /// library for anything else (exponents, "nan", "inf").
    func parseNumber(_ line: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Double? {
        var lo = range.lowerBound, hi = range.upperBound
        while lo < hi && (line[lo] == 32 || line[lo] == 34) { lo += 1 }
        while hi > lo && (line[hi - 1] == 32 || line[hi - 1] == 34) { hi -= 1 }
        guard lo < hi else { return nil }
        var i = lo
        var negative = false
        if line[i] == 45 || line[i] == 43 { negative = line[i] == 45; i += 1 }
        var mantissa: UInt64 = 0, digits = 0, fractionDigits = 0, seenDot = false
        while i < hi {
            let c = line[i]
            if c >= 48 && c <= 57 {
                if digits < 18 { mantissa = mantissa * 10 + UInt64(c - 48); digits += 1; if seenDot { fractionDigits += 1 } }
                else if !seenDot { return slowNumber(line, lo..<hi) }
            } else if c == 46 && !seenDot {
                seenDot = true
            } else {
                return slowNumber(line, lo..<hi)
            }
            i += 1
        }
        guard digits > 0 else { return slowNumber(line, lo..<hi) }
        var value = Double(mantissa)
        if fractionDigits > 0 { value /= RowParser.powersOfTen[fractionDigits] }
        return negative ? -value : value
    }

    static let powersOfTen: [Double] = (0...18).map { p in (0..<p).reduce(1.0) { r, _ in r * 10 } }

    func slowNumber(_ line: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Double? {
        // Decimal only: the standard library also reads hexadecimal ("0x10", "0x1p3").
        if line[range].contains(where: { $0 == 120 || $0 == 88 }) { return nil }
        return Double(String(decoding: line[range], as: UTF8.self))
    }
}

extension String {
    func trimmingQuotesAndSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\"" || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\"" || l == "\t" || l == "\r" { s.removeLast() }
        return String(s)
    }
}
