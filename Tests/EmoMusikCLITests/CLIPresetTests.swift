import EmoMusikCore
import Foundation
import MIDIFile
import Testing

/// Therapist presets from the command line: validated with every error named, and shaping what
/// compose and render write.
@Suite("CLI: presets")
struct CLIPresetTests {
    @Test("every shipped preset validates with the built binary")
    func validateShipped() throws {
        let presets = try FileManager.default.contentsOfDirectory(atPath: CLI.packageRoot.appendingPathComponent("presets").path)
            .filter { $0.hasSuffix(".yaml") }.sorted().map { "presets/\($0)" }
        #expect(presets.count >= 5)
        let result = try CLI.run(["preset", "validate"] + presets)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        for preset in presets { #expect(result.stdout.contains("ok \(preset)")) }
    }

    struct RenderSummary: Decodable {
        var peakDBFS: Double?
        var preset: String?
    }

    @Test(
        "each shipped preset renders audio within its level ceiling",
        arguments: ["bedtime", "calm-down", "low-stimulation", "morning-circle", "social-play"])
    func presetRenders(name: String) throws {
        let dir = try TemporaryDirectory()
        let result = try CLI.run(["compose", "--preset", name, "--bars", "4", "--json", "-o", dir.path("\(name).wav")])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try JSONDecoder().decode(RenderSummary.self, from: Data(result.stdout.utf8))
        let text = try String(contentsOfFile: CLI.packageRoot.appendingPathComponent("presets/\(name).yaml").path, encoding: .utf8)
        let ceiling = try #require(
            text.split(separator: "\n").first { $0.contains("max-level-dbfs:") }
                .flatMap { Double($0.split(separator: ":")[1].split(separator: "#")[0].trimmingCharacters(in: .whitespaces)) })
        let peak = try #require(summary.peakDBFS, "\(name) rendered silence")
        #expect(peak <= ceiling + 1e-6, "\(name): peak \(peak) dBFS above its ceiling \(ceiling)")
        #expect(peak > -60, "\(name): peak \(peak) dBFS is inaudible")
    }

    @Test("a bad preset is refused with every error, each naming file, line, column and field")
    func invalidPreset() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write(
            "bad.yaml",
            """
            name: Too loud
            ensemble:
              melody: {instrument: Pianno}
            tempo: {min: 120, max: 80}
            safety: {max-velocity: 300}
            """)
        let result = try CLI.run(["compose", "--preset", path, "--bars", "2", "-o", dir.path("x.mid")])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(path):3:24 (ensemble.melody.instrument)"), "\(result.stderr)")
        #expect(result.stderr.contains("did you mean \"Acoustic Grand Piano\"?"))
        #expect(result.stderr.contains("\(path):4:"))
        #expect(result.stderr.contains("\(path):5:"))
        #expect(!FileManager.default.fileExists(atPath: dir.path("x.mid")))
    }

    @Test("a preset that does not exist is named, with the way out")
    func missingPreset() throws {
        let result = try CLI.run(["compose", "--preset", "calm-dwn", "-o", "/tmp/x.mid"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("preset 'calm-dwn' not found"))
        #expect(result.stderr.contains("emomusik preset list"))
    }

    @Test("the low-stimulation preset's limits hold in the file compose writes")
    func presetShapesCompose() throws {
        let dir = try TemporaryDirectory()
        // Anger asks for loud, fast music with drums; the preset forbids all three.
        let result = try CLI.run([
            "compose", "--preset", "low-stimulation", "--emotion", "anger", "--bars", "12", "--json", "-o", dir.path("x.mid"),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\"preset\" : \"Low stimulation\""))
        let score = try StandardMIDIFile.read(path: dir.path("x.mid"))
        let notes = score.tracks.flatMap(\.notes)
        #expect(!notes.isEmpty)
        #expect(score.tracks.allSatisfy { !$0.isPercussion || $0.notes.isEmpty })
        #expect(notes.allSatisfy { $0.velocity <= 64 }, "loudest \(notes.map(\.velocity).max() ?? 0)")
        #expect(score.tempoMap.changes.allSatisfy { (60...76).contains($0.bpm) }, "\(score.tempoMap.changes.map(\.bpm))")
    }

    @Test("render with a preset: its strategy leads from the child's state toward the preset's target")
    func presetLeadsRender() throws {
        let dir = try TemporaryDirectory()
        let child = try dir.write("child.csv", "0,anger\n40,-0.2,0.3\n120,-0.2,0.3\n")
        let result = try CLI.run(["render", "--timeline", child, "--preset", "calm-down", "--json", "-o", dir.path("x.mid")])
        #expect(result.status == 0, "\(result.stderr)")
        let score = try StandardMIDIFile.read(path: dir.path("x.mid"))
        let tempi = score.tempoMap.changes.map(\.bpm)
        #expect(tempi.last! < tempi.first! - 5, "tempo \(tempi.first!) → \(tempi.last!)")
    }
}
