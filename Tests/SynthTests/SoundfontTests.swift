import EmoMusikCore
import Foundation
import Testing
@testable import Synth

@Suite struct SoundfontTests {
    /// Creates `name` in `directory` with a few bytes (the locator does not read contents).
    static func touch(_ directory: String, _ name: String) throws -> String {
        let path = "\(directory)/\(name)"
        try Data("RIFF".utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func explicitMissingFileIsAnErrorNamingIt() throws {
        let system = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: system) }
        _ = try Self.touch(system, "TimGM6mb.sf2")
        let locator = SoundfontLocator(
            explicit: "/nonexistent/mine.sf2", environment: [SoundfontLocator.environmentVariable: "\(system)/TimGM6mb.sf2"],
            projectDirectories: [], systemDirectories: [system])
        let error = emoError { _ = try locator.resolve() }
        #expect(error?.code == .soundfont)
        #expect(error?.message == "SoundFont '/nonexistent/mine.sf2' (from --soundfont) does not exist")
    }

    @Test func explicitThenEnvironmentThenProjectThenSystem() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        for sub in ["project", "empty-project", "system"] { try FileManager.default.createDirectory(atPath: "\(root)/\(sub)", withIntermediateDirectories: true) }
        let explicit = try Self.touch(root, "explicit.sf2")
        let fromEnvironment = try Self.touch(root, "env.sf3")
        _ = try Self.touch("\(root)/empty-project", "readme.txt")
        let projectB = try Self.touch("\(root)/project", "b.SF2")
        _ = try Self.touch("\(root)/project", "c.sf3")
        let systemDefault = try Self.touch("\(root)/system", "TimGM6mb.sf2")
        _ = try Self.touch("\(root)/system", "FluidR3_GM.sf2")
        _ = try Self.touch("\(root)/system", "aaa.sf2")
        try FileManager.default.createSymbolicLink(atPath: "\(root)/system/default-GM.sf2", withDestinationPath: "\(root)/missing.sf2")
        let environment = [SoundfontLocator.environmentVariable: fromEnvironment]
        let projects = ["\(root)/empty-project", "\(root)/project"]
        let systems = ["\(root)/system"]

        #expect(try SoundfontLocator(explicit: explicit, environment: environment, projectDirectories: projects, systemDirectories: systems).resolve() == explicit)
        #expect(try SoundfontLocator(explicit: nil, environment: environment, projectDirectories: projects, systemDirectories: systems).resolve() == fromEnvironment)
        #expect(try SoundfontLocator(explicit: nil, environment: [:], projectDirectories: projects, systemDirectories: systems).resolve() == projectB)
        // A dangling default-GM.sf2 link is skipped; TimGM6mb.sf2 beats FluidR3 and other names.
        #expect(try SoundfontLocator(explicit: nil, environment: [SoundfontLocator.environmentVariable: ""], projectDirectories: ["\(root)/empty-project"], systemDirectories: systems).resolve() == systemDefault)
        // A missing environment file is an error, not a silent fall-back.
        let error = emoError {
            _ = try SoundfontLocator(explicit: nil, environment: [SoundfontLocator.environmentVariable: "\(root)/gone.sf2"], projectDirectories: projects, systemDirectories: systems).resolve()
        }
        #expect(error?.message == "SoundFont '\(root)/gone.sf2' (from $EMOMUSIK_SOUNDFONT) does not exist")
    }

    @Test func nothingFoundListsEverySearchedPlaceAndHowToInstall() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let locator = SoundfontLocator(
            explicit: nil, environment: [:], projectDirectories: ["\(root)/soundfonts"],
            systemDirectories: ["\(root)/sf2", "\(root)/more"])
        let error = emoError { _ = try locator.resolve() }
        #expect(error?.code == .soundfont)
        let message = error?.message ?? ""
        for place in ["--soundfont", "$EMOMUSIK_SOUNDFONT", "\(root)/soundfonts/*.sf2", "\(root)/sf2/", "\(root)/more/", "default-GM.sf2"] {
            #expect(message.contains(place), "missing \(place) in: \(message)")
        }
        #expect(error?.hint?.contains("apt-get install --no-install-recommends timgm6mb-soundfont") == true)
        #expect(error?.hint?.contains("--soundfont FILE") == true)
    }

    @Test func garbageSoundfontIsASoundfontErrorNamingTheFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/garbage.sf2"
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }).write(to: URL(fileURLWithPath: path))
        let error = emoError { _ = try OfflineRenderer(soundfontPath: path) }
        #expect(error?.code == .soundfont)
        #expect(error?.message.contains("'\(path)'") == true)
    }

    @Test func truncatedSoundfontIsASoundfontErrorNamingTheFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/truncated.sf2"
        // A real SoundFont's first 64 KiB: a valid RIFF sfbk header, then nothing.
        let real = try Data(contentsOf: URL(fileURLWithPath: try testSoundfont()))
        try real.prefix(65536).write(to: URL(fileURLWithPath: path))
        let error = emoError { _ = try OfflineRenderer(soundfontPath: path) }
        #expect(error?.code == .soundfont)
        #expect(error?.message.hasPrefix("'\(path)' is not a usable SoundFont: the file is truncated (65536 bytes") == true)
    }

    /// A RIFF chunk: id, little-endian size, payload, pad byte if odd.
    static func chunk(_ id: String, _ payload: [UInt8]) -> [UInt8] {
        let size = (0..<4).map { UInt8(truncatingIfNeeded: payload.count >> (8 * $0)) }
        return Array(id.utf8) + size + payload + (payload.count % 2 == 1 ? [0] : [])
    }

    /// A SoundFont with every required chunk; `phdr` holds `presetRecords` (38 bytes each).
    static func skeletonSoundfont(presetRecords: [UInt8], dropping missing: String? = nil) -> [UInt8] {
        let info = chunk("LIST", Array("INFO".utf8) + chunk("ifil", [2, 0, 1, 0]))
        let sdta = chunk("LIST", Array("sdta".utf8) + chunk("smpl", []))
        let tables: [(String, [UInt8])] = [
            ("phdr", presetRecords), ("pbag", [UInt8](repeating: 0, count: 4)), ("pmod", [UInt8](repeating: 0, count: 10)),
            ("pgen", [UInt8](repeating: 0, count: 4)), ("inst", [UInt8](repeating: 0, count: 22)),
            ("ibag", [UInt8](repeating: 0, count: 4)), ("imod", [UInt8](repeating: 0, count: 10)),
            ("igen", [UInt8](repeating: 0, count: 4)), ("shdr", [UInt8](repeating: 0, count: 46)),
        ]
        let pdta = chunk("LIST", Array("pdta".utf8) + tables.filter { $0.0 != missing }.flatMap { chunk($0.0, $0.1) })
        return chunk("RIFF", Array("sfbk".utf8) + info + sdta + pdta)
    }

    @Test func aMissingTableIsNamed() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/no-shdr.sf2"
        try Data(Self.skeletonSoundfont(presetRecords: [UInt8](repeating: 0, count: 38), dropping: "shdr")).write(to: URL(fileURLWithPath: path))
        let error = emoError { _ = try OfflineRenderer(soundfontPath: path) }
        #expect(error?.code == .soundfont)
        #expect(error?.message == "'\(path)' is not a usable SoundFont: the 'shdr' table is missing")
    }

    @Test func wellFormedButInconsistentSoundfontFailsInFluidSynthWithOurError() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/inconsistent.sf2"
        // Two preset headers whose bag indices point far past the single bag: the layout is fine,
        // FluidSynth's loader refuses the contents.
        var presets = [UInt8](repeating: 0, count: 76)
        for record in 0..<2 { presets[record * 38 + 24] = 0xFF; presets[record * 38 + 25] = 0x7F }
        presets[38 + 24] = 0xFE
        try Data(Self.skeletonSoundfont(presetRecords: presets)).write(to: URL(fileURLWithPath: path))
        let error = emoError { _ = try OfflineRenderer(soundfontPath: path) }
        #expect(error?.code == .soundfont)
        #expect(error?.message == "SoundFont '\(path)' could not be loaded (corrupt, truncated or unreadable)")
    }
}
