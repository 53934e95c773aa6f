import Composer
import EmoMusikCore
import EmoMusikPlugins
import MusicAnalysis
import Testing

/// Sixteen bars at a constant affect under `constraints`.
func compose16(_ affect: Affect, constraints: MusicalConstraints, seed: UInt64 = 1) -> Composition {
    Composer(configuration: ComposerConfiguration(seed: seed, constraints: constraints)).compose(affect: affect, bars: 16)
}

extension Score {
    /// Notes of the melody, pad and bass.
    var pitchedNotes: [Note] { tracks.filter { !$0.isPercussion }.flatMap(\.notes) }
}

/// The composer honours a preset's musical constraints.
@Suite struct ConstraintTests {
    // MARK: modes

    @Test func onlyAllowedModesAreUsed() {
        let constraints = MusicalConstraints(allowedModes: [.ionian, .aeolian])
        let mapping = AffectMapping(constraints: constraints)
        for (name, affect) in AffectGrid.all {
            #expect([.ionian, .aeolian].contains(mapping.intent(for: affect).key.mode), "\(name)")
            let composition = compose16(affect, constraints: constraints)
            for bar in composition.bars { #expect([.ionian, .aeolian].contains(bar.intent.key.mode), "\(name)") }
            for change in composition.score.keyChanges { #expect([.ionian, .aeolian].contains(change.key.mode), "\(name)") }
        }
        // Lydian (valence 1) becomes ionian, dorian (-0.2) and phrygian (-1) aeolian.
        #expect(mapping.intent(for: Affect(valence: 1, arousal: 0)).key.mode == .ionian)
        #expect(mapping.intent(for: Affect(valence: -0.2, arousal: 0)).key.mode == .aeolian)
        #expect(mapping.intent(for: Affect(valence: -1, arousal: 0)).key.mode == .aeolian)
    }

    @Test func nearestAllowedModeGoesByBrightnessTiesToTheBrighter() {
        let cases: [([Mode], Mode, Mode)] = [
            ([.ionian, .aeolian], .lydian, .ionian),
            ([.ionian, .aeolian], .mixolydian, .ionian),
            ([.ionian, .aeolian], .dorian, .aeolian),
            ([.ionian, .aeolian], .phrygian, .aeolian),
            ([.ionian, .aeolian], .ionian, .ionian),
            ([.ionian, .dorian], .mixolydian, .ionian),  // tie: one step either way
            ([.dorian, .ionian], .mixolydian, .ionian),  // the order given does not matter
            ([.lydian, .aeolian], .mixolydian, .lydian),  // tie: two steps either way
            ([.lydian, .dorian], .mixolydian, .dorian),
            ([.phrygian], .lydian, .phrygian),
            ([.mixolydian, .phrygian], .aeolian, .phrygian),
        ]
        for (allowed, mode, expected) in cases {
            #expect(MusicalConstraints(allowedModes: allowed).nearestAllowedMode(to: mode) == expected, "\(allowed) \(mode)")
        }
    }

    // MARK: tempo

    @Test func tempoStaysInRangeAndRisesWithArousal() throws {
        let constraints = MusicalConstraints(tempoRange: 60...90)
        let mapping = AffectMapping(constraints: constraints)
        // Microsecond rounding in the tempo map may move a tempo by a few millionths of a BPM.
        let range = (60 - 0.001)...(90 + 0.001)
        for (name, affect) in AffectGrid.all {
            for change in compose16(affect, constraints: constraints).score.tempoMap.changes {
                #expect(range.contains(change.bpm), "\(name): \(change.bpm) BPM")
            }
        }
        let timeline = try AffectTimeline(keyframes: [
            .init(time: 0, affect: Affect(valence: -1, arousal: -1)), .init(time: 20, affect: Affect(valence: 1, arousal: 1)),
            .init(time: 60, affect: Affect(valence: 1, arousal: 1)),
        ])
        let moving = Composer(configuration: ComposerConfiguration(constraints: constraints)).compose(timeline: timeline)
        for change in moving.score.tempoMap.changes { #expect(range.contains(change.bpm), "\(change.bpm) BPM") }
        for v in AffectGrid.steps {
            let tempos = AffectGrid.steps.map { a in
                compose16(Affect(valence: v, arousal: a), constraints: constraints).score.tempoMap.bpm(atTick: 0)
            }
            for (low, high) in zip(tempos, tempos.dropFirst()) { #expect(high >= low - 0.001, "valence \(v): \(tempos)") }
            // Rescaled, not clipped: the top of the arousal scale is still faster than its middle.
            #expect(tempos[4] > tempos[2] + 5, "valence \(v): \(tempos)")
        }
        #expect(abs(mapping.intent(for: Affect(valence: 0, arousal: -1)).tempo - 60) < 1)
        #expect(abs(mapping.intent(for: Affect(valence: 0, arousal: 1)).tempo - 90) < 1)
    }

    // MARK: velocity, percussion, register

    @Test func noNoteIsLouderThanTheMaximum() {
        let constraints = MusicalConstraints(maxVelocity: 70)
        for (name, affect) in AffectGrid.all {
            let score = compose16(affect, constraints: constraints).score
            let notes = score.tracks.flatMap(\.notes)
            #expect(!notes.isEmpty)
            #expect(notes.allSatisfy { $0.velocity <= 70 }, "\(name): \(notes.map(\.velocity).max() ?? 0)")
            #expect(MusicAnalyzer.analyze(score).meanVelocity <= 70)
        }
        // Still louder when aroused.
        let soft = MusicAnalyzer.analyze(compose16(Affect(valence: 0, arousal: -0.8), constraints: constraints).score)
        let loud = MusicAnalyzer.analyze(compose16(Affect(valence: 0, arousal: 0.8), constraints: constraints).score)
        #expect(loud.meanVelocity > soft.meanVelocity + 15)
    }

    @Test func noDrumsWhenPercussionIsOff() {
        let constraints = MusicalConstraints(percussion: false)
        for (name, affect) in AffectGrid.all {
            let composition = compose16(affect, constraints: constraints)
            #expect(composition.score.track(channel: 9)?.notes.isEmpty == true, "\(name)")
            ScoreValidityTests.check(composition, "no percussion \(name)")
        }
        // An ensemble without percussion switches drums off too.
        let quiet = MusicalConstraints(ensemble: Ensemble(melody: 0, pad: 48, bass: 32, percussion: false))
        #expect(compose16(Emotion.anger.affect, constraints: quiet).score.track(channel: 9)?.notes.isEmpty == true)
    }

    @Test func registerOffsetMovesEveryPitchedVoice() {
        func mean(_ notes: [Note]) -> Double { notes.reduce(0) { $0 + Double($1.pitch) } / Double(max(notes.count, 1)) }
        let lower = MusicalConstraints(registerOffset: -12)
        for (name, affect) in AffectGrid.all {
            let plain = compose16(affect, seed: 4).score
            let low = compose16(affect, constraints: lower, seed: 4).score
            let drop = mean(plain.pitchedNotes) - mean(low.pitchedNotes)
            #expect((11...13).contains(drop), "\(name): mean pitch drops by \(drop)")
            for channel in [Composer.melodyChannel, Composer.padChannel, Composer.bassChannel] {
                let voiceDrop = mean(plain.track(channel: channel)?.notes ?? []) - mean(low.track(channel: channel)?.notes ?? [])
                #expect((10...14).contains(voiceDrop), "\(name) channel \(channel): drops by \(voiceDrop)")
            }
        }
        // Far offsets stay within MIDI's range and keep the music well formed.
        for offset in [-36, 36] {
            let constraints = MusicalConstraints(registerOffset: offset)
            for (name, affect) in AffectGrid.emotions {
                ScoreValidityTests.check(compose16(affect, constraints: constraints), "offset \(offset) \(name)")
            }
        }
    }

    @Test func ensembleOverridesTheMappingInEveryBar() {
        let harp = Ensemble(melody: 46, pad: 52, bass: 32)
        for (name, affect) in AffectGrid.emotions {
            let composition = compose16(affect, constraints: MusicalConstraints(ensemble: harp))
            for bar in composition.bars {
                let ensemble = bar.intent.ensemble
                #expect([ensemble.melody, ensemble.pad, ensemble.bass] == [46, 52, 32], "\(name)")
            }
            let score = composition.score
            #expect(score.track(channel: Composer.melodyChannel)?.program == 46)
            #expect(score.track(channel: Composer.padChannel)?.program == 52)
            #expect(score.tracks.allSatisfy { $0.programChanges.isEmpty })
        }
    }

    // MARK: tension 0

    /// Interval class of two pitches: 0...6 semitones, octaves and inversions folded.
    static func intervalClass(_ a: UInt8, _ b: UInt8) -> Int {
        let d = abs(Int(a) - Int(b)) % 12
        return min(d, 12 - d)
    }

    /// Pairs (melody note, pad or bass note) sounding together at a strong beat (the downbeat and
    /// the middle beat, beat 3 of 4/4) that form a minor second, major seventh or tritone in any
    /// octave (interval class 1 or 6). A note sounds at tick t when it starts at or before t and
    /// ends after it, so held notes count, not just the ones struck on the beat.
    static func strongBeatClashes(_ composition: Composition, meter: Meter = .commonTime) -> [String] {
        let score = composition.score
        let beat = score.ticksPerQuarter * 4 / meter.beatUnit
        let middle = meter.beatsPerBar >= 4 && meter.beatsPerBar % 2 == 0 ? [meter.beatsPerBar / 2] : []
        let melody = score.melody
        let accompaniment = (score.track(channel: Composer.padChannel)?.notes ?? [])
            + (score.track(channel: Composer.bassChannel)?.notes ?? [])
        var clashes: [String] = []
        for bar in composition.bars {
            for b in [0] + middle {
                let t = bar.startTick + b * beat
                let sounding = { (note: Note) in note.tick <= t && note.endTick > t }
                for m in melody where sounding(m) {
                    for c in accompaniment where sounding(c) && [1, 6].contains(intervalClass(m.pitch, c.pitch)) {
                        clashes.append("bar \(bar.index) beat \(b + 1): melody \(m.pitch) against \(c.pitch)")
                    }
                }
            }
        }
        return clashes
    }

    /// Every chord is three different notes of the bar's key with a perfect fifth over the root.
    static func plainTriadViolations(_ composition: Composition) -> [String] {
        var violations: [String] = []
        for bar in composition.bars {
            let scale = Set(bar.intent.key.scale)
            for chord in bar.chords {
                let fifth = chord.tones.count == 3 ? (chord.tones[2].rawValue - chord.root.rawValue + 12) % 12 : -1
                if chord.tones.count != 3 || Set(chord.tones).count != 3 || !chord.tones.allSatisfy(scale.contains) || fifth != 7 {
                    violations.append("bar \(bar.index) \(bar.intent.key): \(chord.symbol) \(chord.tones)")
                }
            }
        }
        return violations
    }

    @Test func zeroTensionGivesPlainTriadsAndNoStrongBeatClashes() {
        let constraints = MusicalConstraints(maxTension: 0)
        for seed: UInt64 in [1, 2, 3] {
            for (name, affect) in AffectGrid.all {
                let composition = compose16(affect, constraints: constraints, seed: seed)
                #expect(composition.bars.allSatisfy { $0.intent.tension == 0 })
                let triads = Self.plainTriadViolations(composition)
                #expect(triads.isEmpty, "\(name) seed \(seed): \(triads)")
                let clashes = Self.strongBeatClashes(composition)
                #expect(clashes.isEmpty, "\(name) seed \(seed): \(clashes.prefix(4))")
                // No chromatic note anywhere in the melody, pad or bass.
                let scale = Set(composition.bars[0].intent.key.scale.map(\.rawValue))
                #expect(composition.score.pitchedNotes.allSatisfy { scale.contains(Int($0.pitch) % 12) }, "\(name)")
            }
        }
    }

    @Test func theSameAffectsClashWithoutTheConstraint() {
        // The check above can fail: unconstrained, tense music has non-triads and strong-beat clashes.
        let tense = [Emotion.anger, .fear, .disgust].map { compose16($0.affect) }
        #expect(tense.contains { !Self.plainTriadViolations($0).isEmpty })
        #expect(tense.contains { !Self.strongBeatClashes($0).isEmpty })
    }

    @Test func zeroTensionHoldsThroughKeyChanges() throws {
        let timeline = try AffectTimeline(keyframes: [
            .init(time: 0, affect: Emotion.happiness.affect), .init(time: 8, affect: Emotion.fear.affect),
            .init(time: 20, affect: Emotion.sadness.affect), .init(time: 35, affect: Affect(valence: 0.9, arousal: -0.2)),
            .init(time: 60, affect: Affect(valence: 0.9, arousal: -0.2)),
        ])
        let composer = Composer(configuration: ComposerConfiguration(seed: 9, constraints: MusicalConstraints(maxTension: 0)))
        let composition = composer.compose(timeline: timeline)
        #expect(Set(composition.bars.map(\.intent.key)).count >= 2)
        #expect(Self.plainTriadViolations(composition).isEmpty, "\(Self.plainTriadViolations(composition))")
        #expect(Self.strongBeatClashes(composition).isEmpty, "\(Self.strongBeatClashes(composition).prefix(4))")
        ScoreValidityTests.check(composition, "tension 0 timeline")
    }

    @Test func allConstraintsTogetherInOtherMeters() {
        let constraints = MusicalConstraints(
            homeTonic: PitchClass(5), allowedModes: [.mixolydian, .dorian], tempoRange: 66...100, maxVelocity: 80,
            percussion: true, maxTension: 0, ensemble: Ensemble(melody: 73, pad: 89, bass: 32), registerOffset: -7,
            palette: .pentatonic)
        for meter in [Meter.commonTime, .waltz, Meter(beatsPerBar: 6, beatUnit: 8), Meter(beatsPerBar: 5, beatUnit: 4)] {
            let configuration = ComposerConfiguration(seed: 11, meter: meter, constraints: constraints)
            #expect(throws: Never.self) { try configuration.validate() }
            for (name, affect) in AffectGrid.emotions {
                let composition = Composer(configuration: configuration).compose(affect: affect, bars: 13)
                let label = "\(meter) \(name)"
                ScoreValidityTests.check(composition, label)
                #expect(Self.plainTriadViolations(composition).isEmpty, "\(label)")
                #expect(Self.strongBeatClashes(composition, meter: meter).isEmpty, "\(label): \(Self.strongBeatClashes(composition, meter: meter).prefix(3))")
                #expect(composition.bars.allSatisfy { [.mixolydian, .dorian].contains($0.intent.key.mode) && $0.intent.key.tonic == PitchClass(5) })
                #expect(composition.score.tracks.flatMap(\.notes).allSatisfy { $0.velocity <= 80 })
                #expect(composition.bars.allSatisfy { (66...100).contains($0.intent.tempo) })
            }
        }
    }

    // MARK: palette

    @Test func pentatonicMelodyAndTheTonicStillHeard() {
        let constraints = MusicalConstraints(palette: .pentatonic)
        let mapping = AffectMapping(constraints: constraints)
        for (name, affect) in AffectGrid.all {
            let composition = compose16(affect, constraints: constraints)
            let key = mapping.intent(for: affect).key
            let kept = Set(ScalePalette.pentatonic.pitchClasses(in: key).map(\.rawValue))
            #expect(kept.count == 5)
            let outside = composition.score.melody.filter { !kept.contains(Int($0.pitch) % 12) }
            #expect(outside.isEmpty, "\(name) \(key): \(outside.map(\.pitch))")
            #expect(composition.bars.allSatisfy { $0.palette == .pentatonic })
            #expect(Self.plainTriadViolations(composition).isEmpty, "\(name)")
            let heard = MusicAnalyzer.analyze(composition.score).key
            #expect(heard?.tonic == key.tonic, "\(name) \(key): heard \(heard?.name ?? "nothing")")
        }
    }

    @Test func pentatonicSubsetsDropTheRightDegrees() {
        let c = PitchClass(0)
        #expect(ScalePalette.pentatonic.pitchClasses(in: Key(tonic: c, mode: .ionian)).map(\.rawValue) == [0, 2, 4, 7, 9])
        #expect(ScalePalette.pentatonic.pitchClasses(in: Key(tonic: c, mode: .lydian)).map(\.rawValue) == [0, 2, 4, 7, 9])
        #expect(ScalePalette.pentatonic.pitchClasses(in: Key(tonic: c, mode: .aeolian)).map(\.rawValue) == [0, 3, 5, 7, 10])
        #expect(ScalePalette.pentatonic.pitchClasses(in: Key(tonic: c, mode: .phrygian)).map(\.rawValue) == [0, 3, 5, 7, 10])
        #expect(ScalePalette.diatonic.pitchClasses(in: Key(tonic: PitchClass(2), mode: .dorian)).count == 7)
        #expect(ScalePalette.allCases.map(\.rawValue) == ["diatonic", "pentatonic"])
    }

    // MARK: home tonic

    @Test func homeTonicDIsHeardForEveryEmotion() {
        let constraints = MusicalConstraints(homeTonic: PitchClass(2))
        for (name, affect) in AffectGrid.all {
            let composition = compose16(affect, constraints: constraints)
            #expect(composition.score.keyChanges.allSatisfy { $0.key.tonic == PitchClass(2) })
            let heard = MusicAnalyzer.analyze(composition.score).key
            #expect(heard?.tonic == PitchClass(2), "\(name): heard \(heard?.name ?? "nothing")")
        }
    }

    @Test func homeTonicLivesInTheConstraints() {
        var configuration = ComposerConfiguration(mapping: AffectMapping(homeTonic: PitchClass(7)))
        #expect(configuration.constraints.homeTonic == PitchClass(7))
        configuration.constraints = MusicalConstraints(homeTonic: PitchClass(2))
        #expect(configuration.mapping.homeTonic == PitchClass(2))
        let given = ComposerConfiguration(mapping: AffectMapping(homeTonic: PitchClass(7)), constraints: MusicalConstraints())
        #expect(given.mapping.homeTonic == PitchClass(0))
    }

    // MARK: validation

    @Test func impossibleConstraintsAreRefusedByName() {
        let bad: [(MusicalConstraints, String)] = [
            (MusicalConstraints(allowedModes: []), "modes"),
            (MusicalConstraints(tempoRange: 5...90), "tempo"),
            (MusicalConstraints(maxVelocity: 0), "velocity"),
            (MusicalConstraints(maxVelocity: 200), "velocity"),
            (MusicalConstraints(maxTension: 1.5), "tension"),
            (MusicalConstraints(registerOffset: -60), "register"),
        ]
        for (constraints, word) in bad {
            do {
                try ComposerConfiguration(constraints: constraints).validate()
                Issue.record("\(constraints) was accepted")
            } catch let error as EmoMusikError {
                #expect(error.message.contains(word), "\(error.message)")
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
        #expect(throws: Never.self) { try MusicalConstraints().validate() }
        #expect(throws: Never.self) {
            try MusicalConstraints(allowedModes: [.dorian], tempoRange: 60...90, maxVelocity: 70, percussion: false,
                                   maxTension: 0, registerOffset: -12, palette: .pentatonic).validate()
        }
    }
}

/// Palette and percussion changing during a piece through target keyframes.
@Suite struct TargetKeyframeTests {
    @Test func percussionOffAtTenSecondsSilencesDrumsFromTheNextBarLine() throws {
        let anger = Emotion.anger.affect
        let composer = Composer(configuration: ComposerConfiguration(seed: 2))
        let composition = composer.compose(targets: [
            TargetKeyframe(time: 0, affect: anger), TargetKeyframe(time: 10, affect: anger, percussion: false),
            TargetKeyframe(time: 30, affect: anger),
        ])
        let cut = try #require(composition.bars.first { $0.startSeconds >= 10 })
        let drums = composition.score.track(channel: 9)?.notes ?? []
        #expect(drums.filter { $0.tick >= cut.startTick }.isEmpty)
        #expect(drums.filter { $0.tick < cut.startTick }.count > 20)
        #expect(composition.bars.map(\.percussionAllowed) == composition.bars.map { $0.startSeconds < 10 })
        // The bar before the cut fades: its second half is softer than its first.
        let before = composition.bars[cut.index - 1]
        let half = before.startTick + (cut.startTick - before.startTick) / 2
        func mean(_ notes: [Note]) -> Double { notes.reduce(0) { $0 + Double($1.velocity) } / Double(max(notes.count, 1)) }
        let first = drums.filter { $0.tick >= before.startTick && $0.tick < half }
        let second = drums.filter { $0.tick >= half && $0.tick < cut.startTick }
        #expect(mean(second) < mean(first) - 5)
        ScoreValidityTests.check(composition, "percussion off at 10 s")
    }

    @Test func percussionComesBackAtTheBarLine() throws {
        let surprise = Emotion.surprise.affect
        let composition = Composer(configuration: ComposerConfiguration(seed: 3)).compose(targets: [
            TargetKeyframe(time: 0, affect: surprise, percussion: false), TargetKeyframe(time: 8, affect: surprise, percussion: true),
            TargetKeyframe(time: 20, affect: surprise),
        ])
        let back = try #require(composition.bars.first { $0.startSeconds >= 8 })
        let drums = composition.score.track(channel: 9)?.notes ?? []
        #expect(drums.allSatisfy { $0.tick >= back.startTick })
        #expect(drums.contains { $0.tick == back.startTick })
        // Constraints without percussion win over a keyframe asking for it.
        let silent = Composer(configuration: ComposerConfiguration(constraints: MusicalConstraints(percussion: false)))
            .compose(targets: [TargetKeyframe(time: 0, affect: surprise, percussion: true), TargetKeyframe(time: 20, affect: surprise)])
        #expect(silent.score.track(channel: 9)?.notes.isEmpty == true)
    }

    @Test func paletteChangesAtThePhraseStart() throws {
        let happy = Emotion.happiness.affect
        let composition = Composer(configuration: ComposerConfiguration(seed: 5)).compose(targets: [
            TargetKeyframe(time: 0, affect: happy), TargetKeyframe(time: 5, affect: happy, palette: .pentatonic),
            TargetKeyframe(time: 40, affect: happy),
        ])
        let change = try #require(composition.bars.first { $0.startSeconds >= 5 && $0.isPhraseStart })
        #expect(composition.bars.map(\.palette) == composition.bars.map { $0.index >= change.index ? .pentatonic : .diatonic })
        let key = composition.bars[0].intent.key
        let kept = Set(ScalePalette.pentatonic.pitchClasses(in: key).map(\.rawValue))
        let melody = composition.score.melody
        #expect(melody.filter { $0.tick >= change.startTick }.allSatisfy { kept.contains(Int($0.pitch) % 12) })
        // Before the change the melody uses the whole lydian scale.
        #expect(melody.filter { $0.tick < change.startTick }.contains { !kept.contains(Int($0.pitch) % 12) })
        ScoreValidityTests.check(composition, "palette change")
    }

    @Test func timelineIsAThinWrapperAndConstraintsAreDeterministic() throws {
        let timeline = try AffectTimeline(keyframes: [
            .init(time: 0, affect: Emotion.sadness.affect), .init(time: 12, affect: Emotion.surprise.affect),
            .init(time: 30, affect: Emotion.surprise.affect),
        ])
        let constraints = MusicalConstraints(
            homeTonic: PitchClass(9), allowedModes: [.dorian, .ionian], tempoRange: 70...120, maxVelocity: 90, maxTension: 0.3,
            registerOffset: 5, palette: .pentatonic)
        for configuration in [ComposerConfiguration(seed: 8), ComposerConfiguration(seed: 8, constraints: constraints)] {
            let composer = Composer(configuration: configuration)
            let viaTimeline = composer.compose(timeline: timeline)
            let viaTargets = composer.compose(targets: timeline.keyframes.map { TargetKeyframe(time: $0.time, affect: $0.affect) })
            #expect(viaTimeline == viaTargets)
            #expect(composer.compose(timeline: timeline) == viaTimeline)
        }
        // Default constraints change nothing.
        let plain = Composer(configuration: ComposerConfiguration(seed: 8)).compose(timeline: timeline)
        #expect(Composer(configuration: ComposerConfiguration(seed: 8, constraints: .unconstrained)).compose(timeline: timeline) == plain)
        // Keyframes out of order are taken in time order; none give one neutral bar.
        let composer = Composer(configuration: ComposerConfiguration(seed: 8))
        let shuffled = [timeline.keyframes[2], timeline.keyframes[0], timeline.keyframes[1]]
            .map { TargetKeyframe(time: $0.time, affect: $0.affect) }
        #expect(composer.compose(targets: shuffled) == plain)
        #expect(composer.compose(targets: []).bars.count == 1)
    }
}
