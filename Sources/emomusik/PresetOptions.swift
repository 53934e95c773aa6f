import ArgumentParser
import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Presets

/// `--preset`: a therapist's preset shaping the music and bounding it with its safety envelope.
struct PresetOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A preset file, or the name of one in presets/ (e.g. calm-down). See 'emomusik preset list'.",
            valueName: "preset"))
    var preset: String?

    /// The preset's file: the path as given if it exists, else `presets/<name>.yaml`.
    func presetPath() throws -> String? {
        guard let preset else { return nil }
        let candidates = [preset, "presets/\(preset).yaml", "presets/\(preset)"]
        guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw EmoMusikError(
                .fileNotFound, "preset '\(preset)' not found (looked for \(candidates.joined(separator: ", ")))",
                hint: "run 'emomusik preset list' to see the presets in presets/")
        }
        return path
    }

    /// Loads and validates the preset (strategy ids and options against `registry`), or nil.
    func load(registry: PluginRegistry) throws -> LoadedPreset? {
        guard let path = try presetPath() else { return nil }
        let strategies = registry.entries.filter { $0.kind == .strategy }.map(\.descriptor)
        return LoadedPreset(preset: try Preset.load(path: path, strategies: strategies), path: path)
    }
}

extension Preset {
    /// The preset's soundfont, relative to the preset file's directory when not absolute.
    func soundfontPath(presetPath: String) -> String? {
        guard let soundfont else { return nil }
        if soundfont.hasPrefix("/") { return soundfont }
        return URL(fileURLWithPath: presetPath).deletingLastPathComponent().appendingPathComponent(soundfont).path
    }
}

/// A preset as a run uses it: the validated preset, its file, its soundfont, and what its safety
/// envelope changed in the score.
struct LoadedPreset {
    var preset: Preset
    var path: String
    var adjustments: [EnvelopeAdjustment] = []

    var soundfont: String? { preset.soundfontPath(presetPath: path) }
}
