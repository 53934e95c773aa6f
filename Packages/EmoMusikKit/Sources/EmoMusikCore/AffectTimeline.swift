import Foundation

/// A sequence of affect keyframes over time: from each keyframe's time the target affect is
/// that keyframe's, until the next. The composer turns the steps into musical transitions.
///
/// The piece lasts until the last keyframe's time; give a last row to say how long the final
/// state is held.
public struct AffectTimeline: Sendable, Equatable {
    public struct Keyframe: Sendable, Equatable {
        /// Seconds from the start.
        public var time: Double
        public var affect: Affect
        /// The class named on the row, or the most probable class of a probability row.
        public var emotion: Emotion?

        public init(time: Double, affect: Affect, emotion: Emotion? = nil) {
            self.time = time
            self.affect = affect
            self.emotion = emotion
        }
    }

    /// Sorted by time, strictly increasing, first at time 0.
    public private(set) var keyframes: [Keyframe]

    public init(keyframes: [Keyframe]) throws {
        guard let first = keyframes.first else {
            throw EmoMusikError(.invalidValue, "the timeline has no rows", hint: "add at least one row such as `0,neutral`")
        }
        guard first.time == 0 else {
            throw EmoMusikError(.invalidValue, "the timeline must start at time 0, not \(first.time)")
        }
        for (a, b) in zip(keyframes, keyframes.dropFirst()) where b.time <= a.time {
            throw EmoMusikError(.invalidValue, "timeline times must increase, but \(b.time) follows \(a.time)")
        }
        self.keyframes = keyframes
    }

    /// A constant affect for `duration` seconds.
    public init(constant affect: Affect, duration: Double) {
        keyframes = [Keyframe(time: 0, affect: affect)]
        if duration > 0 { keyframes.append(Keyframe(time: duration, affect: affect)) }
    }

    /// Seconds until the last keyframe.
    public var duration: Double { keyframes.last!.time }

    /// The target affect at `time` (the latest keyframe at or before it).
    public func affect(at time: Double) -> Affect {
        var result = keyframes[0].affect
        for keyframe in keyframes where keyframe.time <= time { result = keyframe.affect }
        return result
    }
}

extension AffectTimeline {
    /// Reads a timeline CSV. Each row is `time` (seconds) followed by one of:
    /// - an emotion name: `12.5,happiness`
    /// - a valence, arousal pair: `12.5,0.6,-0.2`
    /// - seven class probabilities in the order neutral, happiness, sadness, anger, fear, surprise,
    ///   disgust: `12.5,0.1,0.6,0,0,0,0.3,0`
    ///
    /// Blank lines and lines starting with `#` are skipped; a first row whose first field is not a
    /// number is taken as a header. Errors name the file, line and field.
    public static func parseCSV(_ text: String, file: String) throws -> AffectTimeline {
        var keyframes: [Keyframe] = []
        var sawData = false
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            func fail(_ message: String, field: String?, column: Int, hint: String? = nil) -> EmoMusikError {
                EmoMusikError(
                    .malformedFile, message, hint: hint,
                    location: SourceLocation(file: file, line: lineNumber, column: column, field: field))
            }
            guard let time = Double(fields[0]) else {
                if !sawData && keyframes.isEmpty && fields[0].lowercased().hasPrefix("time") {
                    sawData = true  // header row
                    continue
                }
                throw fail("time '\(fields[0])' is not a number of seconds", field: "time", column: 1)
            }
            sawData = true
            guard time.isFinite, time >= 0 else {
                throw fail("time \(fields[0]) must be zero or more seconds", field: "time", column: 1)
            }
            let values = Array(fields.dropFirst())
            let keyframe: Keyframe
            switch values.count {
            case 1:
                guard let emotion = Emotion(name: values[0]) else {
                    throw fail(
                        "unknown emotion '\(values[0])'", field: "emotion", column: 2,
                        hint: (Emotion.closest(to: values[0]).map { "did you mean '\($0)'? " } ?? "") + "Known: "
                            + Emotion.allCases.map(\.rawValue).joined(separator: ", "))
                }
                keyframe = Keyframe(time: time, affect: emotion.affect, emotion: emotion)
            case 2:
                var coordinates: [Double] = []
                for (offset, name) in ["valence", "arousal"].enumerated() {
                    guard let value = Double(values[offset]) else {
                        throw fail("\(name) '\(values[offset])' is not a number", field: name, column: offset + 2)
                    }
                    guard value.isFinite, Affect.range.contains(value) else {
                        throw fail(
                            "\(name) \(values[offset]) is out of range", field: name, column: offset + 2,
                            hint: "valence and arousal go from -1 to 1")
                    }
                    coordinates.append(value)
                }
                keyframe = Keyframe(time: time, affect: Affect(valence: coordinates[0], arousal: coordinates[1]))
            case Emotion.allCases.count:
                var probabilities: [Double] = []
                for (offset, emotion) in Emotion.allCases.enumerated() {
                    guard let p = Double(values[offset]), p.isFinite, p >= 0, p <= 1 else {
                        throw fail(
                            "probability of \(emotion) '\(values[offset])' is not a number in 0...1",
                            field: emotion.rawValue, column: offset + 2)
                    }
                    probabilities.append(p)
                }
                let total = probabilities.reduce(0, +)
                guard abs(total - 1) <= 0.01 else {
                    throw fail(
                        "the seven probabilities sum to \(total), not 1", field: "probabilities", column: 2,
                        hint: "give probabilities in the order "
                            + Emotion.allCases.map(\.rawValue).joined(separator: ", "))
                }
                let top = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
                keyframe = Keyframe(
                    time: time, affect: Emotion.expectedAffect(probabilities: probabilities),
                    emotion: Emotion.allCases[top])
            default:
                throw fail(
                    "expected `time,emotion`, `time,valence,arousal` or `time` and 7 probabilities, got \(fields.count) fields",
                    field: nil, column: 1)
            }
            if let previous = keyframes.last, keyframe.time <= previous.time {
                throw fail(
                    "time \(fields[0]) does not come after the previous row's \(previous.time)", field: "time", column: 1)
            }
            if keyframes.isEmpty && keyframe.time != 0 {
                throw fail("the first row must be at time 0, not \(fields[0])", field: "time", column: 1)
            }
            keyframes.append(keyframe)
        }
        guard !keyframes.isEmpty else {
            throw EmoMusikError(
                .malformedFile, "the timeline has no rows", hint: "add rows such as `0,neutral` and `30,happiness`",
                location: SourceLocation(file: file))
        }
        return try AffectTimeline(keyframes: keyframes)
    }

    /// Reads a timeline CSV file; see ``parseCSV(_:file:)``.
    public static func load(path: String) throws -> AffectTimeline {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EmoMusikError(.fileNotFound, "cannot read timeline '\(path)'", hint: "check the path and permissions")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw EmoMusikError(.malformedFile, "timeline '\(path)' is not UTF-8 text")
        }
        return try parseCSV(text, file: path)
    }
}
