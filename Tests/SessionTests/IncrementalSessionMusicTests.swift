import Composer
import EmoMusikCore
import EmoMusikPlugins
import Presets
import Testing

@testable import Sessions

@Suite("Incremental session music: the same bars as recomposing the whole piece for every bar")
struct IncrementalSessionMusicTests {
    /// Targets that move the key (valence across the mode thresholds), the palette and the
    /// percussion switch, in an order that revisits them.
    static let script: [(Affect, ScalePalette, Bool?)] = [
        (Emotion.happiness.affect, .diatonic, nil),
        (Emotion.sadness.affect, .pentatonic, nil),
        (Emotion.anger.affect, .diatonic, false),
        (Affect(valence: 0.8, arousal: 0.2), .diatonic, true),
        (Emotion.fear.affect, .pentatonic, nil),
        (Affect(valence: -0.9, arousal: -0.5), .diatonic, false),
        (Emotion.surprise.affect, .diatonic, nil),
        (Emotion.neutral.affect, .pentatonic, true),
    ]

    /// Runs both methods side by side for `bars` bars and the closing bars, a decision every
    /// 2.5 s taking effect at the first beat not yet committed (so most re-aim the bar they arrive
    /// in; every 13th one late, from a time before bars already committed: that makes the
    /// incremental composer start again from bar 0), and checks every call commits the same
    /// records; returns both composers and the decisions.
    static func run(
        preset: Preset?, bars: Int, seed: UInt64 = 5
    ) -> (incremental: SessionComposer, whole: SessionComposer, decisions: [DecisionRecord]) {
        let incremental = SessionComposer(preset: preset, seed: seed, method: .incremental)
        let whole = SessionComposer(preset: preset, seed: seed, method: .wholePiece)
        var decisions: [DecisionRecord] = []
        var time = 0.0, nextDecision = 1.0
        while whole.committedBars < bars {
            time += 0.25
            if time >= nextDecision {
                let (affect, palette, percussion) = script[decisions.count % script.count]
                let target = MusicalTarget(affect: affect, palette: palette, percussion: percussion, reason: "script")
                var decision = DecisionRecord(
                    t: time, child: affect, target: target, effective: whole.nextBeatStart > time ? whole.nextBeatStart : nil)
                if decisions.count % 13 == 12, let committed = whole.bars.dropLast(2).last {
                    decision.t = committed.startSeconds + 0.01
                    decision.effective = nil
                }
                decisions.append(decision)
                nextDecision += 2.5
            }
            let a = incremental.advance(to: time + 0.5, decisions: decisions)
            let b = whole.advance(to: time + 0.5, decisions: decisions)
            // The first difference is the one to look at: the bars after it follow from it.
            guard a == b, incremental.nextBeatStart == whole.nextBeatStart, incremental.beatRecords == whole.beatRecords else {
                Issue.record("bars \(b.map(\.bar)): records \(a) against \(b), next beat at \(incremental.nextBeatStart) s against \(whole.nextBeatStart) s")
                break
            }
        }
        #expect(incremental.close(decisions: decisions) == whole.close(decisions: decisions))
        return (incremental, whole, decisions)
    }

    /// Each bar's events (plan, notes, program changes, controllers, tempo changes, keys, markers)
    /// in the one score and in the other, bar for bar, then the whole scores.
    static func expectSameBars(_ a: SessionComposer, _ b: SessionComposer) {
        #expect(a.committedBars == b.committedBars)
        for (name, x, y) in [("composed", a.plainScore, b.plainScore), ("played", a.score, b.score)] {
            guard let x, let y else {
                Issue.record("no \(name) score")
                return
            }
            let first = CompositionExcerpt(Composition(score: x, bars: a.bars))
            let second = CompositionExcerpt(Composition(score: y, bars: b.bars))
            // The first bar that differs, with what differs in it.
            for bar in 0..<min(a.committedBars, b.committedBars) {
                let (p, q) = (first.bars(bar..<bar + 1), second.bars(bar..<bar + 1))
                guard p != q else { continue }
                #expect(p.bars == q.bars, "\(name) bar \(bar + 1): plan")
                #expect(p.tracks == q.tracks, "\(name) bar \(bar + 1): notes, program changes or controllers")
                #expect(p.tempoChanges == q.tempoChanges && p.keyChanges == q.keyChanges && p.markers == q.markers,
                        "\(name) bar \(bar + 1): tempo, key or markers")
                break
            }
            #expect(x == y, "\(name) scores")
        }
        #expect(a.bars == b.bars)
        #expect(a.records == b.records)
        #expect(a.beatRecords == b.beatRecords)
        #expect(a.adjustments == b.adjustments)
    }

    @Test("300 bars without a preset: every bar, record and the scores are the same")
    func withoutPreset() throws {
        let (incremental, whole, _) = Self.run(preset: nil, bars: 300)
        Self.expectSameBars(incremental, whole)
        // The script did what it is for: keys, palettes and percussion changed, and it closed.
        let bars = whole.bars
        #expect(Set(bars.map(\.intent.key)).count >= 4)
        #expect(Set(bars.map(\.palette)).count == 2)
        #expect(bars.contains { !$0.percussionAllowed } && bars.contains { $0.intent.ensemble.percussion })
        #expect(bars.last?.chords.map(\.function) == [.tonic])
        #expect(bars.filter { !$0.revisions.isEmpty }.count >= 20, "decisions re-aimed the bars they arrived in")
        #expect(whole.beatRecords.count >= 20)
    }

    @Test("200 bars with a preset: the envelope carried bar to bar changes what it changes whole")
    func withPreset() throws {
        let (incremental, whole, _) = Self.run(preset: try SessionFixtures.preset("social-play"), bars: 200)
        Self.expectSameBars(incremental, whole)
        #expect(!whole.adjustments.isEmpty, "the envelope had something to do")
    }

    @Test("replay of a log whose bars know fewer, then more decisions: the same bars either way")
    func replayOfAnUnevenLog() throws {
        let preset = try SessionFixtures.preset("social-play")
        let (live, _, decisions) = Self.run(preset: preset, bars: 60)
        var records = live.records
        // Records that go back to fewer decisions now and then, and compositions of other lengths.
        for index in records.indices where index % 7 == 3 {
            records[index].decisions = max((records[index].decisions ?? 0) - 4, 0)
            records[index].compositionBars = index + 2 + index % 3
        }
        let beats = live.beatRecords
        #expect(!beats.isEmpty)
        let a = try SessionComposer.replay(decisions: decisions, bars: records, beats: beats, preset: preset, seed: 5, method: .incremental)
        let b = try SessionComposer.replay(decisions: decisions, bars: records, beats: beats, preset: preset, seed: 5, method: .wholePiece)
        Self.expectSameBars(a, b)
    }

    @Test("a composer louder than the envelope, with drums it forbids: whole-track changes count the whole piece's events")
    func wholeTrackChanges() throws {
        var preset = try SessionFixtures.preset("social-play")
        preset.safety.maxVelocity = 90
        preset.safety.percussion = false
        var configuration = preset.composerConfiguration(seed: 5)
        configuration.constraints.maxVelocity = 127
        configuration.constraints.percussion = true
        configuration.constraints.ensemble?.percussion = true
        let incremental = SessionComposer(preset: preset, seed: 5, method: .incremental, configuration: configuration)
        let whole = SessionComposer(preset: preset, seed: 5, method: .wholePiece, configuration: configuration)
        // Quiet music without drums first: nothing for the envelope to change in whole tracks.
        var decisions = [DecisionRecord(t: 0, child: nil, target: MusicalTarget(affect: Emotion.sadness.affect, reason: "quiet"))]
        #expect(incremental.advance(to: 40, decisions: decisions) == whole.advance(to: 40, decisions: decisions))
        #expect(whole.adjustments.allSatisfy { $0.tick != nil })
        // Then a decision dated back to the piece's start: the piece is recomposed, loud and with
        // drums from the bars already played on (as the piece of this bar's composition has them).
        decisions.append(DecisionRecord(t: 5, child: nil, target: MusicalTarget(affect: Emotion.anger.affect, reason: "loud")))
        #expect(incremental.advance(to: 60, decisions: decisions) == whole.advance(to: 60, decisions: decisions))
        Self.expectSameBars(incremental, whole)
        let wholeTrack = whole.adjustments.filter { $0.tick == nil }
        #expect(Set(wholeTrack.map(\.kind)) == [.velocityClamped, .percussionDropped], "\(wholeTrack)")
    }
}
