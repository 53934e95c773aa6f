import ArgumentParser
import EmoMusikCore
import Foundation
import Synth

/// Options every command that makes sound shares: soundfont, sample rate, sample format, effects.
struct AudioOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The General MIDI soundfont (.sf2/.sf3).",
            discussion: "Without it: $EMOMUSIK_SOUNDFONT, then soundfonts/, then /usr/share/sounds/sf2/.",
            valueName: "file"))
    var soundfont: String?

    @Option(help: "Sample rate of audio files: 44100 or 48000.")
    var sampleRate: Int = 44100

    @Option(help: "Sample format of audio files: 16, 24 (integer PCM) or float.")
    var bitDepth: BitDepth = .pcm16

    @Flag(inversion: .prefixedNo, help: "FluidSynth's reverb.")
    var reverb = true

    @Flag(inversion: .prefixedNo, help: "FluidSynth's chorus.")
    var chorus = true

    @Option(help: "Reverb room size, 0 (small) to 1 (hall).")
    var reverbRoomSize: Double = RenderSettings.reverbRoomSizeParameter.defaultValue

    @Option(help: "Reverb level, 0 to 1.")
    var reverbLevel: Double = RenderSettings.reverbLevelParameter.defaultValue

    @Option(help: "FluidSynth's master gain; peaks above the ceiling are scaled down afterwards.")
    var gain: Double = RenderSettings.gainParameter.defaultValue

    @Option(parsing: .unconditional, help: "Highest allowed peak in dBFS, e.g. --ceiling -3; louder renders are scaled down to it.")
    var ceiling: Double = RenderSettings.ceilingParameter.defaultValue

    @Option(help: "Seconds of release and reverb tail rendered after the last note.")
    var tail: Double = RenderSettings.tailParameter.defaultValue

    enum BitDepth: String, ExpressibleByArgument, CaseIterable {
        case pcm16 = "16", pcm24 = "24", float
    }

    func validate() throws {
        guard RenderSettings.supportedSampleRates.contains(sampleRate) else {
            throw ValidationError("--sample-rate \(sampleRate) is not supported; use 44100 or 48000.")
        }
        let values = [
            (RenderSettings.reverbRoomSizeParameter, reverbRoomSize), (RenderSettings.reverbLevelParameter, reverbLevel),
            (RenderSettings.gainParameter, gain), (RenderSettings.ceilingParameter, ceiling),
            (RenderSettings.tailParameter, tail),
        ]
        for (parameter, value) in values where !(value.isFinite && parameter.range.contains(value)) {
            throw ValidationError(
                "--\(parameter.name) \(value) is outside \(parameter.range.lowerBound)...\(parameter.range.upperBound)\(parameter.unit.isEmpty ? "" : " \(parameter.unit)").")
        }
    }

    var settings: RenderSettings {
        var settings = RenderSettings()
        settings.sampleRate = sampleRate
        settings.reverb = reverb
        settings.chorus = chorus
        settings.reverbRoomSize = reverbRoomSize
        settings.reverbLevel = reverbLevel
        settings.gain = gain
        settings.ceilingDBFS = ceiling
        settings.tailSeconds = tail
        return settings
    }

    var sampleFormat: AudioSampleFormat {
        AudioSampleFormat(bitDepth: bitDepth.rawValue)!  // every BitDepth case is one the writer parses
    }

    /// The soundfont to use: `--soundfont`, then the preset's, then the documented search order.
    func resolveSoundfont(presetSoundfont: String? = nil) throws -> String {
        try Self.locateSoundfont(explicit: soundfont ?? presetSoundfont)
    }

    /// `explicit` if given (it must exist), else `$EMOMUSIK_SOUNDFONT`, `soundfonts/` here and next
    /// to a checkout's build products, then Debian's GM soundfonts.
    static func locateSoundfont(explicit: String?) throws -> String {
        var projectDirectories = ["soundfonts"]
        // Next to a checkout's build products: .build/<config>/emomusik → ../../soundfonts.
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let checkout = executable.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let bundled = checkout.appendingPathComponent("soundfonts").path
        if bundled != FileManager.default.currentDirectoryPath + "/soundfonts" { projectDirectories.append(bundled) }
        return try SoundfontLocator(
            explicit: explicit, environment: ProcessInfo.processInfo.environment, projectDirectories: projectDirectories
        ).resolve()
    }
}

/// `--json` for commands that print a summary.
struct SummaryOptions: ParsableArguments {
    @Flag(help: "Print a machine-readable JSON summary on standard output instead of text.")
    var json = false
}
