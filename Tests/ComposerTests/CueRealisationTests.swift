import Composer
import EmoMusikCore
import Testing

/// Each emotion and grid point, composed for 16 bars, realises its intended mode, tempo and key.
@Suite struct CueRealisationTests {
    static let mapping = AffectMapping()

    @Test(arguments: AffectGrid.all.map(\.1))
    func realisedModeAndTempoMatchIntent(_ affect: Affect) {
        let intent = Self.mapping.intent(for: affect)
        let composition = compose16(affect)
        let score = composition.score
        #expect(composition.bars.count == 16)
        #expect(score.keyChanges.count == 1)
        #expect(score.keyChanges.first?.key.mode.isMajor == intent.key.mode.isMajor)
        #expect(score.keyChanges.first?.key == intent.key)
        for change in score.tempoMap.changes {
            #expect(abs(change.bpm - intent.tempo) <= 2, "tempo \(change.bpm) at tick \(change.tick), intent \(intent.tempo)")
        }
        for bar in composition.bars {
            #expect(abs(score.tempoMap.bpm(atTick: bar.startTick) - intent.tempo) <= 2)
        }
    }

    @Test(arguments: AffectGrid.all.map(\.1))
    func keyFindingHearsTheIntendedTonicAndFamily(_ affect: Affect) {
        let intent = Self.mapping.intent(for: affect)
        let ranking = KeyFinder.ranking(compose16(affect).score)
        let best = ranking[0]
        #expect(best.tonic == intent.key.tonic && best.family == intent.key.mode.family,
                "\(affect) \(intent.key): heard \(best), runner-up \(ranking[1])")
    }

    @Test func keyFindingHoldsForOtherSeedsAndTonics() {
        for seed: UInt64 in [2, 3, 99] {
            for tonic in [2, 7, 10] {
                let mapping = AffectMapping(homeTonic: PitchClass(tonic))
                let composer = Composer(configuration: ComposerConfiguration(seed: seed, mapping: mapping))
                for (name, affect) in AffectGrid.emotions {
                    let key = mapping.intent(for: affect).key
                    let best = KeyFinder.ranking(composer.compose(affect: affect, bars: 16).score)[0]
                    #expect(best.tonic == key.tonic && best.family == key.mode.family, "\(name) seed \(seed): \(key) heard as \(best)")
                }
            }
        }
    }

    /// Notes per second of the melody.
    static func melodyRate(_ score: Score) -> Double { Double(score.melody.count) / score.duration }

    static func meanMelodyPitch(_ score: Score) -> Double {
        let notes = score.melody
        return notes.reduce(0) { $0 + Double($1.pitch) } / Double(max(notes.count, 1))
    }

    @Test func tempoAndMelodyDensityRiseWithArousal() {
        for v in AffectGrid.steps {
            let scores = AffectGrid.steps.map { compose16(Affect(valence: v, arousal: $0)).score }
            for (low, high) in zip(scores, scores.dropFirst()) {
                #expect(high.tempoMap.bpm(atTick: 0) > low.tempoMap.bpm(atTick: 0))
                #expect(Self.melodyRate(high) > Self.melodyRate(low) * 1.02,
                        "valence \(v): \(Self.melodyRate(low)) → \(Self.melodyRate(high)) notes/s")
            }
        }
    }

    @Test func meanMelodyPitchRisesWithValence() {
        for a in AffectGrid.steps {
            let means = AffectGrid.steps.map { Self.meanMelodyPitch(compose16(Affect(valence: $0, arousal: a)).score) }
            for (low, high) in zip(means, means.dropFirst()) {
                #expect(high > low + 1, "arousal \(a): mean pitch \(means)")
            }
        }
    }

    @Test func calmMusicHasNoDrumsAndExcitedMusicDoes() {
        let calm = compose16(Affect(valence: 0.2, arousal: -0.6)).score
        let excited = compose16(Affect(valence: 0.2, arousal: 0.8)).score
        #expect(calm.track(channel: 9)?.notes.isEmpty == true)
        #expect((excited.track(channel: 9)?.notes.count ?? 0) > 16 * 8)
    }

    @Test func velocityRisesWithArousal() {
        func meanVelocity(_ score: Score) -> Double {
            let notes = score.melody
            return notes.reduce(0) { $0 + Double($1.velocity) } / Double(notes.count)
        }
        let soft = meanVelocity(compose16(Affect(valence: 0, arousal: -0.8)).score)
        let loud = meanVelocity(compose16(Affect(valence: 0, arousal: 0.8)).score)
        #expect(loud > soft + 30)
    }
}
