import EmoMusikCore
import Foundation
import Presets
import Statistics
@_exported import StudyFormat

extension StudyManifest {
    public static func load(directory: String) throws -> StudyManifest {
        let path = (directory as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EmoMusikError(
                .fileNotFound, "no study manifest at '\(path)'", hint: "give the directory 'emomusik study create' wrote")
        }
        do {
            return try JSONDecoder().decode(StudyManifest.self, from: data)
        } catch {
            throw EmoMusikError(.malformedFile, "'\(path)' is not a study manifest: \(error)", location: SourceLocation(file: path))
        }
    }
}

/// One row of `key.csv`: the condition behind a clip id, and how its loudness was normalised.
public struct StudyKeyEntry: Sendable, Equatable {
    public var clipID: String
    public var intended: Emotion
    public var strategy: String
    /// The preset's name as written in the study file, or "" when a strategy led alone.
    public var preset: String
    public var seed: UInt64
    public var loudnessBeforeLUFS: Double
    public var gainDB: Double

    public init(clipID: String, intended: Emotion, strategy: String, preset: String, seed: UInt64, loudnessBeforeLUFS: Double, gainDB: Double) {
        self.clipID = clipID
        self.intended = intended
        self.strategy = strategy
        self.preset = preset
        self.seed = seed
        self.loudnessBeforeLUFS = loudnessBeforeLUFS
        self.gainDB = gainDB
    }
}

/// `key.csv`: the condition of every clip. Never served to raters.
public enum StudyKey {
    public static let fileName = "key.csv"
    public static let header = ["clip_id", "intended_emotion", "strategy", "preset", "seed", "loudness_before_lufs", "gain_db"]

    public static func csv(_ entries: [StudyKeyEntry]) -> String {
        var lines = [header.joined(separator: ",")]
        for e in entries {
            lines.append([
                e.clipID, e.intended.rawValue, csvField(e.strategy), csvField(e.preset), String(e.seed),
                String(format: "%.3f", e.loudnessBeforeLUFS), String(format: "%.3f", e.gainDB),
            ].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads `key.csv`; every problem is reported with file, line and field.
    public static func parse(_ text: String, file: String) throws -> [StudyKeyEntry] {
        let table = try CSVTable(text: text, file: file)
        var issues: [PresetIssue] = []
        var columns: [String: Int] = [:]
        for name in header {
            do { columns[name] = try table.column(named: name) } catch let error as EmoMusikError {
                issues.append(PresetIssue(location: error.location ?? SourceLocation(file: file, line: 1), message: error.message))
            }
        }
        guard issues.isEmpty else { throw StudyValidationError(issues: issues) }
        var entries: [StudyKeyEntry] = []
        var seen: [String: Int] = [:]
        for row in table.rows {
            func field(_ name: String) -> String {
                let c = columns[name]!
                return c < row.fields.count ? row.fields[c].trimmingCharacters(in: .whitespaces) : ""
            }
            func problem(_ name: String, _ message: String) {
                issues.append(PresetIssue(location: SourceLocation(file: file, line: row.line, column: columns[name]! + 1, field: name), message: message))
            }
            let id = field("clip_id")
            if id.isEmpty { problem("clip_id", "the clip id is empty") }
            if let first = seen[id] { problem("clip_id", "clip \(id) is listed twice (first on line \(first))") }
            seen[id] = row.line
            let emotionText = field("intended_emotion")
            let emotion = Emotion(rawValue: emotionText)
            if emotion == nil { problem("intended_emotion", "unknown emotion '\(emotionText)'\(emotionHint(emotionText))") }
            let seed = UInt64(field("seed"))
            if seed == nil { problem("seed", "seed '\(field("seed"))' is not a whole number") }
            let loudness = Double(field("loudness_before_lufs"))
            if loudness == nil { problem("loudness_before_lufs", "'\(field("loudness_before_lufs"))' is not a number") }
            let gain = Double(field("gain_db"))
            if gain == nil { problem("gain_db", "'\(field("gain_db"))' is not a number") }
            if field("strategy").isEmpty { problem("strategy", "the strategy is empty") }
            if let emotion, let seed, let loudness, let gain, !id.isEmpty {
                entries.append(StudyKeyEntry(
                    clipID: id, intended: emotion, strategy: field("strategy"), preset: field("preset"), seed: seed,
                    loudnessBeforeLUFS: loudness, gainDB: gain))
            }
        }
        guard issues.isEmpty else { throw StudyValidationError(issues: issues) }
        return entries
    }

    public static func load(directory: String) throws -> [StudyKeyEntry] {
        let path = (directory as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw EmoMusikError(.fileNotFound, "cannot read the study key '\(path)'", hint: "give the directory 'emomusik study create' wrote")
        }
        return try parse(text, file: path)
    }
}

/// ` (did you mean 'x'? known: ...)` for an emotion name.
func emotionHint(_ name: String) -> String {
    let known = Emotion.allCases.map(\.rawValue)
    let closest = closestMatch(to: name, among: known).map { "did you mean '\($0)'? " } ?? ""
    return "; \(closest)emotions: \(known.joined(separator: ", "))"
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
func csvField(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// Opaque identifiers and secrets from the system's cryptographically secure generator.
public enum StudySecrets {
    /// `hexDigits` lowercase hex characters from `SystemRandomNumberGenerator` (getrandom on Linux).
    public static func hex(_ hexDigits: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var text = ""
        text.reserveCapacity(hexDigits)
        while text.count < hexDigits {
            let word = generator.next() as UInt64
            text += String(format: "%016llx", word)
        }
        return String(text.prefix(hexDigits))
    }

    /// A clip id: 16 hex characters.
    public static func clipID() -> String { hex(16) }
    /// A rater's or the admin's token: 32 hex characters.
    public static func token() -> String { hex(32) }

    /// `count` distinct clip ids.
    public static func clipIDs(_ count: Int) -> [String] {
        var ids: [String] = []
        var seen: Set<String> = []
        while ids.count < count {
            let id = clipID()
            if seen.insert(id).inserted { ids.append(id) }
        }
        return ids
    }
}
