import Foundation
@_exported import StudyFormat

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
        do { try manifest.validate() } catch let invalid as StudyManifest.Invalid { throw StudyError.invalidStudy(invalid.message) }
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
