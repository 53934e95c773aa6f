import Composer
import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Presets
import Sessions
import Testing

@Suite("Bar-by-bar session music: committed bars never change, decisions take effect at the next free bar")
struct SessionComposerTests {
    /// A child jumping between emotions every 7 s, mirrored, composed bar by bar.
    static func run(preset: Preset?, lead: Double = 0.5) throws -> (SessionConductor, SessionLoop.Summary, MemoryLogSink) {
        let emotions: [Emotion] = [.anger, .happiness, .sadness, .surprise, .neutral, .fear]
        let log = MemoryLogSink()
        let loop = SessionLoop(
            recognizer: ScriptedRecognizer(script: { t in emotions[Int(t / 7) % emotions.count].affect }),
            strategy: try SessionFixtures.strategy("mirror"), goal: preset?.goal ?? SessionGoal(target: .neutral), log: log)
        let conductor = SessionConductor(loop: loop, music: SessionComposer(preset: preset, seed: 11), log: log, lead: lead)
        for frame in SessionFixtures.frames(duration: 60) { conductor.process(frame) }
        return (conductor, conductor.finish(), log)
    }

    @Test("the stitched bars are the bars one composition of all decisions plans (the planner is causal)")
    func plannerIsCausal() throws {
        for preset in [nil, try SessionFixtures.preset("calm-down")] {
            let (conductor, summary, _) = try Self.run(preset: preset)
            let stitched = conductor.music.bars
            let configuration = preset?.composerConfiguration(seed: 11) ?? ComposerConfiguration(seed: 11)
            let targets = SessionComposer.targets(summary.decisions)
            let whole = Composer(configuration: configuration).compose(targets: targets, bars: stitched.count).bars
            #expect(whole.count == stitched.count)
            for (a, b) in zip(stitched, whole) {
                #expect(a.startTick == b.startTick && a.intent == b.intent && a.affect == b.affect && a.endTempo == b.endTempo,
                        "bar \(a.index + 1) differs: \(a.intent) vs \(b.intent)")
            }
            // The piece closes on the tonic.
            #expect(stitched.last?.chords.map(\.function) == [.tonic])
            #expect(stitched.last?.chords.first?.root == stitched.last?.intent.key.tonic)
        }
    }

    @Test("each decision takes effect at the first bar not yet committed, within the lead plus one bar")
    func decisionsTakeEffectAtTheNextFreeBar() throws {
        let (conductor, summary, log) = try Self.run(preset: nil)
        let bars = conductor.music.bars
        let starts = bars.map(\.startSeconds)
        let longestBar = zip(starts.dropFirst(), starts).map { $0 - $1 }.max() ?? 0
        var delays: [Double] = []
        for decision in summary.decisions {
            let effective = decision.effectiveTime
            #expect(effective >= decision.t)
            delays.append(effective - decision.t)
            if decision.effective != nil {
                #expect(starts.contains { abs($0 - effective) < 1e-6 }, "decision at \(decision.t) s takes effect at \(effective) s, not a bar line")
            }
            #expect(effective - decision.t <= conductor.lead + longestBar + 1e-6)
        }
        // Every bar plays toward the last decision in effect at its bar line.
        for bar in bars.dropLast(SessionComposer.closingBars) {
            let decision = summary.decisions.last { $0.effectiveTime <= bar.startSeconds + 1e-9 }
            #expect(bar.target == (decision?.target ?? .neutral), "bar \(bar.index + 1)")
        }
        #expect(delays.contains { $0 > 0 }, "with a lead, some decisions wait for the next bar")
        // The summary's response delays: one per change of target (the child changes every 7 s).
        let responses = summary.responseDelays
        #expect(responses.count >= 7 && responses.count < summary.decisions.count)
        #expect(responses.allSatisfy { $0 >= 0 && $0 <= conductor.lead + longestBar + 1e-6 })
        let logged = log.events.compactMap { if case .decision(let d) = $0 { d } else { nil } }
        #expect(logged == summary.decisions, "the effective times are in the log")
        print(String(format: "decision → bar line: mean %.2f s, max %.2f s (lead %.1f s, longest bar %.2f s)",
                     delays.reduce(0, +) / Double(delays.count), delays.max() ?? 0, conductor.lead, longestBar))
    }

    @Test("a log with a bar out of order or naming unknown decisions is refused")
    func badRecordsAreRefused() throws {
        let (conductor, summary, _) = try Self.run(preset: nil)
        var records = conductor.music.records
        records.swapAt(1, 2)
        #expect(throws: EmoMusikError.self) {
            try SessionComposer.replay(decisions: summary.decisions, bars: records, preset: nil, seed: 11)
        }
        records = conductor.music.records
        records[3].decisions = summary.decisions.count + 1
        #expect(throws: EmoMusikError.self) {
            try SessionComposer.replay(decisions: summary.decisions, bars: records, preset: nil, seed: 11)
        }
        let exact = try SessionComposer.replay(decisions: summary.decisions, bars: conductor.music.records, preset: nil, seed: 11)
        #expect(exact.score == conductor.music.score)
    }
}
