import ArgumentParser
import Composer
import EmoMusikCore
import EmoMusikPlugins
import FaceLandmarks
import Foundation
import Presets
import Sessions
import Strategies

import CMalloc

struct SessionBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session",
        abstract: "The session composer: time to begin a bar early and late in a long session, and memory.",
        discussion: """
            Runs a session on its own clock as fast as it goes, without audio: the
            scripted child of 'bench live --session' (its emotion changes every
            20 s), the mirror strategy deciding before every beat, as sessions do,
            the session composer (with --preset, the preset's constraints and
            safety envelope) and a session log written to a temporary file. Prints
            the time the session thread spends per bar begun over the first and
            the last bars (the figure that must not grow with the session's
            length), and per bar composed again for a decision that arrived while
            it played; then the memory: the heap in use (glibc's mallinfo2) and the
            resident set before the session, at its end, and once the session is
            released, and what the session keeps for good (the committed scores,
            bar plans, records and decisions).

            --method whole-piece composes each bar as the session composer did
            before it composed incrementally (the whole piece so far for every
            bar), to compare: the same music, at a cost that grows with the session.

            Examples:
              .build/release/emomusik bench session --minutes 30
              .build/release/emomusik bench session --minutes 30 --preset calm-down
              .build/release/emomusik bench session --minutes 30 --method whole-piece
            """
    )

    /// ``SessionComposer/Method`` on the command line.
    enum Method: String, ExpressibleByArgument, CaseIterable {
        case incremental
        case wholePiece = "whole-piece"

        var method: SessionComposer.Method {
            switch self {
            case .incremental: .incremental
            case .wholePiece: .wholePiece
            }
        }
    }

    @Option(help: "Length of the session in minutes.")
    var minutes: Double = 30

    @Option(help: "Bars averaged at the start and at the end of the session.")
    var window: Int = 50

    @Option(help: "How the session composer composes each bar.")
    var method: Method = .incremental

    @OptionGroup(title: "Preset") var presetOptions: PresetOptions

    func validate() throws {
        guard minutes > 0, minutes <= 240 else { throw ValidationError("--minutes must be in 0...240.") }
        guard window >= 1 else { throw ValidationError("--window must be at least 1.") }
    }

    func run() throws {
        let registry = PluginRegistry()
        try BuiltInPlugins.register(into: registry)
        let preset = try presetOptions.load(registry: registry)?.preset
        let seconds = minutes * 60
        let face = [SIMD2<Float>](repeating: .zero, count: 68)
        let frames = (0...Int(seconds * 15)).map { LandmarkFrame(time: Double($0) / 15, points: face, confidence: 0.9) }
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("emomusik-bench-session-\(getpid()).log.jsonl").path
        defer { try? FileManager.default.removeItem(atPath: logPath) }
        print(String(format: "session music: %@ of a scripted child (emotion changes every 20 s), mirror strategy deciding before every beat, %@, composed %@, no audio",
                     formatTime(seconds), preset.map { "preset \($0.name)" } ?? "no preset", method.rawValue))

        let before = MemoryFigures()
        var perBar: [(bars: Int, seconds: Double)] = []
        var withoutBar = (frames: 0, seconds: 0.0)
        var revisions: [Double] = []  // frames that composed the open bar again from a beat within
        var kept = KeptBytes()
        var end = MemoryFigures()
        var committed = 0
        do {
            let writer = try SessionLogWriter(path: logPath)
            let loop = SessionLoop(
                recognizer: ScriptedChild(), strategy: try registry.makeStrategy(id: "mirror", options: [:]),
                goal: preset?.goal ?? SessionGoal(target: .neutral), settings: SessionLoop.Settings(decidesAtBeats: true),
                log: writer)
            let conductor = SessionConductor(
                loop: loop, music: SessionComposer(preset: preset, seed: 1, method: method.method), log: writer)
            for frame in frames {
                let bars = conductor.music.committedBars
                let revised = conductor.music.beatRecords.count
                let start = DispatchTime.now().uptimeNanoseconds
                conductor.process(frame)
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let now = conductor.music.committedBars
                if now > bars {
                    perBar.append((now - bars, elapsed))
                } else if conductor.music.beatRecords.count > revised {
                    revisions.append(elapsed)
                } else {
                    withoutBar = (withoutBar.frames + 1, withoutBar.seconds + elapsed)
                }
            }
            let summary = conductor.finish()
            writer.close()
            committed = conductor.music.committedBars
            kept = KeptBytes(conductor.music, decisions: summary.decisions)
            end = MemoryFigures()
        }
        let released = MemoryFigures()

        func mean(_ calls: ArraySlice<(bars: Int, seconds: Double)>) -> (ms: Double, bars: Int, worst: Double) {
            let bars = calls.reduce(0) { $0 + $1.bars }
            let total = calls.reduce(0) { $0 + $1.seconds }
            let worst = calls.map { $0.seconds / Double($0.bars) }.max() ?? 0
            return (total / Double(max(bars, 1)) * 1000, bars, worst * 1000)
        }
        let n = min(window, perBar.count)
        let first = mean(perBar.prefix(n)), last = mean(perBar.suffix(n))
        print(String(format: "%d bars committed; session thread per committed bar (the frame that begins it): first %d bars mean %.3f ms (worst %.3f ms), last %d bars mean %.3f ms (worst %.3f ms); a frame without a bar %.3f ms",
                     committed, first.bars, first.ms, first.worst, last.bars, last.ms, last.worst,
                     withoutBar.seconds / Double(max(withoutBar.frames, 1)) * 1000))
        if !revisions.isEmpty {
            print(String(format: "%d frames composed the bar under way again for a decision (re-aimed from a beat within): mean %.3f ms, last 50 %.3f ms, worst %.3f ms",
                         revisions.count, revisions.reduce(0, +) / Double(revisions.count) * 1000,
                         revisions.suffix(50).reduce(0, +) / Double(min(revisions.count, 50)) * 1000, (revisions.max() ?? 0) * 1000))
        }
        print(String(format: "heap in use: %.2f MB before, %.2f MB at the end (%+.2f MB), %.2f MB once the session is released: the session held %.2f MB",
                     before.heapMB, end.heapMB, end.heapMB - before.heapMB, released.heapMB, end.heapMB - released.heapMB))
        print(String(format: "heap free but kept by malloc: %.2f MB before, %.2f MB at the end; RSS %.1f MB before, %.1f MB at the end, %.1f MB once released",
                     before.freeMB, end.freeMB, before.rssMB, end.rssMB, released.rssMB))
        print(String(format: "kept for good (estimated from element sizes): scores %.2f MB (%d notes, before the envelope and, with a preset, as played), bar plans %.2f MB, records %.2f MB, decisions %.2f MB (%d): %.2f MB",
                     Double(kept.scores) / 1e6, kept.notes, Double(kept.bars) / 1e6, Double(kept.records) / 1e6,
                     Double(kept.decisions) / 1e6, kept.decisionCount, Double(kept.total) / 1e6))
    }
}

/// Heap and resident memory at one moment.
private struct MemoryFigures {
    /// Bytes malloc has handed out and not had back (main arena and mmapped blocks).
    var heap: Int
    /// Bytes free inside the heap, kept by malloc for reuse.
    var free: Int
    var rss: Int

    init() {
        let info = mallinfo2()
        heap = Int(info.uordblks + info.hblkhd)
        free = Int(info.fordblks)
        rss = residentSetBytes()
    }

    var heapMB: Double { Double(heap) / 1e6 }
    var freeMB: Double { Double(free) / 1e6 }
    var rssMB: Double { Double(rss) / 1e6 }
}

/// What a session keeps until it ends, in bytes, estimated from the element sizes of its arrays
/// (array headers and small strings included roughly).
private struct KeptBytes {
    var notes = 0
    var scores = 0
    var bars = 0
    var records = 0
    var decisions = 0
    var decisionCount = 0
    var total: Int { scores + bars + records + decisions }

    init() {}

    init(_ music: SessionComposer, decisions: [DecisionRecord]) {
        // Without a preset the played score is the composed one, kept once.
        for score in [music.plainScore, music.preset == nil ? nil : music.score].compactMap({ $0 }) {
            for track in score.tracks {
                notes += track.notes.count
                scores += track.notes.count * MemoryLayout<Note>.stride + track.controls.count * MemoryLayout<ControlChange>.stride
                    + track.programChanges.count * MemoryLayout<ProgramChange>.stride
            }
            scores += score.tempoMap.changes.count * MemoryLayout<TempoChange>.stride
                + score.keyChanges.count * MemoryLayout<KeyChange>.stride
                + score.markers.reduce(0) { $0 + MemoryLayout<Marker>.stride + max($1.text.utf8.count - 15, 0) }
        }
        let header = 32  // a heap-allocated array's header
        bars = music.bars.reduce(0) { sum, bar in
            sum + MemoryLayout<BarPlan>.stride + header
                + bar.chords.reduce(0) { $0 + MemoryLayout<Chord>.stride + header + $1.tones.count * MemoryLayout<PitchClass>.stride }
        }
        records = music.records.count * MemoryLayout<MusicRecord>.stride
        decisionCount = decisions.count
        self.decisions = decisions.reduce(0) { $0 + MemoryLayout<DecisionRecord>.stride + max($1.reason.utf8.count - 15, 0) }
    }
}

/// Resident set size from /proc/self/statm (second field, pages).
func residentSetBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
