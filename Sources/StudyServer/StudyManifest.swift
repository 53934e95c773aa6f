import Foundation

/// `DIR/manifest.json` as `emomusik study create` writes it (format 1). It holds what the server
/// needs and nothing about conditions: those live in `DIR/key.csv`, which the server never opens.
public struct StudyManifest: Codable, Sendable, Equatable {
    public struct Scale: Codable, Sendable, Equatable {
        public var min: Int
        public var max: Int
        public init(min: Int, max: Int) { self.min = min; self.max = max }
    }
    public struct Clip: Codable, Sendable, Equatable {
        public var id: String
        public var file: String
        public var seconds: Double
        public init(id: String, file: String, seconds: Double) { self.id = id; self.file = file; self.seconds = seconds }
    }
    public struct Rater: Codable, Sendable, Equatable {
        public var id: String
        public var token: String
        public init(id: String, token: String) { self.id = id; self.token = token }
    }

    public var format: Int
    public var study: String
    public var scale: Scale
    public var emotions: [String]
    public var clips: [Clip]
    public var raters: [Rater]
    public var adminToken: String

    public init(
        format: Int = 1, study: String, scale: Scale, emotions: [String], clips: [Clip], raters: [Rater], adminToken: String
    ) {
        self.format = format
        self.study = study
        self.scale = scale
        self.emotions = emotions
        self.clips = clips
        self.raters = raters
        self.adminToken = adminToken
    }

    static func isHex(_ s: String, count: Int) -> Bool {
        s.utf8.count == count && s.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Checks everything the server relies on; the message names the first problem.
    public func validate() throws {
        func fail(_ message: String) -> StudyError { StudyError.invalidStudy("manifest.json: \(message)") }
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

/// Errors opening or serving a study.
public enum StudyError: Error, CustomStringConvertible, Sendable {
    case invalidStudy(String)
    case storage(String)

    public var description: String {
        switch self {
        case .invalidStudy(let m): "invalid study: \(m)"
        case .storage(let m): "ratings store: \(m)"
        }
    }
}

/// A study directory opened for serving: the validated manifest and the clips' paths, each built
/// from a manifest id (never from a request), checked to be a plain WAV with no metadata chunk,
/// and all of one size so that sizes cannot give a condition away.
public struct Study: Sendable {
    public let directory: URL
    public let manifest: StudyManifest
    /// Clip id → absolute path of its WAV.
    public let clipPaths: [String: String]
    public let clipSize: Int

    /// The ratings database inside the study directory.
    public static func databasePath(directory: URL) -> String {
        directory.appendingPathComponent("ratings.sqlite").path
    }

    public init(directory: URL) throws {
        let directory = directory.standardizedFileURL
        self.directory = directory
        let manifestURL = directory.appendingPathComponent("manifest.json")
        let data: Data
        do { data = try Data(contentsOf: manifestURL) } catch {
            throw StudyError.invalidStudy("cannot read \(manifestURL.path): \(error.localizedDescription)")
        }
        do { manifest = try JSONDecoder().decode(StudyManifest.self, from: data) } catch {
            throw StudyError.invalidStudy("manifest.json is not a format-1 study manifest: \(error)")
        }
        try manifest.validate()
        var paths: [String: String] = [:]
        var size: Int?
        for clip in manifest.clips {
            let path = directory.appendingPathComponent("clips").appendingPathComponent("\(clip.id).wav").path
            guard let bytes = FileManager.default.contents(atPath: path) else {
                throw StudyError.invalidStudy("clip \(clip.id): cannot read \(path)")
            }
            try WAVCheck.checkNoMetadata(bytes, name: "clip \(clip.id)")
            if let size, size != bytes.count {
                throw StudyError.invalidStudy(
                    "clips differ in size (\(size) and \(bytes.count) bytes, clip \(clip.id)): sizes could reveal a condition")
            }
            size = bytes.count
            paths[clip.id] = path
        }
        clipPaths = paths
        clipSize = size ?? 0
    }
}

/// WAV structure check: a RIFF/WAVE file holding only `fmt `, `fact` and `data` chunks — no
/// LIST/INFO, ID3, bext, PEAK (with its timestamp) or any other chunk that could carry a name.
public enum WAVCheck {
    static let allowed: Set<String> = ["fmt ", "fact", "data"]

    public static func checkNoMetadata(_ bytes: Data, name: String) throws {
        let b = [UInt8](bytes)
        func fail(_ m: String) -> StudyError { .invalidStudy("\(name): \(m)") }
        guard b.count >= 12, b[0..<4].elementsEqual("RIFF".utf8), b[8..<12].elementsEqual("WAVE".utf8) else {
            throw fail("not a RIFF/WAVE file")
        }
        var offset = 12
        var sawData = false
        while offset + 8 <= b.count {
            let id = String(decoding: b[offset..<offset + 4], as: UTF8.self)
            let size = Int(b[offset + 4]) | Int(b[offset + 5]) << 8 | Int(b[offset + 6]) << 16 | Int(b[offset + 7]) << 24
            guard allowed.contains(id) else { throw fail("has a '\(id)' chunk; clips must carry no metadata") }
            if id == "data" { sawData = true }
            offset += 8 + size + (size & 1)
        }
        guard sawData, offset == b.count || offset == b.count + 1 else {
            throw fail("WAV chunks do not add up to the file size (trailing or truncated bytes)")
        }
    }
}
