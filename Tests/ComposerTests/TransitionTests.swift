import Composer
import EmoMusikCore
import Testing

/// Sadness at 0 s, anger from 20 s, until 40 s.
@Suite struct TransitionTests {
    let composition: Composition
    let limits = TransitionLimits.standard

    init() throws {
        let timeline = try AffectTimeline(keyframes: [
            .init(time: 0, affect: Emotion.sadness.affect, emotion: .sadness),
            .init(time: 20, affect: Emotion.anger.affect, emotion: .anger),
            .init(time: 40, affect: Emotion.anger.affect, emotion: .anger),
        ])
        composition = Composer(configuration: ComposerConfiguration(seed: 3)).compose(timeline: timeline)
    }

    @Test func coversTheTimelineInWholeBars() {
        let score = composition.score
        let barTicks = 4 * 480
        #expect(score.endTick % barTicks == 0)
        #expect(score.duration >= 40)
        // Rounded up: one bar less would not reach 40 s.
        #expect(score.tempoMap.seconds(atTick: score.endTick - barTicks) < 40)
        #expect(composition.bars.count == score.endTick / barTicks)
    }

    @Test func tempoRampsBeatByBeatWithinTheBound() {
        let map = composition.score.tempoMap
        let sad = AffectMapping().intent(for: Emotion.sadness.affect).tempo
        let angry = AffectMapping().intent(for: Emotion.anger.affect).tempo
        #expect(abs(map.bpm(atTick: 0) - sad) <= 2)
        // After the change each bar line moves the full bound toward anger's tempo until it gets there.
        let afterChange = composition.bars.drop { $0.target == Emotion.sadness.affect }
        #expect(afterChange.count >= 8)
        for (a, b) in zip(afterChange, afterChange.dropFirst()) {
            #expect(abs(b.intent.tempo - min(a.intent.tempo + limits.tempoPerBar, angry)) < 1e-9)
        }
        #expect(map.bpm(atTick: composition.score.endTick - 1) > sad + 50)
        // A ramp, not a jump: many changes, each small, all on beats.
        let rising = zip(map.changes, map.changes.dropFirst()).filter { $1.bpm > $0.bpm }
        #expect(rising.count >= 8)
        for (a, b) in zip(map.changes, map.changes.dropFirst()) {
            #expect(b.tick % 480 == 0, "tempo change off the beat at \(b.tick)")
            #expect(abs(b.bpm - a.bpm) <= limits.tempoPerBar / 4 + 0.1, "\(a.bpm) → \(b.bpm) at \(b.tick)")
        }
        // From one bar line to the next the tempo moves at most the per-bar bound.
        let starts = composition.score.barStartTicks
        for (a, b) in zip(starts, starts.dropFirst()) {
            #expect(abs(map.bpm(atTick: b) - map.bpm(atTick: a)) <= limits.tempoPerBar + 0.1)
        }
        for (a, b) in zip(composition.bars, composition.bars.dropFirst()) {
            #expect(abs(b.intent.tempo - a.intent.tempo) <= limits.tempoPerBar + 1e-9)
        }
        // Nothing moves before the target changes.
        let change = composition.bars.first { $0.target != Emotion.sadness.affect }
        let firstRise = rising.first?.1.tick ?? 0
        #expect(change.map { firstRise > $0.startTick } == true)
    }

    @Test func keyChangesOnlyAtBarStartsAndPhraseStarts() {
        let score = composition.score
        let starts = Set(score.barStartTicks)
        for change in score.keyChanges { #expect(starts.contains(change.tick)) }
        for bar in composition.bars where bar.index > 0 && bar.intent.key != composition.bars[bar.index - 1].intent.key {
            #expect(bar.isPhraseStart)
            #expect(score.markers.contains { $0.tick == bar.startTick && $0.text.contains("key") })
            // Approached through the new key's dominant at the end of the previous bar.
            #expect(composition.bars[bar.index - 1].chords.last?.function == .dominant)
        }
    }

    @Test func velocityAndAffectMoveBoundedStepsPerBar() {
        for (a, b) in zip(composition.bars, composition.bars.dropFirst()) {
            #expect(abs(b.intent.velocity - a.intent.velocity) <= limits.velocityPerBar + 1e-9)
            #expect(b.affect.distance(to: a.affect) <= limits.affectPerBar + 1e-9)
        }
        let first = composition.bars.first?.intent.velocity ?? 0
        let last = composition.bars.last?.intent.velocity ?? 0
        #expect(last - first > 30)
    }

    @Test func barPlanIsConsistentWithTheScore() {
        let score = composition.score
        #expect(composition.bars.map(\.startTick) == score.barStartTicks)
        for (index, bar) in composition.bars.enumerated() {
            #expect(bar.index == index)
            #expect(abs(bar.startSeconds - score.tempoMap.seconds(atTick: bar.startTick)) < 1e-9)
            #expect(abs(score.tempoMap.bpm(atTick: bar.startTick) - bar.intent.tempo) <= 0.05)
            #expect(!bar.chords.isEmpty)
        }
        // The target follows the timeline at each bar line.
        for bar in composition.bars {
            let expected = bar.startSeconds < 20 ? Emotion.sadness.affect : Emotion.anger.affect
            #expect(bar.target == expected)
        }
        #expect(score.keyChanges.map(\.key.mode) == [.aeolian] || score.keyChanges.allSatisfy { !$0.key.mode.isMajor })
    }

    @Test func majorToMinorChangeWaitsForThePhrase() throws {
        let timeline = try AffectTimeline(keyframes: [
            .init(time: 0, affect: Emotion.happiness.affect),
            .init(time: 5, affect: Emotion.fear.affect),
            .init(time: 30, affect: Emotion.fear.affect),
        ])
        let composition = Composer(configuration: ComposerConfiguration(seed: 5)).compose(timeline: timeline)
        let keys = composition.score.keyChanges
        #expect(keys.map(\.key.mode) == [.lydian, .phrygian])
        let starts = composition.score.barStartTicks
        for change in keys {
            let bar = starts.firstIndex(of: change.tick)
            #expect(bar.map { $0 % Composer.phraseLength == 0 } == true)
        }
        ScoreValidityTests.check(composition, "happiness → fear")
    }

    @Test func tighterLimitsAreObeyed() throws {
        let limits = TransitionLimits(tempoPerBar: 3, velocityPerBar: 2, affectPerBar: 0.1)
        let timeline = try AffectTimeline(keyframes: [
            .init(time: 0, affect: Affect(valence: 0, arousal: -1)), .init(time: 4, affect: Affect(valence: 0, arousal: 1)),
            .init(time: 30, affect: Affect(valence: 0, arousal: 1)),
        ])
        let composition = Composer(configuration: ComposerConfiguration(limits: limits)).compose(timeline: timeline)
        for (a, b) in zip(composition.bars, composition.bars.dropFirst()) {
            #expect(abs(b.intent.tempo - a.intent.tempo) <= 3 + 1e-9)
            #expect(abs(b.intent.velocity - a.intent.velocity) <= 2 + 1e-9)
        }
        ScoreValidityTests.check(composition, "tight limits")
    }
}
