import Composer
import EmoMusikCore
import Testing

/// Structural rules every composed score must keep, over all emotions and grid points.
@Suite struct ScoreValidityTests {
    static func check(_ composition: Composition, _ label: String) {
        let score = composition.score
        #expect(score.ticksPerQuarter == 480)
        #expect(score.timeSignatures.first?.tick == 0)
        #expect(score.tempoMap.changes.first?.tick == 0)
        #expect(score.keyChanges.first?.tick == 0)
        #expect(!score.markers.isEmpty)
        #expect(score.endTick > 0)
        #expect(score.barStartTicks == composition.bars.map(\.startTick), "\(label)")
        #expect(Set(score.tracks.map(\.channel)) == [0, 1, 2, 9])
        for track in score.tracks {
            #expect(!track.name.isEmpty)
            let controllers = Set(track.controls.map(\.controller))
            #expect(controllers.contains(ControlChange.volume) && controllers.contains(ControlChange.reverbSend))
            var byPitch: [UInt8: [Note]] = [:]
            for note in track.notes {
                #expect(note.pitch <= 127 && note.velocity >= 1 && note.velocity <= 127)
                #expect(note.tick >= 0 && note.endTick <= score.endTick, "\(label) \(track.name) note ends after the piece")
                byPitch[note.pitch, default: []].append(note)
            }
            for (pitch, notes) in byPitch {
                let sorted = notes.sorted { $0.tick < $1.tick }
                for (a, b) in zip(sorted, sorted.dropFirst()) {
                    #expect(b.tick >= a.endTick, "\(label) \(track.name): pitch \(pitch) overlaps at tick \(b.tick)")
                }
            }
            if !track.isPercussion {
                #expect(!track.notes.isEmpty, "\(label) \(track.name) is silent")
            } else {
                let kit: Set<UInt8> = [36, 37, 38, 42, 45, 46, 47, 49, 50]
                #expect(track.notes.allSatisfy { kit.contains($0.pitch) })
            }
        }
        // Only the drum track is on channel 9, and it holds nothing but kit keys.
        #expect(score.tracks.filter { $0.channel == 9 }.count == 1)
    }

    @Test(arguments: AffectGrid.all.map(\.1))
    func constantAffectScoresAreWellFormed(_ affect: Affect) {
        Self.check(compose16(affect), "\(affect)")
    }

    @Test func otherMetersAreWellFormed() {
        for meter in [Meter.waltz, Meter(beatsPerBar: 6, beatUnit: 8), Meter(beatsPerBar: 5, beatUnit: 4), Meter(beatsPerBar: 7, beatUnit: 16)] {
            let configuration = ComposerConfiguration(meter: meter)
            #expect(throws: Never.self) { try configuration.validate() }
            for (name, affect) in AffectGrid.emotions {
                Self.check(Composer(configuration: configuration).compose(affect: affect, bars: 9), "\(meter) \(name)")
            }
        }
    }

    @Test func unsupportedSettingsAreRefusedByName() {
        let meter = ComposerConfiguration(meter: Meter(beatsPerBar: 4, beatUnit: 3))
        #expect(throws: EmoMusikError.self) { try meter.validate() }
        do {
            try meter.validate()
        } catch let error as EmoMusikError {
            #expect(error.message.contains("4/3"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
        let limits = ComposerConfiguration(limits: TransitionLimits(tempoPerBar: 0))
        #expect(throws: EmoMusikError.self) { try limits.validate() }
    }

    @Test func pieceEndsOnTheTonicChordAndRings() {
        for (name, affect) in AffectGrid.emotions {
            let composition = compose16(affect)
            let score = composition.score
            guard let last = composition.bars.last else {
                Issue.record("no bars")
                continue
            }
            let tonic = last.intent.key.tonic.rawValue
            #expect(last.chords.map(\.symbol) == [last.intent.key.mode.isMajor ? "I" : "i"], "\(name)")
            let finalMelody = score.melody.filter { $0.tick >= last.startTick }
            #expect(finalMelody.count == 1)
            #expect(finalMelody.first.map { Int($0.pitch) % 12 } == tonic)
            #expect(finalMelody.first?.endTick == score.endTick)
            let bass = score.track(channel: Composer.bassChannel)?.notes.filter { $0.tick >= last.startTick } ?? []
            #expect(bass.map { Int($0.pitch) % 12 } == [tonic])
            #expect(score.track(channel: Composer.padChannel)?.notes.contains { $0.endTick == score.endTick } == true)
        }
    }

    @Test func zeroOrNegativeBarCountsGiveOneBar() {
        let composer = Composer(configuration: ComposerConfiguration())
        #expect(composer.compose(affect: .neutral, bars: 0).bars.count == 1)
        #expect(composer.compose(affect: .neutral, bars: -3).bars.count == 1)
        Self.check(composer.compose(affect: .neutral, bars: 1), "one bar")
        Self.check(composer.compose(affect: .neutral, bars: 2), "two bars")
    }
}
