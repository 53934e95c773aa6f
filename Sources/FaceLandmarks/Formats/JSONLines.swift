import EmoMusikCore
import EmoMusikPlugins
import Foundation

/// Live input as JSON lines, one frame per line:
/// `{"t": 1.25, "points": [[x, y], ... 68 pairs], "confidence": 0.9}`.
/// `"points": []` or `"points": null` means the face was lost in that frame; `confidence` is
/// optional (1 for a face, 0 for a lost one). Other keys are ignored; blank lines are skipped.
public enum JSONLinesFormat {
    /// Decodes one line (`lineNumber` counts from 1); nil for a blank line.
    public static func decode(line: Substring, file: String, lineNumber: Int) throws -> LandmarkFrame? {
        if line.trimmingSpaces().isEmpty { return nil }
        var parser = MiniJSON(line: line, file: file, lineNumber: lineNumber)
        let value = try parser.parseDocument()
        guard case .object(let members, _) = value.kind else {
            throw landmarkError("expected a JSON object {\"t\": …, \"points\": […]}", file: file, line: lineNumber, column: value.column)
        }
        var time: Double?
        var confidence: Double?
        var points: [SIMD2<Float>]?
        var pointsSeen = false
        for (key, member) in members {
            switch key {
            case "t":
                time = try member.number(file: file, line: lineNumber, field: "t")
            case "confidence":
                confidence = try member.number(file: file, line: lineNumber, field: "confidence")
            case "points":
                pointsSeen = true
                points = try decodePoints(member, file: file, lineNumber: lineNumber)
            default:
                continue
            }
        }
        guard let time else {
            throw landmarkError("missing key \"t\" (seconds)", file: file, line: lineNumber, field: "t")
        }
        guard pointsSeen else {
            throw landmarkError(
                "missing key \"points\"", file: file, line: lineNumber, field: "points",
                hint: "write \"points\": [] when the face is lost")
        }
        let found = points ?? []
        return LandmarkFrame(time: time, points: found, confidence: confidence ?? (found.isEmpty ? 0 : 1))
    }

    private static func decodePoints(_ value: MiniJSON.Value, file: String, lineNumber: Int) throws -> [SIMD2<Float>]? {
        switch value.kind {
        case .null:
            return nil
        case .array(let items):
            if items.isEmpty { return [] }
            guard items.count == FaceLayout.count else {
                throw landmarkError(
                    "expected \(FaceLayout.count) points, found \(items.count)", file: file, line: lineNumber,
                    column: value.column, field: "points")
            }
            return try items.enumerated().map { index, item in
                guard case .array(let pair) = item.kind, pair.count == 2 else {
                    throw landmarkError(
                        "point \(index) must be a pair [x, y]", file: file, line: lineNumber, column: item.column,
                        field: "points[\(index)]")
                }
                let x = try pair[0].coordinate(file: file, line: lineNumber, field: "points[\(index)][0]")
                let y = try pair[1].coordinate(file: file, line: lineNumber, field: "points[\(index)][1]")
                return SIMD2(x, y)
            }
        default:
            throw landmarkError(
                "points must be an array of [x, y] pairs, [] or null", file: file, line: lineNumber, column: value.column,
                field: "points")
        }
    }

    /// Reads a whole JSON-lines text as a sequence.
    public static func read(text: String, file: String) throws -> LandmarkSequence {
        let (lines, _) = splitLines(text)
        var frames: [LandmarkFrame] = []
        for (i, line) in lines.enumerated() {
            if let frame = try decode(line: line, file: file, lineNumber: i + 1) { frames.append(frame) }
        }
        return LandmarkSequence(frames: frames)
    }

    /// Reads a JSON-lines file.
    public static func read(path: String) throws -> LandmarkSequence {
        try read(text: readText(path: path), file: path)
    }

    /// One line (without the newline) for `frame`.
    public static func encode(_ frame: LandmarkFrame) -> String {
        var text = "{\"t\": \(frame.time), \"points\": ["
        for (i, p) in frame.points.enumerated() {
            if i > 0 { text += ", " }
            text += "[\(p.x), \(p.y)]"
        }
        text += "], \"confidence\": \(frame.confidence)}"
        return text
    }

    /// The whole sequence, one line per frame.
    public static func write(_ sequence: LandmarkSequence) -> String {
        sequence.frames.map { encode($0) + "\n" }.joined()
    }

    public static func write(_ sequence: LandmarkSequence, to path: String) throws {
        try writeText(write(sequence), to: path)
    }
}

/// A small JSON parser for one line that remembers where each value starts, so errors can point
/// at a column. Accepts `NaN`, `Infinity` and `-Infinity` (Python writes them) so that they can be
/// refused as "not finite" rather than as a syntax error.
struct MiniJSON {
    struct Value {
        indirect enum Kind {
            case null, bool(Bool), string(String), number(Substring), array([Value]), object([(String, Value)], Int)
        }
        var kind: Kind
        /// 1-based character column where the value starts.
        var column: Int
        var file: String
        var line: Int

        func number(file: String, line: Int, field: String) throws -> Double {
            guard case .number(let text) = kind else {
                throw landmarkError("\(field) must be a number", file: file, line: line, column: column, field: field)
            }
            return try parseDouble(text, file: file, line: line, column: column, field: field)
        }

        func coordinate(file: String, line: Int, field: String) throws -> Float {
            guard case .number(let text) = kind else {
                throw landmarkError("\(field) is not a number", file: file, line: line, column: column, field: field)
            }
            return try parseCoordinate(text, file: file, line: line, column: column, field: field)
        }
    }

    let chars: [Character]
    let source: Substring
    var position = 0
    let file: String
    let lineNumber: Int

    init(line: Substring, file: String, lineNumber: Int) {
        source = line
        chars = Array(line)
        self.file = file
        self.lineNumber = lineNumber
    }

    mutating func parseDocument() throws -> Value {
        let value = try parseValue()
        skipSpace()
        if position < chars.count {
            throw error("unexpected '\(chars[position])' after the JSON value")
        }
        return value
    }

    private func error(_ message: String, at column: Int? = nil) -> EmoMusikError {
        landmarkError(message, file: file, line: lineNumber, column: column ?? position + 1)
    }

    private func truncated() -> EmoMusikError {
        landmarkError("truncated line: the JSON value ends early", file: file, line: lineNumber, column: position + 1)
    }

    private mutating func skipSpace() {
        while position < chars.count, chars[position] == " " || chars[position] == "\t" || chars[position] == "\r" {
            position += 1
        }
    }

    private mutating func parseValue() throws -> Value {
        skipSpace()
        guard position < chars.count else { throw truncated() }
        let column = position + 1
        let c = chars[position]
        func make(_ kind: Value.Kind) -> Value { Value(kind: kind, column: column, file: file, line: lineNumber) }
        switch c {
        case "{":
            position += 1
            var members: [(String, Value)] = []
            skipSpace()
            if position < chars.count, chars[position] == "}" {
                position += 1
                return make(.object(members, column))
            }
            while true {
                skipSpace()
                guard position < chars.count else { throw truncated() }
                guard chars[position] == "\"" else { throw error("expected a key in quotes") }
                let key = try parseString()
                skipSpace()
                guard position < chars.count else { throw truncated() }
                guard chars[position] == ":" else { throw error("expected ':' after the key \"\(key)\"") }
                position += 1
                members.append((key, try parseValue()))
                skipSpace()
                guard position < chars.count else { throw truncated() }
                if chars[position] == "," {
                    position += 1
                    continue
                }
                if chars[position] == "}" {
                    position += 1
                    return make(.object(members, column))
                }
                throw error("expected ',' or '}'")
            }
        case "[":
            position += 1
            var items: [Value] = []
            skipSpace()
            if position < chars.count, chars[position] == "]" {
                position += 1
                return make(.array(items))
            }
            while true {
                items.append(try parseValue())
                skipSpace()
                guard position < chars.count else { throw truncated() }
                if chars[position] == "," {
                    position += 1
                    continue
                }
                if chars[position] == "]" {
                    position += 1
                    return make(.array(items))
                }
                throw error("expected ',' or ']'")
            }
        case "\"":
            return make(.string(try parseString()))
        default:
            let start = position
            while position < chars.count, !",]} \t\r".contains(chars[position]) { position += 1 }
            let word = String(chars[start..<position])
            switch word {
            case "null": return make(.null)
            case "true": return make(.bool(true))
            case "false": return make(.bool(false))
            default:
                let looksNumeric = word.first.map { $0 == "-" || $0 == "+" || $0.isNumber || $0 == "N" || $0 == "I" } ?? false
                guard looksNumeric else { throw error("unexpected '\(word)'", at: column) }
                return make(.number(Substring(word)))
            }
        }
    }

    private mutating func parseString() throws -> String {
        position += 1  // opening quote
        var text = ""
        while position < chars.count {
            let c = chars[position]
            position += 1
            if c == "\"" { return text }
            if c == "\\" {
                guard position < chars.count else { throw truncated() }
                let escaped = chars[position]
                position += 1
                switch escaped {
                case "n": text.append("\n")
                case "t": text.append("\t")
                case "u":
                    guard position + 4 <= chars.count, let code = UInt32(String(chars[position..<position + 4]), radix: 16),
                        let scalar = Unicode.Scalar(code)
                    else { throw error("bad \\u escape") }
                    text.unicodeScalars.append(scalar)
                    position += 4
                default: text.append(escaped)
                }
            } else {
                text.append(c)
            }
        }
        throw truncated()
    }
}
