import Composer
import EmoMusikCore
import EmoMusikPlugins
import Testing

@Suite("Incremental composer: each bar as the whole piece with the same targets and length has it")
struct IncrementalComposerTests {
    /// Bar `bar` and the bars after it of `composer.compose(targets:bars:)`.
    static func whole(_ composer: Composer, _ targets: [TargetKeyframe], bars total: Int, from bar: Int) -> CompositionExcerpt {
        CompositionExcerpt(composer.compose(targets: targets, bars: total)).bars(bar..<total)
    }

    @Test("bar by bar with targets added at the next bar line, pieces of varying length, then the close")
    func barByBar() {
        let composer = Composer(configuration: ComposerConfiguration(seed: 9))
        var incremental = IncrementalComposer(composer: composer, targets: [TargetKeyframe(time: 0, affect: .neutral)])
        let affects: [Affect] = [
            Emotion.anger.affect, Affect(valence: 0.8, arousal: 0.1), Emotion.sadness.affect, Emotion.surprise.affect,
            Affect(valence: -0.9, arousal: -0.6), Emotion.happiness.affect,
        ]
        var nextBarLine = 0.0
        let bars = 120
        for bar in 0..<bars {
            if bar % 3 == 1 {
                // A decision at the first bar line not yet composed, as a session makes them.
                let n = bar / 3
                incremental.append(TargetKeyframe(
                    time: nextBarLine - 1e-6, affect: affects[n % affects.count], palette: n % 4 == 1 ? .pentatonic : nil,
                    percussion: n % 5 == 2 ? false : nil))
            }
            let total = bar >= bars - 2 ? bars : bar + 2 + bar % 4
            let excerpt = incremental.composeNextBar(bars: total)
            #expect(excerpt.firstBar == max(bar - 1, 0))
            let expected = Self.whole(composer, incremental.targets, bars: total, from: excerpt.firstBar)
            #expect(excerpt == expected, "bar \(bar + 1) of \(total)")
            if let next = excerpt.bars.first(where: { $0.index == bar + 1 }) { nextBarLine = next.startSeconds }
        }
        #expect(incremental.composedBars == bars)
    }

    @Test("a target reaching back before the bars composed, or new targets, recompose from bar 0, to the same bars")
    func recomposing() {
        let composer = Composer(configuration: ComposerConfiguration(seed: 3))
        var incremental = IncrementalComposer(composer: composer, targets: [TargetKeyframe(time: 0, affect: Emotion.happiness.affect)])
        for bar in 0..<12 { _ = incremental.composeNextBar(bars: bar + 4) }
        // A keyframe from a time long past: every bar from then on plans toward it.
        incremental.append(TargetKeyframe(time: 3, affect: Emotion.fear.affect))
        var excerpt = incremental.composeNextBar(bars: 16)
        #expect(excerpt.firstBar == 0)
        #expect(excerpt == Self.whole(composer, incremental.targets, bars: 16, from: 0))
        excerpt = incremental.composeNextBar(bars: 17)
        #expect(excerpt.firstBar == 12)
        #expect(excerpt == Self.whole(composer, incremental.targets, bars: 17, from: 12))
        // Targets that extend the current ones: carried on; others: recomposed.
        incremental.replaceTargets(with: incremental.targets + [TargetKeyframe(time: 600, affect: .neutral)])
        excerpt = incremental.composeNextBar(bars: 18)
        #expect(excerpt.firstBar == 13)
        #expect(excerpt == Self.whole(composer, incremental.targets, bars: 18, from: 13))
        incremental.replaceTargets(with: [TargetKeyframe(time: 0, affect: Emotion.anger.affect)])
        excerpt = incremental.composeNextBar(bars: 19)
        #expect(excerpt.firstBar == 0)
        #expect(excerpt == Self.whole(composer, incremental.targets, bars: 19, from: 0))
    }

    @Test("a piece that ended at a bar and goes on: the bars after are those of the longer piece")
    func endedThenLonger() {
        let composer = Composer(configuration: ComposerConfiguration(seed: 4))
        let targets = [TargetKeyframe(time: 0, affect: Emotion.sadness.affect), TargetKeyframe(time: 9, affect: Emotion.anger.affect)]
        var incremental = IncrementalComposer(composer: composer, targets: targets)
        for bar in 0..<8 {
            // Bar 6 is the last bar of its piece (its bar before, a cadence's dominant).
            let total = bar == 6 ? 7 : bar + 4
            let excerpt = incremental.composeNextBar(bars: total)
            #expect(excerpt.firstBar == (bar == 7 ? 0 : max(bar - 1, 0)))
            #expect(excerpt == Self.whole(composer, targets, bars: total, from: excerpt.firstBar), "bar \(bar + 1)")
        }
    }
}
