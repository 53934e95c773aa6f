import Foundation
import Testing

/// The main job: a recorded child session through the recognizer, a strategy and a preset, to
/// audio, MIDI, a session log and a report; and the log replays to the same bytes.
@Suite("CLI: demo and session replay")
struct CLIDemoTests {
    @Test("demo writes music, log and report; replaying the log gives byte-identical audio", .timeLimit(.minutes(5)))
    func demoAndReplay() throws {
        let dir = try TemporaryDirectory()
        let out = dir.path("demo")
        let demo = try CLI.run(["demo", "--out", out])
        #expect(demo.status == 0, "\(demo.stderr)")
        for name in ["demo.wav", "demo.mid", "demo.log.jsonl", "demo.html"] {
            #expect(FileManager.default.fileExists(atPath: "\(out)/\(name)"), "\(name) missing")
            #expect(demo.stdout.contains("\(out)/\(name)"))
        }
        let log = try String(contentsOfFile: "\(out)/demo.log.jsonl", encoding: .utf8)
        #expect(log.contains("\"session-start\""))
        #expect(log.contains("\"decision\""))
        #expect(log.contains("\"session-end\""))
        let html = try String(contentsOfFile: "\(out)/demo.html", encoding: .utf8)
        #expect(html.contains("<svg"))

        let replay = try CLI.run(["session", "replay", "\(out)/demo.log.jsonl", "-o", dir.path("again.wav")])
        #expect(replay.status == 0, "\(replay.stderr)")
        let original = try Data(contentsOf: URL(fileURLWithPath: "\(out)/demo.wav"))
        let again = try Data(contentsOf: URL(fileURLWithPath: dir.path("again.wav")))
        #expect(original.count > 1_000_000)
        #expect(original == again, "replay differs from the session's audio")
    }
}
