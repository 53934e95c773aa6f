import EmoMusikCore
import EmoMusikPlugins
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Loads and saves ``ChildProfile``s as JSON files, one per child: `<directory>/<id>.json`.
///
/// Saving is atomic: the JSON is written to `<directory>/.<id>.json.tmp`, flushed to disk with
/// `fsync`, then renamed over `<id>.json` (and the directory is synced), so a crash or a failed
/// write leaves either the old file or the new one, never a partial file. A failed save removes
/// its temporary file. Only one process should save a given child's profile at a time.
///
/// Use on the control thread (it does file I/O), never from ``RecommenderStrategy/recommend(_:)``.
public struct ChildProfileStore: Sendable {
    /// Where the profiles live.
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The per-user store: `$XDG_DATA_HOME/emomusik/profiles` when `XDG_DATA_HOME` is set, else
    /// `~/.local/share/emomusik/profiles`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.init(directory: Self.defaultDirectory(environment: environment))
    }

    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty { return "\(data)/emomusik/profiles" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return "\(home)/.local/share/emomusik/profiles"
    }

    /// The file holding the profile of child `id`. Ids are 1–128 letters, digits, `-`, `_` or `.`,
    /// not starting with `.`, so they cannot escape the directory.
    public func path(for id: String) throws -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        guard !id.isEmpty, id.count <= 128, !id.hasPrefix("."), id.allSatisfy(allowed.contains) else {
            throw EmoMusikError(
                .invalidValue, "child profile id '\(id)' is not usable as a file name",
                hint: "use 1–128 letters, digits, '-', '_' or '.', not starting with '.'")
        }
        return "\(directory)/\(id).json"
    }

    /// The saved profile of child `id`, or an empty profile with that id when none was saved yet.
    /// Throws, naming the file, when it cannot be read, is not valid profile JSON, or belongs to
    /// another id.
    public func load(id: String) throws -> ChildProfile {
        let path = try path(for: id)
        guard FileManager.default.fileExists(atPath: path) else { return ChildProfile(id: id) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw EmoMusikError(
                .fileNotFound, "cannot read child profile (\(error.localizedDescription))",
                location: SourceLocation(file: path))
        }
        let profile: ChildProfile
        do {
            profile = try JSONDecoder().decode(ChildProfile.self, from: data)
        } catch {
            throw EmoMusikError(
                .malformedFile, "child profile is not valid profile JSON: \(Self.describe(error))",
                hint: "fix the file, or move it away to start this child's profile afresh",
                location: SourceLocation(file: path))
        }
        guard profile.id == id else {
            throw EmoMusikError(
                .malformedFile, "child profile belongs to '\(profile.id)', not '\(id)'",
                location: SourceLocation(file: path))
        }
        return profile
    }

    /// Saves `profile` atomically to `<directory>/<id>.json`, creating the directory if needed.
    /// On failure the previous file (if any) is left as it was and the error names the file.
    public func save(_ profile: ChildProfile) throws {
        let path = try path(for: profile.id)
        let temporary = "\(directory)/.\(profile.id).json.tmp"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do {
            data = try encoder.encode(profile)
        } catch {
            throw EmoMusikError(
                .writeFailed, "cannot encode child profile (\(Self.describe(error)))", location: SourceLocation(file: path))
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw EmoMusikError(
                .writeFailed,
                "cannot create the profile directory \(directory) to save \(path) (\(error.localizedDescription))")
        }

        func failure(_ what: String, _ code: Int32) -> EmoMusikError {
            EmoMusikError(
                .writeFailed, "cannot save child profile: \(what) (\(String(cString: strerror(code))))",
                hint: "check that \(directory) is a writable directory with free space; the previous profile is unchanged",
                location: SourceLocation(file: path))
        }

        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot create \(temporary) in \(directory)", errno) }
        var written = 0
        let writeError: Int32? = data.withUnsafeBytes { buffer -> Int32? in
            while written < buffer.count {
                let n = write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += n
            }
            return nil
        }
        if let writeError {
            close(fd)
            unlink(temporary)
            throw failure("cannot write \(temporary)", writeError)
        }
        if fsync(fd) != 0 {
            let code = errno
            close(fd)
            unlink(temporary)
            throw failure("cannot flush \(temporary) to disk", code)
        }
        if close(fd) != 0 {
            let code = errno
            unlink(temporary)
            throw failure("cannot close \(temporary)", code)
        }
        if rename(temporary, path) != 0 {
            let code = errno
            unlink(temporary)
            throw failure("cannot rename \(temporary) to \(path)", code)
        }
        // Make the rename itself durable (best effort: some file systems refuse fsync on directories).
        let directoryFD = open(directory, O_RDONLY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        case DecodingError.keyNotFound(let key, _):
            return "missing field '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "\(field.isEmpty ? "top level" : "'\(field)'"): \(context.debugDescription)"
        case EncodingError.invalidValue(_, let context):
            return context.debugDescription
        default:
            return "\(error)"
        }
    }
}
