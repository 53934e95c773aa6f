import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Presets
import Sessions
import Testing

@Suite("Session log: JSON lines written durably, read back tolerantly, replayed exactly")
struct SessionLogTests {
    /// A short logged session with a preset: the loop, the music, the end.
    static func runSession(to sink: any SessionLogSink, duration: Double = 20) throws -> (SessionLoop.Summary, SessionMusic) {
        let preset = try SessionFixtures.preset("calm-down")
        let start = try SessionFixtures.start(preset: preset, presetFile: SessionFixtures.presetPath("calm-down"), strategy: "iso-principle", seed: 5)
        let loop = SessionLoop(
            recognizer: ScriptedRecognizer(script: SessionFixtures.angerToCalm, failing: 4...4.2),
            strategy: try SessionFixtures.strategy("iso-principle"), goal: preset.goal, log: sink, start: start)
        let conductor = SessionConductor(loop: loop, music: SessionComposer(preset: preset, seed: start.seed), log: sink)
        for frame in SessionFixtures.frames(duration: duration, lost: 8...11) { conductor.process(frame) }
        let summary = conductor.finish()
        return (summary, try #require(conductor.music.music))
    }

    @Test("round trip: every event written to a file reads back equal, in order")
    func roundTrip() throws {
        let path = SessionFixtures.temporaryPath("log.jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let memory = MemoryLogSink()
        let writer = try SessionLogWriter(path: path)
        final class Both: SessionLogSink {
            let a: any SessionLogSink, b: any SessionLogSink
            init(_ a: any SessionLogSink, _ b: any SessionLogSink) { (self.a, self.b) = (a, b) }
            func record(_ event: SessionEvent) { a.record(event); b.record(event) }
        }
        _ = try Self.runSession(to: Both(memory, writer))
        writer.close()
        let contents = try SessionLog.read(path: path)
        #expect(contents.truncatedLine == nil)
        #expect(contents.events == memory.events)
        let kinds = Set(contents.events.map(\.kind))
        #expect(kinds == Set(SessionEvent.Kind.allCases), "missing: \(Set(SessionEvent.Kind.allCases).subtracting(kinds))")
        #expect(contents.events.first?.kind == .start && contents.events.last?.kind == .end)
        #expect(contents.start?.presetYAML?.contains("Calm down") == true)
        // One event per line.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.split(separator: "\n").count == memory.events.count)
        #expect(writer.syncs >= 1)
    }

    @Test("a truncated last line (a session killed mid-write) is skipped and reported")
    func truncatedLastLine() throws {
        let memory = MemoryLogSink()
        _ = try Self.runSession(to: memory)
        let lines = memory.events.map(SessionLog.encode)
        let cut = lines.dropLast().joined(separator: "\n") + "\n" + lines.last!.prefix(25)
        let contents = try SessionLog.read(text: String(cut), file: "killed.jsonl")
        #expect(contents.truncatedLine == lines.count)
        #expect(contents.events == Array(memory.events.dropLast()))
    }

    @Test("garbage is refused with file and line")
    func garbage() throws {
        let memory = MemoryLogSink()
        _ = try Self.runSession(to: memory)
        var lines = memory.events.map(SessionLog.encode)
        lines[3] = "{\"type\": \"decision\", \"t\": \"soon\"}"
        let error = try #require(throws: EmoMusikError.self) {
            try SessionLog.read(text: lines.joined(separator: "\n") + "\n", file: "bad.jsonl")
        }
        #expect(error.location?.description == "bad.jsonl:4")
        #expect(error.description.hasPrefix("bad.jsonl:4: not a session log event"))
        let notALog = try #require(throws: EmoMusikError.self) {
            try SessionLog.read(text: "hello\nworld\n", file: "notes.txt")
        }
        #expect(notALog.description.hasPrefix("notes.txt:1: not a session log event"))
    }

    @Test("a log file that cannot be written (full disk): the session goes on and the fault is reported once")
    func fullDisk() throws {
        let reports = Reports()
        let writer = try SessionLogWriter(path: "/dev/full", report: { reports.add($0) })
        let (summary, music) = try Self.runSession(to: writer)
        writer.close()
        #expect(summary.decisions.count == 11)
        #expect(music.score.noteCount > 0)
        #expect(writer.failedWrites > 50)
        #expect(reports.messages.count == 1)
        #expect(reports.messages.first?.contains("cannot write the session log '/dev/full'") == true)
    }

    final class Reports: @unchecked Sendable {
        private(set) var messages: [String] = []
        func add(_ message: String) { messages.append(message) }
    }

    @Test("the writer syncs at least once per second of wall-clock time, not on every line")
    func syncsOncePerSecond() throws {
        let path = SessionFixtures.temporaryPath("sync.jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var now = 0.0
        let writer = try SessionLogWriter(path: path, clock: { now })
        let notice = SessionEvent.warning(Notice(t: 0, code: "test", message: "x"))
        for i in 0..<100 {
            now = Double(i) * 0.1  // 10 lines per second
            writer.record(notice)
        }
        #expect((9...10).contains(writer.syncs), "\(writer.syncs) syncs in 10 s")
        // Everything is in the file already, before close: a kill -9 now would lose nothing written.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 100)
        writer.close()
    }

    @Test("replay: the logged decisions and settings rebuild exactly the same score")
    func replayIsExact() throws {
        let path = SessionFixtures.temporaryPath("replay.jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try SessionLogWriter(path: path)
        let (_, original) = try Self.runSession(to: writer)
        writer.close()
        let contents = try SessionLog.read(path: path)
        let start = try #require(contents.start)
        let end = try #require(contents.end)
        let preset = try Preset.fromLog(start)
        // Bar by bar, as the session committed them (decisions known, composition length).
        #expect(contents.music.allSatisfy { $0.decisions != nil && $0.compositionBars != nil })
        let replayed = try SessionMusic.replay(contents, duration: end.duration, preset: preset, seed: start.seed)
        #expect(replayed.score == original.score)
        #expect(replayed.barRecords.map(\.tempo) == original.barRecords.map(\.tempo))
        // And a different seed would not have: the comparison can fail.
        let other = try SessionMusic.replay(contents, duration: end.duration, preset: preset, seed: start.seed + 1)
        #expect(other.score != original.score)
        // Nor would composing the whole piece from the decisions afterwards (the older way).
        let whole = SessionMusic.compose(decisions: contents.decisions, duration: end.duration, preset: preset, seed: start.seed)
        #expect(whole.score != original.score)
    }
}
