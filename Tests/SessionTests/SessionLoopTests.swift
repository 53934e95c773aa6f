import Composer
import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Presets
import Sessions
import Strategies
import Testing

@Suite("Closed loop on a virtual clock: landmarks → recognizer → smoother → strategy → music")
struct SessionLoopTests {
    @Test("a child moving from anger to calm under iso-principle: music starts aroused and minor, ends calmer, inside the envelope")
    func angerToCalm() throws {
        let preset = try SessionFixtures.preset("calm-down")
        let log = MemoryLogSink()
        let loop = SessionLoop(
            recognizer: ScriptedRecognizer(script: SessionFixtures.angerToCalm),
            strategy: try SessionFixtures.strategy("iso-principle"), goal: preset.goal, log: log,
            start: try SessionFixtures.start(preset: preset, presetFile: SessionFixtures.presetPath("calm-down"), strategy: "iso-principle"))
        // The music is composed bar by bar as the session goes, as a live session does.
        let conductor = SessionConductor(loop: loop, music: SessionComposer(preset: preset, seed: 3), log: log)
        for frame in SessionFixtures.frames(duration: 150) { conductor.process(frame) }
        let summary = conductor.finish()
        #expect(summary.decisions.count == 76)
        #expect(summary.faults == 0)

        let music = try #require(conductor.music.music)
        #expect(preset.safety.check(music.score).isEmpty, "\(preset.safety.check(music.score).prefix(3))")
        let bars = music.barRecords
        let first = try #require(bars.first), last = try #require(bars.last)
        #expect(first.mode == "minor", "first bar in \(first.key)")
        #expect(first.affect.arousal > 0.5, "first bar's arousal \(first.affect.arousal)")
        #expect(last.affect.arousal < first.affect.arousal - 0.3, "arousal \(first.affect.arousal) → \(last.affect.arousal)")
        #expect(last.tempo < first.tempo - 10, "tempo \(first.tempo) → \(last.tempo)")
        #expect(last.velocity < first.velocity, "loudness \(first.velocity) → \(last.velocity)")
        // The music runs to the end of the session, plus the lead and the two closing bars.
        #expect(music.score.duration > summary.duration && music.score.duration < summary.duration + 15)
        #expect(log.events.filter { $0.kind == .music }.count == bars.count)
        // Every logged decision is in the log, in time order, with its reason.
        let logged = log.events.compactMap { if case .decision(let d) = $0 { d } else { nil } }
        #expect(logged == summary.decisions)
        #expect(logged.first?.reason == "matching the child")
        #expect(logged.contains { $0.reason == "leading toward target" })
    }

    @Test("estimates and smoothed affect are logged at about 2 per second, not at camera rate")
    func reducedRate() {
        let log = MemoryLogSink()
        let loop = SessionLoop(
            recognizer: ScriptedRecognizer(script: { _ in Emotion.happiness.affect }),
            strategy: try! SessionFixtures.strategy("mirror"), goal: SessionGoal(target: .neutral), log: log)
        for frame in SessionFixtures.frames(duration: 20) { loop.process(frame) }
        _ = loop.finish()
        let estimates = log.events.filter { $0.kind == .estimate }.count
        let smoothed = log.events.filter { $0.kind == .smoothed }.count
        #expect((39...42).contains(estimates), "\(estimates) estimates in 20 s")
        #expect((39...42).contains(smoothed), "\(smoothed) smoothed in 20 s")
    }

    @Test("face lost for 10 s: decisions go on, the affect drifts to neutral, the loss and the return are logged")
    func faceLost() throws {
        let log = MemoryLogSink()
        let loop = SessionLoop(
            recognizer: ScriptedRecognizer(script: { _ in Emotion.anger.affect }),
            strategy: try SessionFixtures.strategy("mirror"), goal: SessionGoal(target: .neutral),
            smoother: .init(lostGrace: 2, driftRate: 0.15), log: log,
            start: try SessionFixtures.start(preset: nil, presetFile: nil, strategy: "mirror"))
        for frame in SessionFixtures.frames(duration: 40, lost: 10...20) { loop.process(frame) }
        let summary = loop.finish()
        #expect(summary.decisions.count == 21)  // 0, 2, ..., 40: the music never stopped
        let warnings = log.events.compactMap { if case .warning(let w) = $0 { w } else { nil } }
        #expect(warnings.map(\.code) == ["face-lost", "face-found", "source-ended"])
        // Frames from 10 s to 20 s have no face: 10 s lost, though the loss is declared at 12 s.
        #expect(abs(summary.faceLostSeconds - 10) < 0.2, "lost for \(summary.faceLostSeconds) s")
        let report = SessionReport(contents: SessionLog.Contents(events: log.events), title: "t")
        #expect(report.lostStretches.count == 1)
        #expect(abs((report.lostStretches.first?.from ?? 0) - 10) < 0.1 && abs((report.lostStretches.first?.to ?? 0) - 20) < 0.1)
        func decision(at t: Double) throws -> DecisionRecord { try #require(summary.decisions.first { $0.t == t }) }
        let before = try decision(at: 10).target
        let during = try decision(at: 20).target
        #expect(before.distance(to: Emotion.anger.affect) < 0.05)
        #expect(during.distance(to: .neutral) < before.distance(to: .neutral) - 0.9, "drifted only to \(during)")
        // Bounded: from 12 s (grace over) to 20 s at 0.15 per second is at most 1.2.
        #expect(before.distance(to: during) <= 0.15 * 8 + 0.05)
        #expect(try decision(at: 30).target.distance(to: Emotion.anger.affect) < 0.1)
    }

    @Test("a recognizer that throws: the fault is logged (rate-limited), the last estimate is held, the session goes on")
    func throwingRecognizer() throws {
        let log = MemoryLogSink()
        let recognizer = ScriptedRecognizer(script: { _ in Emotion.sadness.affect }, failing: 10...22)
        let loop = SessionLoop(
            recognizer: recognizer, strategy: try SessionFixtures.strategy("mirror"), goal: SessionGoal(target: .neutral),
            settings: .init(faultLogInterval: 5), log: log)
        for frame in SessionFixtures.frames(duration: 30) { loop.process(frame) }
        let summary = loop.finish()
        let faults = log.events.compactMap { if case .fault(let f) = $0 { f } else { nil } }
        #expect(faults.count == 3, "\(faults.map(\.t))")  // at 10, 15, 20 s
        #expect(faults.allSatisfy { $0.code == "recognizer-threw" && $0.message.contains("holding the last estimate") })
        #expect(summary.faults == 12 * 15 + 1)
        // Held, not lost: no drift toward neutral while the recognizer fails.
        #expect(!log.events.contains { if case .warning(let w) = $0 { w.code == "face-lost" } else { false } })
        let during = try #require(summary.decisions.first { $0.t == 22 })
        #expect(during.target.distance(to: Emotion.sadness.affect) < 0.05)
        #expect(summary.decisions.count == 16)
    }

    @Test("the source ends: decisions up to the end, the last one held to the end of the music")
    func sourceEnds() throws {
        let log = MemoryLogSink()
        let loop = SessionLoop(
            recognizer: ScriptedRecognizer(script: { _ in Emotion.happiness.affect }),
            strategy: try SessionFixtures.strategy("mirror"), goal: SessionGoal(target: .neutral), log: log)
        for frame in SessionFixtures.frames(duration: 13) { loop.process(frame) }
        let summary = loop.finish()
        #expect(summary.duration == 13)
        #expect(summary.decisions.last?.t == 12)
        let music = SessionMusic.compose(decisions: summary.decisions, duration: summary.duration, preset: nil, seed: 1)
        #expect(abs(music.score.duration - 13) < 6)
        #expect(music.barRecords.last?.affect.distance(to: Emotion.happiness.affect) ?? 1 < 0.3)
    }

    @Test("no face at all: the strategy rests at neutral and the music still plays")
    func noFace() throws {
        let log = MemoryLogSink()
        let loop = SessionLoop(
            recognizer: ScriptedRecognizer(script: { _ in Emotion.anger.affect }),
            strategy: try SessionFixtures.strategy("iso-principle"), goal: SessionGoal(target: .neutral), log: log)
        for frame in SessionFixtures.frames(duration: 10, lost: 0...10) { loop.process(frame) }
        let summary = loop.finish()
        #expect(summary.decisions.allSatisfy { $0.child == nil && $0.target == .neutral })
        let music = SessionMusic.compose(decisions: summary.decisions, duration: summary.duration, preset: nil, seed: 1)
        #expect(music.score.noteCount > 0)
    }
}
