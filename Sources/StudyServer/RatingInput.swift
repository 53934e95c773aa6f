import Foundation
import Hummingbird
import NIOCore

/// Parsing and validating a submitted rating. Fields: `position`, `rhythm_match`,
/// `emotion_match`, `heard_emotion`; nothing else is accepted.
enum RatingInput {
    static let fieldNames: Set<String> = ["position", "rhythm_match", "emotion_match", "heard_emotion"]

    static func bad(_ message: String) -> HTTPError { HTTPError(.badRequest, message: message) }

    /// `application/x-www-form-urlencoded`: `name=value&…`, `+` for space, `%XX` escapes.
    static func formFields(_ body: ByteBuffer) throws -> [String: String] {
        let text = String(buffer: body)
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let name = decode(parts[0]), let value = decode(parts[1]) else {
                throw bad("the form is not valid application/x-www-form-urlencoded")
            }
            try add(name, value, to: &fields)
        }
        return fields
    }

    private static func decode(_ s: Substring) -> String? {
        s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    private static func add(_ name: String, _ value: String, to fields: inout [String: String]) throws {
        guard fieldNames.contains(name) else {
            throw bad("unknown field '\(name.prefix(40))'; expected position, rhythm_match, emotion_match, heard_emotion")
        }
        guard fields[name] == nil else { throw bad("field '\(name)' is given twice") }
        fields[name] = value
    }

    /// A JSON value that is an integer or a string (anything else is refused).
    private enum Scalar: Decodable {
        case text(String)
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let int = try? container.decode(Int.self) {
                self = .text(String(int))
            } else if let string = try? container.decode(String.self) {
                self = .text(string)
            } else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an integer or a string")
            }
        }
    }

    /// A JSON object whose values are integers or strings.
    static func jsonFields(_ body: ByteBuffer) throws -> [String: String] {
        let data = Data(body.readableBytesView)
        guard (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
            throw bad("the body is not a JSON object")
        }
        let object: [String: Scalar]
        do { object = try JSONDecoder().decode([String: Scalar].self, from: data) } catch {
            throw bad("every field must be an integer or a string (Likert answers and the position are integers)")
        }
        var fields: [String: String] = [:]
        for (name, value) in object.sorted(by: { $0.key < $1.key }) {
            guard case .text(let text) = value else { continue }
            try add(name, text, to: &fields)
        }
        return fields
    }

    static func submission(
        from fields: [String: String], clips: Int, scale: StudyManifest.Scale, emotions: [String]
    ) throws -> RatingSubmission {
        func integer(_ name: String, in range: ClosedRange<Int>, what: String) throws -> Int {
            guard let text = fields[name] else { throw bad("missing field '\(name)' (\(what))") }
            let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
            guard !digits.isEmpty, digits.count <= 9, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                let value = Int(text)
            else { throw bad("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)") }
            guard range.contains(value) else {
                throw bad("\(name) \(value) is outside \(range.lowerBound)…\(range.upperBound)")
            }
            return value
        }
        let position = try integer("position", in: 1...clips, what: "the clip's position, 1 to \(clips)")
        let likert = scale.min...scale.max
        let rhythm = try integer("rhythm_match", in: likert, what: "a rating from \(scale.min) to \(scale.max)")
        let emotion = try integer("emotion_match", in: likert, what: "a rating from \(scale.min) to \(scale.max)")
        guard let heard = fields["heard_emotion"] else { throw bad("missing field 'heard_emotion' (the emotion you hear)") }
        guard emotions.contains(heard) else {
            throw bad("heard_emotion must be one of \(emotions.joined(separator: ", "))")
        }
        return RatingSubmission(position: position, rhythmMatch: rhythm, emotionMatch: emotion, heardEmotion: heard)
    }
}
