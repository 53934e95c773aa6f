import Composer
import EmoMusikCore
import Testing

@Suite struct DeterminismTests {
    @Test func sameSeedSameScore() {
        for (_, affect) in AffectGrid.emotions {
            #expect(compose16(affect, seed: 42).score == compose16(affect, seed: 42).score)
        }
        let timeline = try? AffectTimeline(keyframes: [
            .init(time: 0, affect: Emotion.fear.affect), .init(time: 15, affect: Emotion.happiness.affect),
            .init(time: 30, affect: Emotion.happiness.affect),
        ])
        guard let timeline else {
            Issue.record("timeline")
            return
        }
        let composer = Composer(configuration: ComposerConfiguration(seed: 7))
        #expect(composer.compose(timeline: timeline) == composer.compose(timeline: timeline))
    }

    @Test func differentSeedDifferentNotes() {
        for (name, affect) in AffectGrid.emotions {
            let a = compose16(affect, seed: 1).score
            let b = compose16(affect, seed: 2).score
            #expect(a.melody != b.melody, "\(name)")
            // The plan (tempo, key) does not depend on the seed.
            #expect(a.tempoMap == b.tempoMap && a.keyChanges == b.keyChanges)
        }
    }
}
