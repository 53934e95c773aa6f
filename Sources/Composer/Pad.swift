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

    func notes(for bars: [BarPlan]) -> [Note] {
        var notes: [Note] = []
        var open: [Int: (start: Int, velocity: UInt8)] = [:]
        var voicing: [Int] = []
        func close(_ pitch: Int, at tick: Int) {
            guard let note = open.removeValue(forKey: pitch), tick > note.start else { return }
            notes.append(Note(tick: note.start, duration: tick - note.start, pitch: UInt8(pitch), velocity: note.velocity))
        }
        for bar in bars {
            let velocity = midiVelocity(bar.intent.velocity * 0.62, ceiling: maxVelocity)
            if bar.isPhraseStart {
                for pitch in open.keys.sorted() { close(pitch, at: bar.startTick) }
            }
            for span in grid.chordSpans(of: bar) {
                voicing = Self.voice(span.chord, after: voicing, in: range)
                for pitch in open.keys.sorted() where !voicing.contains(pitch) { close(pitch, at: span.start) }
                for pitch in voicing where open[pitch] == nil { open[pitch] = (span.start, velocity) }
            }
        }
        let end = (bars.last?.startTick ?? 0) + grid.barTicks
        for pitch in open.keys.sorted() { close(pitch, at: end) }
        return notes.sorted { ($0.tick, $0.pitch) < ($1.tick, $1.pitch) }
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
