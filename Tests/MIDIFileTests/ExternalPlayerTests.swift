import EmoMusikCore
import Foundation
import MIDIFile
import Testing

/// Runs `arguments[0]` (looked up on PATH) and returns its exit status, stdout and stderr.
func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes before waiting, so a chatty tool cannot block on a full pipe.
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// Whether `python3 -c "import mido"` succeeds on this machine.
let midoAvailable: Bool = (try? run(["python3", "-c", "import mido"]).status) == 0

let soundfont = "/usr/share/sounds/sf2/TimGM6mb.sf2"
/// Whether the fluidsynth command and the TimGM6mb soundfont are installed.
let fluidsynthAvailable: Bool =
    FileManager.default.fileExists(atPath: soundfont) && (try? run(["fluidsynth", "--version"]).status) == 0

/// `scripts/check_midi.py`, found from this source file's path.
let checkScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("scripts/check_midi.py").path

func temporaryMIDIPath(_ label: String) -> String {
    NSTemporaryDirectory() + "emomusik-\(label)-\(UInt32.random(in: 0...UInt32.max)).mid"
}

@Suite("Standard MIDI File: other readers")
struct ExternalPlayerTests {
    @Test(.enabled(if: midoAvailable, "python3 with mido is not installed (pip install mido)"), arguments: [-1, 3, 11])
    func midoReadsWhatWeWrite(seed: Int) throws {
        let score = seed < 0 ? sampleScore() : randomScore(seed: UInt64(seed))
        let path = temporaryMIDIPath("mido")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try StandardMIDIFile.write(score, to: path)

        let result = try run(["python3", checkScript, path])
        try #require(result.status == 0, "check_midi.py failed: \(result.stderr)")
        let json = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["type"] as? Int == 1)
        #expect(json["ticks_per_beat"] as? Int == score.ticksPerQuarter)
        #expect(json["note_count"] as? Int == score.noteCount)
        let tempos = try #require(json["tempo_events"] as? [[Int]])
        #expect(tempos == score.tempoMap.changes.map { [$0.tick, $0.microsecondsPerQuarter] })
        let meters = try #require(json["time_signatures"] as? [[Any]])
        #expect(meters.map { $0[1] as? String } == score.timeSignatures.map { "\($0.meter)" })
        let keys = try #require(json["key_signatures"] as? [[Any]])
        #expect(keys.count == score.keyChanges.count)
        let markers = try #require(json["markers"] as? [[Any]])
        #expect(markers.map { $0[1] as? String } == score.markers.map(\.text))

        let tracks = try #require(json["tracks"] as? [[String: Any]])
        #expect(tracks.count == score.tracks.count + 1)
        #expect(tracks.first?["name"] as? String == StandardMIDIFile.conductorTrackName)
        for (summary, track) in zip(tracks.dropFirst(), score.tracks) {
            #expect(summary["name"] as? String == track.name)
            #expect(summary["notes"] as? Int == track.notes.count)
            #expect(summary["note_offs"] as? Int == track.notes.count)
            #expect(summary["channels"] as? [Int] == [Int(track.channel)])
        }
        for summary in tracks { #expect(summary["end_tick"] as? Int == score.endTick) }
    }

    @Test(.enabled(if: midoAvailable, "python3 with mido is not installed (pip install mido)"))
    func midoNamesTheKeySignatures() throws {
        // mido's names: "C", "Am", "Bb", "F#m" (it refuses invalid signatures).
        let keys = [Key(tonic: PitchClass(0), mode: .ionian), Key(tonic: PitchClass(9), mode: .aeolian),
                    Key(tonic: PitchClass(10), mode: .ionian), Key(tonic: PitchClass(6), mode: .aeolian),
                    Key(tonic: PitchClass(2), mode: .dorian)]
        let score = Score(tempoMap: TempoMap(bpm: 80), keyChanges: keys.enumerated().map { KeyChange(tick: $0.offset * 480, key: $0.element) })
        let path = temporaryMIDIPath("keys")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try StandardMIDIFile.write(score, to: path)
        let result = try run(["python3", checkScript, path])
        try #require(result.status == 0, "check_midi.py failed: \(result.stderr)")
        let json = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let names = try #require(json["key_signatures"] as? [[Any]]).map { $0[1] as? String }
        // D dorian is written as D minor (one flat, minor flag), so other readers name its tonic.
        #expect(names == ["C", "Am", "Bb", "F#m", "Dm"])
    }

    @Test(.enabled(if: fluidsynthAvailable, "fluidsynth or \(soundfont) is not installed"))
    func fluidsynthRendersWithoutWarnings() throws {
        let path = temporaryMIDIPath("fluidsynth")
        let wav = path + ".wav"
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: wav)
        }
        try StandardMIDIFile.write(sampleScore(), to: path)
        let result = try run(["fluidsynth", "-ni", "-F", wav, "-r", "22050", soundfont, path])
        #expect(result.status == 0)
        let output = (result.stdout + result.stderr).lowercased()
        #expect(!output.contains("warning") && !output.contains("error"), "\(result.stdout)\(result.stderr)")
        // 5 s of the score (4800 ticks: 4 beats at 96 BPM, 6 at 72 BPM), 16-bit stereo.
        let size = try #require(FileManager.default.attributesOfItem(atPath: wav)[.size] as? Int)
        #expect(size > 22050 * 4 * 4)
    }
}
