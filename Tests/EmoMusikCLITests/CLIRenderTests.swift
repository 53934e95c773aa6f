import Foundation
import Testing

/// What a user relies on when rendering: files with the music asked for, reproducibly.
@Suite("CLI: compose, render, analyze")
struct CLIRenderTests {
    struct Summary: Decodable {
        struct TempoPoint: Decodable { var time: Double; var bpm: Double }
        struct KeyPoint: Decodable { var time: Double; var key: String; var mode: String }
        var duration: Double
        var bars: Int
        var noteCount: Int
        var tempoMap: [TempoPoint]
        var keys: [KeyPoint]
        var peakDBFS: Double?
        var files: [String]
    }

    struct Analysis: Decodable {
        struct Key: Decodable { var name: String; var family: String }
        var tempo: Double
        var key: Key?
        var noteCount: Int
        var meanVelocity: Double
    }

    @Test("compose writes a WAV and a MIDI file whose analysis finds the key and tempo asked for")
    func composeHappiness() throws {
        let dir = try TemporaryDirectory()
        let result = try CLI.run([
            "compose", "--emotion", "happiness", "--bars", "8", "--json", "-o", dir.path("happy.wav"), "-o", dir.path("happy.mid"),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try JSONDecoder().decode(Summary.self, from: Data(result.stdout.utf8))
        #expect(summary.bars == 8)
        #expect(summary.noteCount > 0)
        #expect(Set(summary.files) == [dir.path("happy.wav"), dir.path("happy.mid")])
        let peak = try #require(summary.peakDBFS)
        #expect(peak <= -1 + 1e-6 && peak > -40, "peak \(peak) dBFS must be at most -1 and not silent")
        let intendedKey = try #require(summary.keys.first)
        #expect(intendedKey.mode == "major")

        let analyzed = try CLI.run(["analyze", "--json", dir.path("happy.mid")])
        #expect(analyzed.status == 0, "\(analyzed.stderr)")
        let analysis = try JSONDecoder().decode(Analysis.self, from: Data(analyzed.stdout.utf8))
        #expect(analysis.key?.family == "major")
        #expect(analysis.noteCount == summary.noteCount)
        #expect(abs(analysis.tempo - summary.tempoMap[0].bpm) < 2)

        let wav = try Data(contentsOf: URL(fileURLWithPath: dir.path("happy.wav")))
        #expect(wav.starts(with: Array("RIFF".utf8)))
        // 16-bit stereo at 44.1 kHz: the file holds the piece plus the 2 s tail.
        let seconds = Double(wav.count - 44) / (44100 * 4)
        #expect(abs(seconds - (summary.duration + 2)) < 0.1, "WAV holds \(seconds) s for a \(summary.duration) s piece")
    }

    @Test("negative values are read as values: --valence -0.6 --arousal -0.4 --ceiling -6")
    func negativeArguments() throws {
        let dir = try TemporaryDirectory()
        let result = try CLI.run([
            "compose", "--valence", "-0.6", "--arousal", "-0.4", "--bars", "4", "--ceiling", "-6", "--gain", "3", "--json",
            "-o", dir.path("calm.wav"),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try JSONDecoder().decode(Summary.self, from: Data(result.stdout.utf8))
        #expect(summary.keys.first?.mode == "minor")
        let peak = try #require(summary.peakDBFS)
        #expect(peak <= -6 + 1e-6 && peak > -30, "peak \(peak) dBFS with --ceiling -6 at gain 3")
    }

    @Test("the same timeline, seed and soundfont render byte-identical audio twice")
    func reproducible() throws {
        let dir = try TemporaryDirectory()
        let timeline = try dir.write("t.csv", "0,sadness\n8,anger\n16,anger\n")
        for name in ["a", "b"] {
            let result = try CLI.run(["render", "--timeline", timeline, "--seed", "42", "-o", dir.path("\(name).flac"), "-o", dir.path("\(name).wav")])
            #expect(result.status == 0, "\(result.stderr)")
        }
        for ext in ["wav", "flac"] {
            let a = try Data(contentsOf: URL(fileURLWithPath: dir.path("a.\(ext)")))
            let b = try Data(contentsOf: URL(fileURLWithPath: dir.path("b.\(ext)")))
            #expect(a.count > 100_000)
            #expect(a == b, "\(ext) files differ")
        }
    }

    @Test("render with no outputs named writes <out>/<timeline name>.wav and .mid and says where")
    func renderDefaults() throws {
        let dir = try TemporaryDirectory()
        let timeline = try dir.write("session.csv", "0,neutral\n6,happiness\n")
        let out = dir.path("renders")
        let result = try CLI.run(["render", "--timeline", timeline, "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("wrote \(out)/session.wav"))
        #expect(result.stdout.contains("wrote \(out)/session.mid"))
        #expect(FileManager.default.fileExists(atPath: "\(out)/session.wav"))
        #expect(FileManager.default.fileExists(atPath: "\(out)/session.mid"))
    }
}
