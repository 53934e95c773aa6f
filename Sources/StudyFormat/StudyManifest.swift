import Foundation

/// `manifest.json`: what the rating server needs, and nothing about conditions.
///
///     {"format": 1, "study": NAME, "scale": {"min": 1, "max": 7},
///      "emotions": ["neutral", "happiness", ...],
///      "clips": [{"id": ID, "file": "clips/ID.wav", "seconds": S}],
///      "raters": [{"id": "r01", "token": T}], "adminToken": T}
public struct StudyManifest: Codable, Sendable, Equatable {
    public struct Scale: Codable, Sendable, Equatable {
        public var min: Int
        public var max: Int

        public init(min: Int, max: Int) {
            self.min = min
            self.max = max
        }
    }

    public struct Clip: Codable, Sendable, Equatable {
        public var id: String
        public var file: String
        public var seconds: Double

        public init(id: String, file: String, seconds: Double) {
            self.id = id
            self.file = file
            self.seconds = seconds
        }
    }

    public struct Rater: Codable, Sendable, Equatable {
        public var id: String
        public var token: String

        public init(id: String, token: String) {
            self.id = id
            self.token = token
        }
    }

    public var format: Int
    public var study: String
    public var scale: Scale
    /// The forced-choice answers, in ``Emotion`` order.
    public var emotions: [String]
    /// Sorted by id (random), so their order says nothing about the conditions.
    public var clips: [Clip]
    public var raters: [Rater]
    public var adminToken: String

    public init(format: Int = StudyManifest.currentFormat, study: String, scale: Scale, emotions: [String], clips: [Clip], raters: [Rater], adminToken: String) {
        self.format = format
        self.study = study
        self.scale = scale
        self.emotions = emotions
        self.clips = clips
        self.raters = raters
        self.adminToken = adminToken
    }

    public static let currentFormat = 1
    public static let fileName = "manifest.json"

    enum CodingKeys: String, CodingKey { case format, study, scale, emotions, clips, raters, adminToken }

    public var scaleRange: ClosedRange<Int> { scale.min...scale.max }

    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    /// A manifest that breaks a rule the server relies on; the message names the first problem.
    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    public static func isHex(_ s: String, count: Int) -> Bool {
        s.utf8.count == count && s.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Checks everything the server relies on; the message names the first problem.
    public func validate() throws {
        func fail(_ message: String) -> Invalid { Invalid(message: "manifest.json: \(message)") }
        guard format == 1 else { throw fail("format \(format) is not supported (expected 1)") }
        guard scale.min < scale.max, scale.max - scale.min <= 20 else {
            throw fail("scale \(scale.min)…\(scale.max) must have min < max and at most 21 points")
        }
        guard !emotions.isEmpty, Set(emotions).count == emotions.count,
            emotions.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { (0x61...0x7a).contains($0) || $0 == 0x5f } })
        else { throw fail("emotions must be distinct, non-empty lowercase names") }
        guard !clips.isEmpty else { throw fail("no clips") }
        for clip in clips {
            guard Self.isHex(clip.id, count: 16) else { throw fail("clip id '\(clip.id)' is not 16 lowercase hex digits") }
            guard clip.file == "clips/\(clip.id).wav" else {
                throw fail("clip \(clip.id): file must be 'clips/\(clip.id).wav', not '\(clip.file)'")
            }
        }
        guard Set(clips.map(\.id)).count == clips.count else { throw fail("clip ids are not unique") }
        guard !raters.isEmpty else { throw fail("no raters") }
        for rater in raters {
            guard !rater.id.isEmpty, rater.id.count <= 64 else { throw fail("rater id '\(rater.id)' is empty or too long") }
            guard Self.isHex(rater.token, count: 32) else { throw fail("rater \(rater.id): token is not 32 lowercase hex digits") }
        }
        guard Set(raters.map(\.id)).count == raters.count else { throw fail("rater ids are not unique") }
        guard Self.isHex(adminToken, count: 32) else { throw fail("adminToken is not 32 lowercase hex digits") }
        let tokens = raters.map(\.token) + [adminToken]
        guard Set(tokens).count == tokens.count else { throw fail("tokens are not unique") }
    }
}
