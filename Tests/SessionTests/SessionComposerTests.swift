import Composer
import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Presets
import Sessions
import Testing

@Suite("Beat-by-beat session music: committed beats never change, decisions take effect at the next free beat")
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
            let configuration = conductor.music.configuration
            #expect(configuration.limits.followsWithinBar)
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

    @Test("each decision takes effect at the first beat not yet committed, within the lead plus one beat")
    func decisionsTakeEffectAtTheNextFreeBeat() throws {
        let (conductor, summary, log) = try Self.run(preset: nil)
        let score = try #require(conductor.music.score)
        let bars = conductor.music.bars
        let ticksPerBeat = score.ticksPerQuarter
        let beats = stride(from: 0, through: score.endTick, by: ticksPerBeat).map { score.tempoMap.seconds(atTick: $0) }
        let longestBeat = zip(beats.dropFirst(), beats).map { $0 - $1 }.max() ?? 0
        var delays: [Double] = []
        for decision in summary.decisions {
            let effective = decision.effectiveTime
            #expect(effective >= decision.t)
            delays.append(effective - decision.t)
            if decision.effective != nil {
                #expect(beats.contains { abs($0 - effective) < 1e-6 }, "decision at \(decision.t) s takes effect at \(effective) s, not a beat")
            }
            #expect(effective - decision.t <= conductor.lead + longestBeat + 1e-6)
        }
        // Every bar plays toward the last decision in effect at its bar line, and from a beat
        // within it toward the decision in effect there.
        var revisions = 0
        for bar in bars.dropLast(SessionComposer.closingBars) {
            let decision = summary.decisions.last { $0.effectiveTime <= bar.startSeconds + 1e-9 }
            #expect(bar.target == (decision?.target ?? .neutral), "bar \(bar.index + 1)")
            for revision in bar.revisions {
                let time = score.tempoMap.seconds(atTick: revision.tick)
                let decision = try #require(summary.decisions.last { $0.effectiveTime <= time + 1e-9 })
                #expect(revision.target == decision.target, "bar \(bar.index + 1), tick \(revision.tick)")
                #expect(decision.effectiveTime > bar.startSeconds + 1e-6, "a revision follows a decision from within its bar")
                revisions += 1
            }
        }
        #expect(revisions > 0, "some decisions re-aim the bar they arrive in")
        #expect(conductor.music.beatRecords.count == revisions)
        #expect(delays.contains { $0 > 0 }, "with a lead, some decisions wait for the next beat")
        // The summary's response delays: one per change of target (the child changes every 7 s).
        let responses = summary.responseDelays
        #expect(responses.count >= 7 && responses.count < summary.decisions.count)
        #expect(responses.allSatisfy { $0 >= 0 && $0 <= conductor.lead + longestBeat + 1e-6 })
        let logged = log.events.compactMap { if case .decision(let d) = $0 { d } else { nil } }
        #expect(logged == summary.decisions, "the effective times are in the log")
        let loggedBeats = log.events.compactMap { if case .beat(let b) = $0 { b } else { nil } }
        #expect(loggedBeats == conductor.music.beatRecords, "the recomposed beats are in the log")
        print(String(format: "decision → beat: mean %.2f s, max %.2f s (lead %.1f s, longest beat %.2f s), %d bars re-aimed within",
                     delays.reduce(0, +) / Double(delays.count), delays.max() ?? 0, conductor.lead, longestBeat, revisions))
    }

    @Test("a decision arriving within a bar re-aims its dynamics and tempo from the next beat, not before, and the next bar follows it")
    func aDecisionWithinABarIsHeardAtTheNextBeat() throws {
        // Calm and soft until 10 s, then anger: loud and fast.
        func decisions(angerAt effective: Double?) -> [DecisionRecord] {
            var list = [DecisionRecord(t: 0, child: .neutral, target: MusicalTarget(affect: Emotion.sadness.affect, reason: "calm"))]
            if let effective {
                list.append(DecisionRecord(
                    t: effective - 0.2, child: .neutral, target: MusicalTarget(affect: Emotion.anger.affect, reason: "lead"), effective: effective))
            }
            return list
        }
        let calm = SessionComposer(preset: nil, seed: 3)
        calm.advance(to: 30, decisions: decisions(angerAt: nil))
        // A bar after 9 s with notes starting after its first beat; beat 2 is the seam.
        let quarter = Score.defaultTicksPerQuarter
        let calmScore = try #require(calm.score)
        let beat = try #require(calm.bars.first { bar in
            bar.startSeconds > 9 && calmScore.tracks.contains { $0.notes.contains { ($0.tick - bar.startTick) / quarter >= 1 && $0.tick < bar.startTick + 4 * quarter } }
        })
        let seam = beat.startTick + quarter
        let seamTime = try #require(calm.score).tempoMap.seconds(atTick: seam)
        let angry = SessionComposer(preset: nil, seed: 3)
        angry.advance(to: seamTime - 0.1, decisions: decisions(angerAt: nil))
        #expect(abs(angry.nextBeatStart - seamTime) < 1e-9, "the next free beat is beat 2")
        angry.advance(to: 30, decisions: decisions(angerAt: angry.nextBeatStart))
        let a = try #require(calm.score), b = try #require(angry.score)
        // Everything before the seam is as it was; the bar's notes are the same notes.
        func notes(_ score: Score, _ range: Range<Int>) -> [[Note]] { score.tracks.map { $0.notes.filter { range.contains($0.tick) } } }
        #expect(notes(a, 0..<seam) == notes(b, 0..<seam))
        #expect(a.tempoMap.changes.filter { $0.tick < seam } == b.tempoMap.changes.filter { $0.tick < seam })
        let rest = seam..<(beat.startTick + 4 * quarter)
        #expect(notes(a, rest).map { $0.map(\.pitch) } == notes(b, rest).map { $0.map(\.pitch) })
        // From the seam: louder and faster, within the per-bar steps.
        func meanVelocity(_ score: Score, _ range: Range<Int>) -> Double {
            let all = notes(score, range).flatMap { $0 }
            return Double(all.map { Int($0.velocity) }.reduce(0, +)) / Double(max(all.count, 1))
        }
        #expect(meanVelocity(b, rest) > meanVelocity(a, rest) + 2)
        #expect(b.tempoMap.bpm(atTick: seam) > a.tempoMap.bpm(atTick: seam))
        #expect(b.tempoMap.bpm(atTick: seam) - a.tempoMap.bpm(atTick: seam) <= TransitionLimits.maxTempoStepPerBar)
        let revised = try #require(angry.bars.first { $0.index == beat.index })
        #expect(revised.revisions.map(\.tick) == [seam])
        #expect(angry.beatRecords.map(\.beat) == [2])
        // The next bar follows anger as a bar line does; a bar later the music is louder still.
        let next = try #require(angry.bars.first { $0.index == beat.index + 1 })
        #expect(next.target == Emotion.anger.affect)
        #expect(next.intent.velocity >= revised.revisions[0].velocity)
    }

    @Test("a log with a bar out of order or naming unknown decisions is refused; a whole one replays exactly")
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
        var beats = conductor.music.beatRecords
        beats[0].decisions = summary.decisions.count + 1
        #expect(throws: EmoMusikError.self) {
            try SessionComposer.replay(decisions: summary.decisions, bars: conductor.music.records, beats: beats, preset: nil, seed: 11)
        }
        let exact = try SessionComposer.replay(
            decisions: summary.decisions, bars: conductor.music.records, beats: conductor.music.beatRecords, preset: nil, seed: 11)
        #expect(exact.score == conductor.music.score)
        // Without the beat records the recomposed beats are lost.
        let barsOnly = try SessionComposer.replay(decisions: summary.decisions, bars: conductor.music.records, preset: nil, seed: 11)
        #expect(barsOnly.score != conductor.music.score)
    }
}
