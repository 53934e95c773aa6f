import EmoMusikCore
import Testing

@Suite("Tempo map and keys")
struct TempoMapTests {
    @Test("ticks convert to seconds across tempo changes, and back")
    func ticksAndSeconds() {
        // 120 BPM for 4 beats (2 s), then 60 BPM.
        let map = TempoMap(changes: [TempoChange(tick: 0, bpm: 120), TempoChange(tick: 4 * 480, bpm: 60)])
        #expect(map.seconds(atTick: 480) == 0.5)
        #expect(map.seconds(atTick: 4 * 480) == 2)
        #expect(map.seconds(atTick: 5 * 480) == 3)
        #expect(map.tick(atSeconds: 3) == 5 * 480)
        #expect(map.tick(atSeconds: 1) == 2 * 480)
        #expect(map.bpm(atTick: 4 * 480 - 1) == 120)
        #expect(map.bpm(atTick: 4 * 480) == 60)
    }

    @Test("a map without a change at tick 0 starts at the MIDI default of 120 BPM")
    func defaultTempo() {
        let map = TempoMap(changes: [TempoChange(tick: 960, bpm: 90)])
        #expect(map.changes.first == TempoChange(tick: 0, microsecondsPerQuarter: 500_000))
        #expect(map.changes.count == 2)
    }

    @Test("key signatures: modes take their parent major key's accidentals")
    func keySignatures() {
        #expect(Key(tonic: PitchClass(2), mode: .dorian).signatureAccidentals == 0)  // D dorian: C major
        #expect(Key(tonic: PitchClass(9), mode: .aeolian).signatureAccidentals == 0)
        #expect(Key(tonic: PitchClass(7), mode: .ionian).signatureAccidentals == 1)
        #expect(Key(tonic: PitchClass(5), mode: .lydian).signatureAccidentals == 0)  // F lydian: C major
        #expect(Key(tonic: PitchClass(0), mode: .aeolian).signatureAccidentals == -3)
        #expect(Key(tonic: PitchClass(4), mode: .phrygian).signatureAccidentals == 0)
        #expect(PitchClass(name: "Bb") == PitchClass(10))
        #expect(PitchClass(name: "f#") == PitchClass(6))
        #expect(PitchClass(name: "H") == nil)
    }

    @Test("the map, its clocks at each change and a clock run change by change all sum as the map did, to the last bit",
          arguments: 0..<20)
    func clocksAgreeWithTheMap(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        // Tempos that do not divide evenly, so a different order of sums would show.
        let changes = (0..<Int(random.next() % 300) + 1).map { _ in
            TempoChange(tick: Int(random.next() % 500_000), microsecondsPerQuarter: 300_000 + Int(random.next() % 700_001))
        }
        let map = TempoMap(changes: changes)
        // The sum as the map made it before the clock: segment by segment from tick 0.
        func summed(_ tick: Int) -> Double {
            let last = map.changes.lastIndex { $0.tick <= tick } ?? 0
            var total = 0.0
            for i in 0...last {
                let end = i == last ? tick : map.changes[i + 1].tick
                total += Double(end - map.changes[i].tick) * Double(map.changes[i].microsecondsPerQuarter) / Double(map.ticksPerQuarter)
            }
            return total
        }
        let clocks = TempoMap.Clocks(map)
        var clock = TempoClock(ticksPerQuarter: map.ticksPerQuarter, first: map.changes[0])
        var next = 1
        for tick in (0..<400).map({ _ in Int(random.next() % 520_000) }).sorted() {
            while next < map.changes.count && map.changes[next].tick <= tick {
                clock.append(map.changes[next])
                next += 1
            }
            let expected = summed(tick)
            #expect(map.microseconds(atTick: tick) == expected, "seed \(seed), tick \(tick)")
            #expect(clocks.microseconds(atTick: tick) == expected, "seed \(seed), tick \(tick)")
            #expect(clock.microseconds(atTick: tick) == expected, "seed \(seed), tick \(tick)")
            #expect(clock.bpm == map.bpm(atTick: tick))
        }
        #expect(clocks.microseconds(atTick: -5) == map.microseconds(atTick: -5))
    }

    @Test("bar starts follow time-signature changes")
    func barStarts() {
        let score = Score(
            tempoMap: TempoMap(bpm: 100),
            timeSignatures: [TimeSignatureChange(tick: 0, meter: .commonTime), TimeSignatureChange(tick: 3840, meter: .waltz)],
            endTick: 3840 + 2 * 1440)
        #expect(score.barStartTicks == [0, 1920, 3840, 5280])
    }
}

@Suite("MIDI key signatures")
struct MIDIKeySignatureTests {
    @Test("modal keys are written as the plain major or minor key on their tonic")
    func modalKeysKeepTheirTonic() {
        #expect(Key(tonic: PitchClass(2), mode: .dorian).midiKeySignature == (-1, true))  // D minor
        #expect(Key(tonic: PitchClass(4), mode: .phrygian).midiKeySignature == (1, true))  // E minor
        #expect(Key(tonic: PitchClass(5), mode: .lydian).midiKeySignature == (-1, false))  // F major
        #expect(Key(tonic: PitchClass(0), mode: .ionian).midiKeySignature == (0, false))
        #expect(Key(tonic: PitchClass(9), mode: .aeolian).midiKeySignature == (0, true))
    }
}
