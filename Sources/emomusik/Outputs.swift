import ArgumentParser
import Composer
import EmoMusikCore
import Foundation
import MIDIFile
import Synth

/// Output files named on the command line, sorted by what they hold.
struct OutputPlan {
    enum Kind: String { case midi, wav, flac }

    var files: [(path: String, kind: Kind)]

    init(paths: [String]) throws {
        files = try paths.map { path in
            switch URL(fileURLWithPath: path).pathExtension.lowercased() {
            case "mid", "midi": (path, .midi)
            case "wav": (path, .wav)
            case "flac": (path, .flac)
            default:
                throw ValidationError(
                    "Cannot tell what to write to '\(path)': use a .wav, .flac or .mid file name.")
            }
        }
    }

    var needsAudio: Bool { files.contains { $0.kind != .midi } }

    /// Refuses output paths whose directory is missing or not writable, before any long work.
    func checkWritable() throws {
        for (path, _) in files {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw EmoMusikError(
                    .writeFailed, "cannot write '\(path)': directory '\(directory)' does not exist",
                    hint: "create it first, or choose another path")
            }
            guard FileManager.default.isWritableFile(atPath: directory) else {
                throw EmoMusikError(
                    .writeFailed, "cannot write '\(path)': directory '\(directory)' is not writable",
                    hint: "choose a directory you can write to")
            }
        }
    }
}

/// What a render printed as `--json`.
struct RenderSummary: Encodable {
    struct TempoPoint: Encodable { var time: Double; var bpm: Double }
    struct KeyPoint: Encodable { var time: Double; var key: String; var mode: String }

    var duration: Double
    var bars: Int
    var noteCount: Int
    var seed: UInt64
    var tempoMap: [TempoPoint]
    var keys: [KeyPoint]
    var peakDBFS: Double?
    var soundfont: String?
    var files: [String]
    /// The preset's name, when one shaped the music.
    var preset: String?
    /// What the preset's safety envelope had to change, when a preset was given.
    var envelopeAdjustments: [String]?
}

/// Writes a composition to every requested file and returns the summary. With a preset, its
/// safety envelope has already been applied to `composition.score`; its soundfont and level
/// ceiling apply here.
func writeOutputs(
    _ composition: Composition, seed: UInt64, plan: OutputPlan, audio: AudioOptions, preset: LoadedPreset?,
    showProgress: Bool
) throws -> RenderSummary {
    let score = composition.score
    var summary = RenderSummary(
        duration: score.duration, bars: composition.bars.count, noteCount: score.noteCount, seed: seed,
        tempoMap: score.tempoMap.changes.map {
            .init(time: rounded(score.tempoMap.seconds(atTick: $0.tick)), bpm: rounded($0.bpm))
        },
        keys: score.keyChanges.map {
            .init(time: rounded(score.tempoMap.seconds(atTick: $0.tick)), key: $0.key.description, mode: $0.key.mode.family.rawValue)
        },
        peakDBFS: nil, soundfont: nil, files: [], preset: preset?.preset.name,
        envelopeAdjustments: preset.map { $0.adjustments.map(\.description) })

    guard plan.needsAudio else {
        summary.files = try writeScore(score, plan: plan, settings: audio.settings, sampleFormat: audio.sampleFormat,
                                       soundfont: nil, showProgress: false).files
        return summary
    }
    let soundfont = try audio.resolveSoundfont(presetSoundfont: preset?.soundfont)
    summary.soundfont = soundfont
    var settings = audio.settings
    if let preset { settings.ceilingDBFS = min(settings.ceilingDBFS, preset.preset.safety.maxLevelDBFS) }
    let written = try writeScore(
        score, plan: plan, settings: settings, sampleFormat: audio.sampleFormat, soundfont: soundfont,
        showProgress: showProgress)
    summary.files = written.files
    // Silence has a peak of -infinity dBFS, which JSON cannot carry: report it as null.
    summary.peakDBFS = written.peakDBFS.flatMap { $0.isFinite ? rounded($0) : nil }
    return summary
}

/// Writes `score` to every planned file: MIDI files first, then one render for all audio files.
/// The one path every command takes (compose, render, sessions and their replay), so the same
/// score and settings give the same bytes. `soundfont` is needed only when audio is planned.
func writeScore(
    _ score: Score, plan: OutputPlan, settings: RenderSettings, sampleFormat: AudioSampleFormat, soundfont: String?,
    showProgress: Bool
) throws -> (files: [String], peakDBFS: Double?) {
    var files: [String] = []
    for (path, kind) in plan.files where kind == .midi {
        try StandardMIDIFile.write(score, to: path)
        files.append(path)
    }
    guard plan.needsAudio else { return (files, nil) }
    guard let soundfont else { preconditionFailure("writeScore: audio planned without a soundfont") }
    let renderer = try OfflineRenderer(soundfontPath: soundfont, settings: settings)
    let progress = showProgress && score.duration > 2 ? ProgressLine(label: "rendering", total: score.duration) : nil
    let rendered = try renderer.render(score) { fraction in progress?.update(fraction) }
    progress?.finish()
    for (path, kind) in plan.files where kind != .midi {
        try AudioFileWriter.write(rendered, to: path, container: kind == .flac ? .flac : .wav, sampleFormat: sampleFormat)
        files.append(path)
    }
    return (files, rendered.peakDBFS)
}

func printSummary(_ summary: RenderSummary, json: Bool) throws {
    if json {
        printJSON(summary)
        return
    }
    let keys = summary.keys.map { "\($0.key) at \(formatTime($0.time))" }.joined(separator: ", ")
    let tempos = summary.tempoMap.map(\.bpm)
    print("\(formatTime(summary.duration)), \(summary.bars) bars, \(summary.noteCount) notes")
    if let low = tempos.min(), let high = tempos.max() {
        print("tempo \(low == high ? "\(low)" : "\(low)–\(high)") BPM; keys: \(keys.isEmpty ? "none" : keys)")
    }
    if let preset = summary.preset {
        let changes = summary.envelopeAdjustments ?? []
        print("preset \(preset): safety envelope \(changes.isEmpty ? "needed no changes" : "adjusted: " + changes.joined(separator: "; "))")
    }
    if let peak = summary.peakDBFS {
        print("peak \(peak) dBFS")
    } else if summary.soundfont != nil {
        print("the audio is silent")
    }
    for file in summary.files { print("wrote \(file)") }
}

func printJSON(_ value: some Encodable) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    // A figure that could not be formed (NaN, e.g. an AUC with no positives) is written as a
    // string rather than failing the whole summary.
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
        positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    guard let data = try? encoder.encode(value) else {
        FileHandle.standardError.write(Data("error: the JSON summary could not be encoded\n".utf8))
        return
    }
    print(String(decoding: data, as: UTF8.self))
}

/// JSON with sorted keys, for reports whose non-finite figures are ``FiniteOrNull`` (null).
func jsonText<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// A number that encodes as null when not finite (an infinite df, an F with zero residual).
struct FiniteOrNull: Encodable {
    var value: Double
    init(_ value: Double) { self.value = value }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if value.isFinite { try container.encode(value) } else { try container.encodeNil() }
    }
}

func rounded(_ x: Double, places: Double = 1000) -> Double { (x * places).rounded() / places }

func formatTime(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    return String(format: "%d:%02d", total / 60, total % 60)
}

/// A one-line progress indicator on standard error, shown only on a terminal.
final class ProgressLine {
    private let label: String
    private let total: Double
    private var lastPercent = -1
    private let enabled = isatty(STDERR_FILENO) == 1

    init(label: String, total: Double) {
        self.label = label
        self.total = total
    }

    func update(_ fraction: Double) {
        guard enabled else { return }
        let percent = Int((fraction * 100).rounded(.down))
        guard percent != lastPercent else { return }
        lastPercent = percent
        let line = "\r\(label) \(String(format: "%3d", percent))% (\(formatTime(fraction * total)) of \(formatTime(total)))"
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
