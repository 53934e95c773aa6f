import EmoMusikCore
import Foundation
import Presets
import Statistics

/// One answer of one rater to one clip, as the rating server exports it.
public struct StudyRating: Sendable, Equatable {
    public var rater: String
    public var clip: String
    /// 1-based order in which the rater heard the clip.
    public var position: Int
    public var rhythmMatch: Int
    public var emotionMatch: Int
    public var heard: Emotion
    /// ISO 8601, as exported.
    public var submittedAt: String
    /// The line in the ratings file.
    public var line: Int

    public init(rater: String, clip: String, position: Int, rhythmMatch: Int, emotionMatch: Int, heard: Emotion, submittedAt: String, line: Int = 0) {
        self.rater = rater
        self.clip = clip
        self.position = position
        self.rhythmMatch = rhythmMatch
        self.emotionMatch = emotionMatch
        self.heard = heard
        self.submittedAt = submittedAt
        self.line = line
    }
}

/// The ratings CSV the server's admin export produces:
/// `rater,clip,position,rhythm_match,emotion_match,heard_emotion,submitted_at`.
public enum StudyRatings {
    public static let header = ["rater", "clip", "position", "rhythm_match", "emotion_match", "heard_emotion", "submitted_at"]
    public static let defaultFileName = "ratings.csv"

    /// The export's CSV text for `ratings` (for tests and tools that make ratings).
    public static func csv(_ ratings: [StudyRating]) -> String {
        var lines = [header.joined(separator: ",")]
        for r in ratings {
            lines.append([
                csvField(r.rater), csvField(r.clip), String(r.position), String(r.rhythmMatch), String(r.emotionMatch),
                r.heard.rawValue, csvField(r.submittedAt),
            ].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads and checks the ratings: every clip must be in the key, every rater in the manifest
    /// (when `raters` is given), both items whole numbers on `scale`, the heard emotion one of the
    /// seven names, the position a positive whole number, the time ISO 8601, and no rater may
    /// rate a clip twice. Every problem is reported with file, line, column and field.
    public static func parse(
        _ text: String, file: String, clips: Set<String>, raters: [String]?, scale: ClosedRange<Int>
    ) throws -> [StudyRating] {
        let table = try CSVTable(text: text, file: file)
        var issues: [PresetIssue] = []
        var columns: [String: Int] = [:]
        for name in header {
            do { columns[name] = try table.column(named: name) } catch let error as EmoMusikError {
                issues.append(PresetIssue(
                    location: error.location ?? SourceLocation(file: file, line: 1),
                    message: error.message + (error.hint.map { "; \($0)" } ?? "")))
            }
        }
        guard issues.isEmpty else { throw StudyValidationError(issues: issues) }
        let knownRaters = raters.map(Set.init)
        let dateOptions: [ISO8601DateFormatter.Options] = [[.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds]]
        let dateFormats: [ISO8601DateFormatter] = dateOptions.map {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = $0
            return formatter
        }
        var ratings: [StudyRating] = []
        var seen: [String: Int] = [:]
        for row in table.rows {
            var ok = true
            func field(_ name: String) -> String {
                let c = columns[name]!
                return c < row.fields.count ? row.fields[c].trimmingCharacters(in: .whitespaces) : ""
            }
            func problem(_ name: String, _ message: String) {
                ok = false
                issues.append(PresetIssue(
                    location: SourceLocation(file: file, line: row.line, column: columns[name]! + 1, field: name), message: message))
            }
            if row.fields.count < table.header.count {
                ok = false
                issues.append(PresetIssue(
                    location: SourceLocation(file: file, line: row.line),
                    message: "the row has \(row.fields.count) field(s); the header has \(table.header.count)"))
                continue
            }
            let rater = field("rater")
            if rater.isEmpty {
                problem("rater", "the rater is empty")
            } else if let knownRaters, !knownRaters.contains(rater) {
                let hint = closestMatch(to: rater, among: raters!).map { "did you mean '\($0)'? " } ?? ""
                problem("rater", "unknown rater '\(rater)'; \(hint)the manifest's raters are \(raters!.prefix(12).joined(separator: ", "))\(raters!.count > 12 ? ", ..." : "")")
            }
            let clip = field("clip")
            if !clips.contains(clip) {
                problem("clip", clip.isEmpty ? "the clip id is empty" : "unknown clip id '\(clip)' (not in the study's key)")
            }
            let position = Int(field("position"))
            if position == nil || position! < 1 {
                problem("position", "position '\(field("position"))' must be a whole number from 1 (the order in which the rater heard the clip)")
            }
            func likert(_ name: String) -> Int? {
                let value = field(name)
                guard let n = Int(value) else {
                    problem(name, "'\(value)' is not a whole number on the scale \(scale.lowerBound)...\(scale.upperBound)")
                    return nil
                }
                guard scale.contains(n) else {
                    problem(name, "rating \(n) is out of the scale \(scale.lowerBound)...\(scale.upperBound)")
                    return nil
                }
                return n
            }
            let rhythm = likert("rhythm_match")
            let emotionMatch = likert("emotion_match")
            let heardText = field("heard_emotion")
            let heard = Emotion(rawValue: heardText.lowercased())
            if heard == nil { problem("heard_emotion", "unknown emotion '\(heardText)'\(emotionHint(heardText))") }
            let submitted = field("submitted_at")
            if !dateFormats.contains(where: { $0.date(from: submitted) != nil }) {
                problem("submitted_at", "'\(submitted)' is not an ISO 8601 time such as 2026-03-01T10:15:00Z")
            }
            let pair = rater + "\u{0}" + clip
            if ok, let first = seen[pair] {
                problem("clip", "rater '\(rater)' rated clip '\(clip)' twice (first on line \(first))")
            }
            if ok, let position, let rhythm, let emotionMatch, let heard {
                seen[pair] = row.line
                ratings.append(StudyRating(
                    rater: rater, clip: clip, position: position, rhythmMatch: rhythm, emotionMatch: emotionMatch, heard: heard,
                    submittedAt: submitted, line: row.line))
            }
        }
        guard issues.isEmpty else { throw StudyValidationError(issues: issues) }
        if ratings.isEmpty {
            throw StudyValidationError(issues: [PresetIssue(location: SourceLocation(file: file, line: 1), message: "the file has no ratings")])
        }
        return ratings
    }

    public static func load(path: String, clips: Set<String>, raters: [String]?, scale: ClosedRange<Int>) throws -> [StudyRating] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EmoMusikError(
                .fileNotFound, "cannot read the ratings '\(path)'",
                hint: "download the export from the server (/admin/<adminToken>/export.csv) and pass it with --ratings")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw EmoMusikError(.malformedFile, "'\(path)' is not UTF-8 text", location: SourceLocation(file: path))
        }
        return try parse(text, file: path, clips: clips, raters: raters, scale: scale)
    }
}
