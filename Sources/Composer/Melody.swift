import EmoMusikCore
import EmoMusikPlugins
import Foundation

/// The melody: one line in phrases, arch-shaped around the register centre.
///
/// - Density sets how many notes a bar gets (notes per beat × beats, with the rounding error
///   carried to the next bar so the mean is exact); onsets go to the metrically strongest
///   sixteenth positions, with syncopation (and a little chance) favouring off-beats.
/// - On beats, the melody takes the chord tone nearest its contour (favouring the root of a
///   tonic chord, avoiding repeated notes); between beats it moves by
///   step through the scale (passing tones, adjusted to the chord's chromatic tones).
/// - Each phrase's last bar thins out and comes to rest: on the tonic at the end of an 8-bar
///   period or the piece, on the third or fifth halfway through.
/// - Articulation sets the gate: the fraction of the time to the next onset that sounds.
/// - A pentatonic bar uses only the palette's notes: chord tones in the palette on beats,
///   steps through the pentatonic scale between them.
/// - In a bar with plain harmony a note that would sound on into a strong beat or a chord change
///   of its bar and form a minor second, major seventh or tritone with a tone of the chord
///   there is cut at that point;
///   a phrase coming to rest over a chord without the resting note rests on a tonic-triad tone
///   of that chord instead.
struct MelodyGenerator {
    var seed: UInt64
    var grid: Grid
    var phraseLength: Int
    /// No note is louder (a constraint's maximum velocity).
    var maxVelocity: Double = 127
    /// Semitones the pitch limits move by (the register itself moves in the intent).
    var registerOffset: Int = 0

    /// What the melody carries from one bar to the next.
    struct State: Hashable, Sendable {
        /// The rounding error of the bars' note counts so far, carried so the mean density is exact.
        var carry = 0.0
        /// The last pitch played (nil before the first note).
        var previous: Int?
        /// How high the current phrase's arch rises.
        var arch = 0.6
    }

    /// A note's start, before the next start gives it a length.
    struct Onset {
        var tick: Int
        var pitch: Int
        var velocity: UInt8
        var bar: BarPlan
        var restsAfter: Bool
    }

    /// The onsets of `bar` in a piece of `barCount` bars, carrying on from `state`.
    func onsets(for bar: BarPlan, barCount: Int, state: inout State) -> [Onset] {
        var onsets: [Onset] = []
        var random = SeededRandom(seed: seed, stream: .melody, index: bar.index)
        if bar.isPhraseStart || state.previous == nil { state.arch = random.uniform(0.35...0.9) }
        let isLast = bar.index == barCount - 1
        let isCadence = isLast || bar.phrasePosition == phraseLength - 1
        let exact = bar.intent.density * Double(grid.beatsPerBar) + state.carry
        var count = max(Int(exact.rounded()), 1)
        state.carry = exact - Double(count)
        count = min(count, grid.subdivisionsPerBar)
        if isLast { count = 1 } else if isCadence { count = max(1, (count + 1) / 2) }
        let positions = onsetPositions(count: count, bar: bar, cadence: isCadence, random: &random)
        let (low, high) = range(of: bar.intent)
        for (n, position) in positions.enumerated() {
            let tick = bar.startTick + position * grid.subdivisionTicks
            guard let chord = grid.chord(at: tick, in: bar) else { continue }
            let progress = (Double(bar.phrasePosition) + Double(position) / Double(grid.subdivisionsPerBar))
                / Double(phraseLength)
            let halfSpan = Double(high - low) / 2
            let target = bar.intent.register + halfSpan * (state.arch * sin(Double.pi * progress) - 0.3)
            let pitch: Int
            if isCadence && n == 0 {
                pitch = restingPitch(bar: bar, chord: chord, final: isLast, low: low, high: high, target: target,
                                     random: &random)
            } else if position % grid.subdivisionsPerBeat == 0 || state.previous == nil {
                pitch = chordTone(chord, palette: bar.palette, key: bar.intent.key, near: target, previous: state.previous,
                                  low: low, high: high, random: &random)
            } else {
                pitch = passingTone(from: state.previous ?? Int(target), toward: target, key: bar.intent.key, chord: chord,
                                    palette: bar.palette, low: low, high: high, random: &random)
            }
            state.previous = pitch
            onsets.append(Onset(
                tick: tick, pitch: pitch, velocity: velocity(at: position, tick: tick, bar: bar, random: &random), bar: bar,
                restsAfter: isCadence && n == positions.count - 1))
        }
        return onsets
    }

    /// The notes of consecutive `onsets` (in time order): each sounds for its articulation's share
    /// of the time to the next onset, the last until `end`.
    func notes(from onsets: [Onset], end: Int) -> [Note] {
        onsets.indices.map { i in
            let onset = onsets[i]
            let next = i + 1 < onsets.count ? onsets[i + 1].tick : end
            let gap = next - onset.tick
            var duration: Int
            if i == onsets.count - 1 {
                duration = gap  // the final note rings to the end
            } else if onset.restsAfter {
                // Hold the phrase's last note, then breathe for half a beat.
                duration = max(min(gap - grid.ticksPerBeat / 2, Int(Double(gap) * max(onset.bar.intent.articulation, 0.85))), gap / 2)
            } else {
                duration = Int(Double(gap) * onset.bar.intent.articulation)
            }
            duration = min(max(duration, min(gap, grid.subdivisionTicks)), gap)
            if onset.bar.hasPlainHarmony {
                duration = cutBeforeClash(pitch: onset.pitch, tick: onset.tick, duration: duration, bar: onset.bar)
            }
            return Note(tick: onset.tick, duration: max(duration, 1), pitch: UInt8(onset.pitch), velocity: onset.velocity)
        }
    }

    /// The melody's lowest and highest pitch for an intent, widened to the nearest tonic when
    /// the span holds none (so phrases can always come home).
    /// The limits (36...96 for the lowest note, 43...103 for the highest) move with the
    /// register offset, within MIDI's 0...127.
    private func range(of intent: MusicalIntent) -> (Int, Int) {
        let half = max(intent.registerSpan, 7) / 2
        let o = registerOffset
        var low = min(max(Int((intent.register - half).rounded()), max(36 + o, 0)), min(96 + o, 115))
        var high = min(max(Int((intent.register + half).rounded()), max(43 + o, 12)), min(103 + o, 127))
        let tonic = intent.key.tonic.rawValue
        if !(low...high).contains(where: { $0 % 12 == tonic }) {
            let below = low - (low - tonic + 120) % 12
            let above = high + (tonic - high + 120) % 12
            if (low - below <= above - high && below >= 0) || above > 127 { low = below } else { high = above }
        }
        return (low, high)
    }

    /// `duration`, or shorter so the note stops at the first strong beat (the downbeat or the
    /// middle beat) or chord change of its bar where it would clash with the chord sounding
    /// there (see ``isHarshInterval(_:_:)``).
    private func cutBeforeClash(pitch: Int, tick: Int, duration: Int, bar: BarPlan) -> Int {
        let strong = ([0] + (grid.middleBeat.map { [$0] } ?? [])).map { bar.startTick + $0 * grid.ticksPerBeat }
        let changes = grid.chordSpans(of: bar).map(\.start)
        for t in Set(strong + changes).sorted() where t > tick && t < tick + duration {
            if let chord = grid.chord(at: t, in: bar), chord.tones.contains(where: { isHarshInterval(pitch, $0.rawValue) }) {
                return t - tick
            }
        }
        return duration
    }

    /// The `count` strongest sixteenth positions of the bar, in time order; a cadence bar uses
    /// only its first half so the phrase can breathe.
    private func onsetPositions(count: Int, bar: BarPlan, cadence: Bool, random: inout SeededRandom) -> [Int] {
        let perBeat = grid.subdivisionsPerBeat
        let available = cadence ? max(grid.subdivisionsPerBar / 2, 1) : grid.subdivisionsPerBar
        let syncopation = bar.intent.syncopation
        let weights: [(Int, Double)] = (0..<available).map { position in
            let sub = position % perBeat
            let beat = position / perBeat
            var weight: Double
            if position == 0 {
                weight = 10
            } else if sub == 0 {
                weight = beat == grid.middleBeat ? 0.9 : 0.8
            } else if sub == perBeat / 2 {
                weight = 0.5 + syncopation * 0.35
            } else {
                weight = 0.2 + syncopation * 0.2
            }
            return (position, weight + random.uniform(0...0.25))
        }
        return weights.sorted { $0.1 > $1.1 }.prefix(count).map(\.0).sorted()
    }

    private func chordTone(_ chord: Chord, palette: ScalePalette, key: Key, near target: Double, previous: Int?,
                           low: Int, high: Int, random: inout SeededRandom) -> Int {
        var classes = Set(chord.tones.map(\.rawValue))
        if palette != .diatonic {
            let kept = classes.intersection(palette.pitchClasses(in: key).map(\.rawValue))
            if !kept.isEmpty { classes = kept }
        }
        let candidates = (low...high).filter { classes.contains($0 % 12) }
        // The root of a tonic chord is preferred: the melody keeps naming home.
        let homeRoot = chord.function == .tonic ? chord.root.rawValue : -1
        let scored = candidates.map { pitch -> (Int, Double) in
            let leap = previous.map { Double(abs(pitch - $0)) } ?? 0
            let home = pitch % 12 == homeRoot ? -1.5 : 0
            let repeated = pitch == previous ? 2.0 : 0
            return (pitch, abs(Double(pitch) - target) + 0.5 * leap + home + repeated + random.uniform(0...2))
        }
        return scored.min { $0.1 < $1.1 }?.0 ?? Int(target.rounded())
    }

    /// One or (sometimes) two scale steps from `pitch` toward `target`.
    private func passingTone(from pitch: Int, toward target: Double, key: Key, chord: Chord, palette: ScalePalette,
                             low: Int, high: Int, random: inout SeededRandom) -> Int {
        let scale = palette == .diatonic
            ? Self.scale(of: key, over: chord) : Set(palette.pitchClasses(in: key).map(\.rawValue))
        let direction: Int
        if abs(target - Double(pitch)) < 1.5 { direction = random.chance(0.5) ? 1 : -1 } else { direction = target > Double(pitch) ? 1 : -1 }
        var steps = random.chance(0.2) ? 2 : 1
        var next = pitch
        while steps > 0 {
            next += direction
            if scale.contains((next % 12 + 12) % 12) { steps -= 1 }
        }
        if next < low || next > high {
            // Turn back inside the range.
            next = pitch
            repeat { next -= direction } while !scale.contains((next % 12 + 12) % 12)
        }
        return min(max(next, 0), 127)
    }

    /// The key's scale with any chromatic chord tone (a leading tone in a minor-mode dominant)
    /// replacing its neighbouring scale tones.
    static func scale(of key: Key, over chord: Chord) -> Set<Int> {
        var scale = Set(key.scale.map(\.rawValue))
        for tone in chord.tones.map(\.rawValue) where !scale.contains(tone) {
            scale.remove((tone + 1) % 12)
            scale.remove((tone + 11) % 12)
            scale.insert(tone)
        }
        return scale
    }

    /// Where a phrase comes to rest: the tonic at a period's end or the piece's end, otherwise the
    /// third or fifth of the tonic chord.
    private func restingPitch(bar: BarPlan, chord: Chord, final: Bool, low: Int, high: Int, target: Double,
                              random: inout SeededRandom) -> Int {
        let tonic = bar.intent.key.tonic.rawValue
        let periodEnd = final || (bar.index / phraseLength) % 2 == 1
        let triad = bar.intent.key.mode.isMajor ? [0, 4, 7] : [0, 3, 7]
        let interval = periodEnd ? 0 : (random.pick([triad[1], triad[2]]) ?? 0)
        var pitchClass = (tonic + interval) % 12
        let tones = chord.tones.map(\.rawValue)
        if bar.hasPlainHarmony && !tones.contains(pitchClass) {
            // Rest on a tonic-triad tone the chord holds, or else on its root.
            pitchClass = triad.map { (tonic + $0) % 12 }.first(where: tones.contains) ?? chord.root.rawValue
        }
        let candidates = (max(low - 6, 0)...min(high + 6, 127)).filter { $0 % 12 == pitchClass }
        let centre = (Double(low) + Double(high)) / 2
        return candidates.min { abs(Double($0) - centre) < abs(Double($1) - centre) } ?? Int(target.rounded())
    }

    private func velocity(at position: Int, tick: Int, bar: BarPlan, random: inout SeededRandom) -> UInt8 {
        let perBeat = grid.subdivisionsPerBeat
        var accent: Double
        if position == 0 {
            accent = 6
        } else if position % perBeat == 0 {
            accent = 2
        } else {
            accent = -4 + bar.intent.syncopation * 8 * (position % (perBeat / 2) == 0 ? 1 : 0.5)
        }
        accent += random.uniform(-3...3)
        return midiVelocity(bar.velocity(atTick: tick) + accent, ceiling: maxVelocity)
    }
}
