import EmoMusikCore
import EmoMusikPlugins

/// The metric grid of a score: ticks per beat and bar for a meter at 480 ticks per quarter, the
/// sixteenth-of-a-beat subdivision the generators place notes on, and where chords sit in a bar.
struct Grid: Sendable {
    let ticksPerQuarter = Score.defaultTicksPerQuarter
    let meter: Meter
    let beatsPerBar: Int
    let ticksPerBeat: Int
    /// Onset positions per beat (a sixteenth note in 4/4).
    let subdivisionsPerBeat = 4

    init(meter: Meter) {
        self.meter = meter
        beatsPerBar = meter.beatsPerBar
        ticksPerBeat = ticksPerQuarter * 4 / meter.beatUnit
    }

    var barTicks: Int { beatsPerBar * ticksPerBeat }
    var subdivisionTicks: Int { ticksPerBeat / subdivisionsPerBeat }
    var subdivisionsPerBar: Int { beatsPerBar * subdivisionsPerBeat }

    /// Quarter notes per minute for a tempo counted in the meter's beats.
    func quarterBPM(_ beatsPerMinute: Double) -> Double {
        beatsPerMinute * 4 / Double(meter.beatUnit)
    }

    /// Whether the meter is one the generators handle: 1...16 beats of a whole, half, quarter,
    /// eighth or sixteenth note.
    static func supports(_ meter: Meter) -> Bool {
        (1...16).contains(meter.beatsPerBar) && [1, 2, 4, 8, 16].contains(meter.beatUnit)
    }

    /// The metrically strong beat in the middle of the bar (beat 3 of 4/4), if the bar has one.
    var middleBeat: Int? { beatsPerBar >= 4 && beatsPerBar % 2 == 0 ? beatsPerBar / 2 : nil }

    /// The bar's chords with their tick spans: one chord fills the bar; two split it after the
    /// first ⌈beats / 2⌉ beats.
    func chordSpans(of bar: BarPlan) -> [(start: Int, end: Int, chord: Chord)] {
        let end = bar.startTick + barTicks
        guard bar.chords.count > 1, beatsPerBar > 1 else {
            return bar.chords.first.map { [(bar.startTick, end, $0)] } ?? []
        }
        let split = bar.startTick + (beatsPerBar + 1) / 2 * ticksPerBeat
        return [(bar.startTick, split, bar.chords[0]), (split, end, bar.chords[1])]
    }

    /// The chord sounding at `tick` within `bar`.
    func chord(at tick: Int, in bar: BarPlan) -> Chord? {
        chordSpans(of: bar).last { $0.start <= tick }?.chord ?? bar.chords.first
    }
}

/// A velocity clamped into MIDI's 1...127 and under `ceiling` (a constraint's maximum velocity).
func midiVelocity(_ x: Double, ceiling: Double = 127) -> UInt8 {
    let top = min(max(ceiling.rounded(.down), 1), 127)
    return UInt8(min(max(x.rounded(), 1), top))
}

/// Whether a bar's harmony must be plain: diatonic triads only (tension 0, which a pentatonic
/// palette also implies; see ``MusicalConstraints``).
extension BarPlan {
    var hasPlainHarmony: Bool { intent.tension <= 0 || palette == .pentatonic }
}

/// True when two pitches (or pitch classes) form a minor second, major seventh or tritone, in
/// any octave: interval class 1 or 6.
func isHarshInterval(_ a: Int, _ b: Int) -> Bool {
    let ic = ((a - b) % 12 + 12) % 12
    return ic == 1 || ic == 11 || ic == 6
}
