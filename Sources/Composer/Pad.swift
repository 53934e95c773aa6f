import EmoMusikCore

/// The pad: sustained, legato chord voicings in the middle register. Voices move to the nearest
/// tones of the next chord; common tones are held across chord changes; everything is struck
/// afresh at each phrase start.
struct PadGenerator {
    var grid: Grid
    /// No note is louder (a constraint's maximum velocity).
    var maxVelocity: Double = 127
    /// Semitones the pad's range moves by.
    var registerOffset: Int = 0
    /// Lowest and highest pad pitches without a register offset.
    static let range = 50...74

    /// ``range`` moved by the register offset, kept within MIDI's 0...127.
    var range: ClosedRange<Int> {
        let shift = min(max(registerOffset, -Self.range.lowerBound), 127 - Self.range.upperBound)
        return (Self.range.lowerBound + shift)...(Self.range.upperBound + shift)
    }

    /// A pad note that is sounding: when it started and how loud.
    struct Held: Hashable, Sendable {
        var start: Int
        var velocity: UInt8
    }

    /// What the pad carries from one bar to the next.
    struct State: Hashable, Sendable {
        /// The notes sounding, by pitch.
        var open: [Int: Held] = [:]
        /// The last chord's voicing.
        var voicing: [Int] = []
    }

    /// Voices `bar`'s chords after `state`: returns the notes that end in it (at its phrase start
    /// or where a chord drops them), in no particular order; the notes still sounding stay in `state`.
    func notes(for bar: BarPlan, state: inout State) -> [Note] {
        var notes: [Note] = []
        func close(_ pitch: Int, at tick: Int) {
            guard let note = state.open.removeValue(forKey: pitch), tick > note.start else { return }
            notes.append(Note(tick: note.start, duration: tick - note.start, pitch: UInt8(pitch), velocity: note.velocity))
        }
        if bar.isPhraseStart {
            for pitch in state.open.keys.sorted() { close(pitch, at: bar.startTick) }
        }
        for span in grid.chordSpans(of: bar) {
            state.voicing = Self.voice(span.chord, after: state.voicing, in: range)
            for pitch in state.open.keys.sorted() where !state.voicing.contains(pitch) { close(pitch, at: span.start) }
            let velocity = midiVelocity(bar.velocity(atTick: span.start) * 0.62, ceiling: maxVelocity)
            for pitch in state.voicing where state.open[pitch] == nil { state.open[pitch] = Held(start: span.start, velocity: velocity) }
        }
        return notes
    }

    /// The notes still sounding in `state`, ended at `end` (the end of the piece).
    func notes(endingAt end: Int, state: State) -> [Note] {
        state.open.keys.sorted().compactMap { pitch in
            let note = state.open[pitch]!
            guard end > note.start else { return nil }
            return Note(tick: note.start, duration: end - note.start, pitch: UInt8(pitch), velocity: note.velocity)
        }
    }

    /// The close-position voicing of `chord` in `range` nearest to `previous` (root position
    /// around the range's G3, five semitones above its bottom, when there is no previous voicing).
    static func voice(_ chord: Chord, after previous: [Int], in range: ClosedRange<Int> = Self.range) -> [Int] {
        let home = range.lowerBound + 5
        var best: [Int] = []
        var bestCost = Double.infinity
        let count = chord.tones.count
        for rotation in 0..<count {
            let order = (0..<count).map { chord.tones[(rotation + $0) % count].rawValue }
            for low in range where low % 12 == order[0] {
                var pitches = [low]
                for pc in order.dropFirst() {
                    var next = pitches[pitches.count - 1] + 1
                    while next % 12 != pc { next += 1 }
                    pitches.append(next)
                }
                guard let top = pitches.last, top <= range.upperBound else { continue }
                let cost: Double
                if previous.isEmpty {
                    cost = Double(abs(low - home)) + (rotation == 0 ? 0 : 4)
                } else {
                    cost = zip(pitches, previous).reduce(0) { $0 + Double(abs($1.0 - $1.1)) }
                        + Double(abs(pitches.count - previous.count)) * 2
                }
                if cost < bestCost {
                    bestCost = cost
                    best = pitches
                }
            }
        }
        return best
    }
}
