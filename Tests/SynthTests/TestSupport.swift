import EmoMusikCore
import Foundation
@testable import Synth

/// The SoundFont the render tests use: resolved like the CLI does, without project directories.
func testSoundfont() throws -> String {
    try SoundfontLocator(explicit: nil, environment: [:], projectDirectories: []).resolve()
}

/// A fresh empty directory under the system temporary directory.
func makeTemporaryDirectory() throws -> String {
    let path = (NSTemporaryDirectory() as NSString)
        .appendingPathComponent("synth-tests-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// One piano note at `tick`, 120 BPM, 480 ticks per quarter.
func singleNoteScore(tick: Int, duration: Int = 480, pitch: UInt8 = 60, velocity: UInt8 = 100) -> Score {
    Score(
        tempoMap: TempoMap(bpm: 120),
        tracks: [Track(name: "piano", channel: 0, program: 0, notes: [Note(tick: tick, duration: duration, pitch: pitch, velocity: velocity)])])
}

/// Four voices of fortissimo six-note chords on every eighth note for two bars, plus drums.
func loudDenseScore() -> Score {
    var tracks: [Track] = []
    for (channel, program) in [(0, 0), (1, 48), (2, 30), (3, 61)] as [(UInt8, UInt8)] {
        var notes: [Note] = []
        for step in 0..<16 {
            for pitch in [36, 43, 48, 52, 55, 60] { notes.append(Note(tick: step * 240, duration: 240, pitch: UInt8(pitch + Int(channel)), velocity: 127)) }
        }
        tracks.append(Track(name: "voice \(channel)", channel: channel, program: program, notes: notes,
                            controls: [ControlChange(tick: 0, controller: ControlChange.volume, value: 127)]))
    }
    let drums = (0..<16).flatMap { step in [36, 38, 42, 49].map { Note(tick: step * 240, duration: 120, pitch: UInt8($0), velocity: 127) } }
    tracks.append(Track(name: "drums", channel: 9, program: 0, notes: drums))
    return Score(tempoMap: TempoMap(bpm: 120), tracks: tracks)
}

/// A short phrase with a tempo change, a program change and controllers: exercises every event kind.
func phraseScore() -> Score {
    var tempo = TempoMap(bpm: 100)
    tempo.append(TempoChange(tick: 960, bpm: 140))
    let melody = Track(
        name: "melody", channel: 0, program: 73,
        programChanges: [ProgramChange(tick: 960, program: 40)],
        notes: (0..<8).map { Note(tick: $0 * 240, duration: 200, pitch: UInt8(64 + ($0 * 3) % 12), velocity: 90) },
        controls: [ControlChange(tick: 0, controller: ControlChange.reverbSend, value: 100),
                   ControlChange(tick: 480, controller: ControlChange.pan, value: 20)])
    let pad = Track(name: "pad", channel: 1, program: 89, notes: [Note(tick: 0, duration: 1920, pitch: 52, velocity: 70)])
    return Score(tempoMap: tempo, tracks: [melody, pad])
}

func peak(_ samples: ArraySlice<Float>) -> Float { samples.reduce(0) { max($0, abs($1)) } }

func dBFS(_ amplitude: Float) -> Double { amplitude > 0 ? 20 * log10(Double(amplitude)) : -.infinity }

/// Runs `body` and returns the `EmoMusikError` it throws (nil if it throws none or another type).
func emoError(_ body: () throws -> Void) -> EmoMusikError? {
    do { try body() } catch let error as EmoMusikError { return error } catch { return nil }
    return nil
}
