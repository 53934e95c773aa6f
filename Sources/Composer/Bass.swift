import EmoMusikCore

/// The bass: chord roots (the tonic under every tonic chord) and fifths, busier with arousal.
///
/// | realised arousal | pattern per chord |
/// | --- | --- |
/// | < −0.4 | the root, held |
/// | −0.4 ..< 0.2 | root, then the fifth at the chord's middle beat (two beats or more) |
/// | 0.2 ..< 0.6 | quarter notes: root, root/fifth/octave, ... |
/// | ≥ 0.6 | driving eighths on root, octave and fifth, syncopated by dropping weak eighths |
///
/// In lydian the bass holds a tonic pedal under every chord (with plain harmony, only under
/// chords that contain the tonic). The final bar holds the tonic.
struct BassGenerator {
    var seed: UInt64
    var grid: Grid
    /// No note is louder (a constraint's maximum velocity).
    var maxVelocity: Double = 127
    /// Semitones the bass register moves by.
    var registerOffset: Int = 0
    /// The lowest bass pitch (C2) without a register offset; roots sit within the octave above it.
    static let floor = 36

    /// ``floor`` moved by the register offset, leaving room for a root an octave and a fifth
    /// above it within MIDI's 0...127.
    var floor: Int { min(max(Self.floor + registerOffset, 0), 127 - 11 - 12) }

    /// The notes of `bar` in a piece of `barCount` bars.
    func notes(for bar: BarPlan, barCount: Int) -> [Note] {
        var notes: [Note] = []
        var random = SeededRandom(seed: seed, stream: .bass, index: bar.index)
        let isLast = bar.index == barCount - 1
        for span in grid.chordSpans(of: bar) {
            // Lydian rests on a tonic pedal (II over I is its signature sound), but plain
            // harmony keeps the pedal consonant.
            let tonic = bar.intent.key.tonic
            let pedal = bar.intent.key.mode == .lydian && (!bar.hasPlainHarmony || span.chord.tones.contains(tonic))
            let bassClass = pedal ? tonic : span.chord.root
            let root = floor + (bassClass.rawValue - floor % 12 + 12) % 12
            let pattern = isLast ? [(0, span.end - span.start, 0)] : pattern(
                length: span.end - span.start, arousal: bar.affect.arousal, syncopation: bar.intent.syncopation,
                random: &random)
            let gate = isLast ? 1 : max(bar.intent.articulation, 0.6)
            for (offset, length, interval) in pattern {
                let duration = max(Int(Double(length) * gate), 1)
                let accent = offset == 0 ? 8.0 : 0
                notes.append(Note(
                    tick: span.start + offset, duration: duration, pitch: UInt8(root + interval),
                    velocity: midiVelocity(bar.velocity(atTick: span.start + offset) * 0.9 + accent, ceiling: maxVelocity)))
            }
        }
        return notes
    }

    /// (offset, length, interval above the root) of each note in a chord lasting `length` ticks.
    private func pattern(length: Int, arousal: Double, syncopation: Double, random: inout SeededRandom) -> [(Int, Int, Int)] {
        let beat = grid.ticksPerBeat
        let beats = max(length / beat, 1)
        switch arousal {
        case ..<(-0.4):
            return [(0, length, 0)]
        case ..<0.2:
            guard beats >= 2 else { return [(0, length, 0)] }
            let middle = (beats + 1) / 2 * beat
            return [(0, middle, 0), (middle, length - middle, random.chance(0.7) ? 7 : 0)]
        case ..<0.6:
            return (0..<beats).map { index in
                let interval = index == 0 ? 0 : (random.weighted([(0, 0.45), (7, 0.35), (12, 0.2)]) ?? 0)
                return (index * beat, beat, interval)
            }
        default:
            let eighth = beat / 2
            var result: [(Int, Int, Int)] = []
            for index in 0..<(beats * 2) {
                let offBeat = index % 2 == 1
                // Syncopation drops some eighths after a beat so the next off-beat pushes.
                if index > 0 && !offBeat && random.chance(syncopation * 0.35) { continue }
                let interval = index == 0 ? 0 : (random.weighted([(0, 0.5), (12, 0.3), (7, 0.2)]) ?? 0)
                result.append((index * eighth, eighth, interval))
            }
            // A dropped eighth lets the previous note sound through its slot.
            for i in result.indices {
                let next = i + 1 < result.count ? result[i + 1].0 : length
                result[i].1 = next - result[i].0
            }
            return result
        }
    }
}
