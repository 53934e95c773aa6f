import Composer
import EmoMusikCore
import Testing

@Suite struct AffectMappingTests {
    let mapping = AffectMapping()

    @Test func modeFollowsValenceThresholds() {
        let cases: [(Double, Mode)] = [
            (1, .lydian), (0.55, .lydian), (0.54, .ionian), (0, .ionian), (-0.01, .dorian), (-0.3, .dorian),
            (-0.31, .aeolian), (-0.75, .aeolian), (-0.76, .phrygian), (-1, .phrygian),
        ]
        for (valence, mode) in cases {
            #expect(mapping.intent(for: Affect(valence: valence, arousal: 0)).key.mode == mode, "valence \(valence)")
        }
    }

    @Test func tonicIsTheHomeTonic() {
        let d = AffectMapping(homeTonic: PitchClass(2))
        for affect in AffectGrid.grid { #expect(d.intent(for: affect).key.tonic == PitchClass(2)) }
        #expect(mapping.intent(for: .neutral).key.tonic == PitchClass(0))
    }

    @Test func tempoSpansSixtyToOneSixty() {
        #expect(abs(mapping.intent(for: Affect(valence: 0, arousal: -1)).tempo - 60) <= 1)
        #expect(abs(mapping.intent(for: Affect(valence: 0, arousal: 1)).tempo - 160) <= 1)
        for affect in AffectGrid.grid { #expect(AffectMapping.tempoRange.contains(mapping.intent(for: affect).tempo)) }
    }

    @Test func cuesMoveInTheDesignedDirections() {
        for v in AffectGrid.steps {
            for (a0, a1) in zip(AffectGrid.steps, AffectGrid.steps.dropFirst()) {
                let low = mapping.intent(for: Affect(valence: v, arousal: a0))
                let high = mapping.intent(for: Affect(valence: v, arousal: a1))
                #expect(high.tempo > low.tempo)
                #expect(high.velocity > low.velocity)
                #expect(high.density >= low.density)
                #expect(high.articulation < low.articulation)
                #expect(high.registerSpan >= low.registerSpan)
                #expect(high.harmonicRhythm >= low.harmonicRhythm)
                #expect(high.percussion >= low.percussion)
                #expect(high.tension >= low.tension)
            }
        }
        for a in AffectGrid.steps {
            for (v0, v1) in zip(AffectGrid.steps, AffectGrid.steps.dropFirst()) {
                let low = mapping.intent(for: Affect(valence: v0, arousal: a))
                let high = mapping.intent(for: Affect(valence: v1, arousal: a))
                #expect(high.register > low.register)
                #expect(high.tension <= low.tension)
                #expect(high.tempo >= low.tempo)
            }
        }
    }

    @Test func tensionGrowsTowardUnpleasantAndAroused() {
        #expect(mapping.intent(for: Affect(valence: 1, arousal: -1)).tension == 0)
        #expect(mapping.intent(for: Emotion.anger.affect).tension > mapping.intent(for: Emotion.happiness.affect).tension)
        #expect(mapping.intent(for: Emotion.fear.affect).tension > mapping.intent(for: Emotion.sadness.affect).tension)
    }

    @Test func noDrumsWhenCalm() {
        #expect(mapping.intent(for: Affect(valence: 0.5, arousal: -0.3)).percussion == 0)
        #expect(mapping.intent(for: Affect(valence: 0.5, arousal: -1)).percussion == 0)
        #expect(mapping.intent(for: Affect(valence: 0.5, arousal: 0)).percussion > 0)
        #expect(mapping.intent(for: Affect(valence: 0.5, arousal: 1)).percussion == 1)
    }

    @Test func velocityRangeIsSoftToLoud() {
        let soft = mapping.intent(for: Affect(valence: -1, arousal: -1)).velocity
        let loud = mapping.intent(for: Affect(valence: 1, arousal: 1)).velocity
        #expect((40...50).contains(soft))
        #expect((105...112).contains(loud))
    }
}
