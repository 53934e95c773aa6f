import EmoMusikCore
import Foundation

/// Finds the SoundFont to render with.
///
/// Resolution order, first match wins:
/// 1. the explicit path (`--soundfont FILE`); if given but missing, that is an error, never a
///    silent fall-back;
/// 2. `$EMOMUSIK_SOUNDFONT`; likewise an error if set (non-empty) but missing;
/// 3. `*.sf2` / `*.sf3` files in the project directories (e.g. the project's `soundfonts/`), in
///    directory order, then by file name;
/// 4. the system directories (Debian's `/usr/share/sounds/sf2`), preferring `default-GM.sf2`,
///    then `TimGM6mb.sf2`, then `FluidR3_GM.sf2`, then any other `*.sf2` / `*.sf3` by name.
///
/// [any] A value type with no shared state; `resolve()` only reads the file system.
public struct SoundfontLocator: Sendable {
    /// The environment variable that names a SoundFont when `--soundfont` is not given.
    public static let environmentVariable = "EMOMUSIK_SOUNDFONT"
    /// System SoundFonts in order of preference (Debian's names).
    public static let preferredSystemNames = ["default-GM.sf2", "TimGM6mb.sf2", "FluidR3_GM.sf2"]
    /// File extensions accepted when scanning a directory (compared case-insensitively).
    public static let extensions = ["sf2", "sf3"]
    /// How to get a SoundFont when none is found, shown in error hints.
    public static let installHint =
        "install one with `apt-get install --no-install-recommends timgm6mb-soundfont`, "
        + "or pass `--soundfont FILE` (or set \(environmentVariable))"

    public var explicit: String?
    public var environment: [String: String]
    public var projectDirectories: [String]
    public var systemDirectories: [String]

    /// - Parameters:
    ///   - explicit: the `--soundfont` path, if the user gave one.
    ///   - environment: usually `ProcessInfo.processInfo.environment`.
    ///   - projectDirectories: directories searched for `*.sf2` / `*.sf3` before the system ones.
    ///   - systemDirectories: where the distribution installs SoundFonts.
    public init(
        explicit: String?, environment: [String: String], projectDirectories: [String],
        systemDirectories: [String] = ["/usr/share/sounds/sf2"]
    ) {
        self.explicit = explicit
        self.environment = environment
        self.projectDirectories = projectDirectories
        self.systemDirectories = systemDirectories
    }

    /// [any] The path of the SoundFont to use.
    ///
    /// Throws `.soundfont` naming the file if an explicit or environment path does not exist, and
    /// `.soundfont` listing every place searched if nothing is found. Does not check the file's
    /// contents: ``OfflineRenderer`` reports a corrupt file when it loads it.
    public func resolve() throws -> String {
        if let explicit {
            try requireFile(explicit, origin: "--soundfont")
            return explicit
        }
        if let fromEnvironment = environment[Self.environmentVariable], !fromEnvironment.isEmpty {
            try requireFile(fromEnvironment, origin: "$\(Self.environmentVariable)")
            return fromEnvironment
        }
        var searched: [String] = ["--soundfont (not given)", "$\(Self.environmentVariable) (not set)"]
        for directory in projectDirectories {
            searched.append("\(directory)/*.sf2, *.sf3")
            if let found = Self.soundfonts(in: directory).first { return found }
        }
        for directory in systemDirectories {
            searched.append("\(directory)/ (" + (Self.preferredSystemNames + ["*.sf2", "*.sf3"]).joined(separator: ", ") + ")")
            for name in Self.preferredSystemNames {
                let path = (directory as NSString).appendingPathComponent(name)
                if Self.isRegularFile(path) { return path }
            }
            if let found = Self.soundfonts(in: directory).first { return found }
        }
        throw EmoMusikError(
            .soundfont,
            "no SoundFont found; searched: " + searched.joined(separator: "; "),
            hint: Self.installHint)
    }

    private func requireFile(_ path: String, origin: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw EmoMusikError(
                .soundfont, "SoundFont '\(path)' (from \(origin)) does not exist",
                hint: "check the path, or leave out \(origin) to use the project's or the system's SoundFont")
        }
        guard !isDirectory.boolValue else {
            throw EmoMusikError(
                .soundfont, "SoundFont '\(path)' (from \(origin)) is a directory, not a .sf2/.sf3 file",
                hint: "name the file itself, e.g. \(path)/TimGM6mb.sf2")
        }
    }

    /// `*.sf2` / `*.sf3` regular files (or links to them) in `directory`, sorted by name.
    static func soundfonts(in directory: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names
            .filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted()
            .map { (directory as NSString).appendingPathComponent($0) }
            .filter(isRegularFile)
    }

    /// True for an existing file that is not a directory (following symbolic links, so a dangling
    /// Debian alternatives link does not count).
    static func isRegularFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}
