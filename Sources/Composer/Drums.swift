import EmoMusikCore

/// General MIDI percussion (channel 10, index 9) following arousal through the intent's
/// percussion level `p` (0 = silent, which the mapping gives at arousal ≤ −0.3).
///
/// | p | pattern |
/// | --- | --- |
/// | 0 | nothing |
/// | 0 ..< 0.35 | kick on the downbeat, closed hat on the beats, side stick on the back beats above 0.15 |
/// | 0.35 ..< 0.75 | kick on the strong beats, snare back beat, closed hats in eighths |
/// | ≥ 0.75 | as above with sixteenth hats (eighths above 130 BPM) and an open hat, extra syncopated kicks |
///
/// Above 0.6 a crash marks each phrase start and a snare-and-tom fill leads into it. The final
/// bar is a single crash and kick on the downbeat.
///
/// Where the targets switch percussion off (``BarPlan/percussionAllowed``) the bar before fades
/// from full to half velocity and leads into the silence with no fill; where they switch it back
/// on, the first bar fades in from half to full velocity, with no crash.
struct DrumGenerator {
    var seed: UInt64
    var grid: Grid
    var phraseLength: Int
    /// No note is louder (a constraint's maximum velocity).
    var maxVelocity: Double = 127

    /// General MIDI percussion keys.
    enum Kit {
        static let kick: UInt8 = 36
        static let sideStick: UInt8 = 37
        static let snare: UInt8 = 38
        static let closedHat: UInt8 = 42
        static let openHat: UInt8 = 46
        static let lowTom: UInt8 = 45
        static let midTom: UInt8 = 47
        static let highTom: UInt8 = 50
        static let crash: UInt8 = 49
    }

    /// How long each drum note lasts (drums ignore note-off in GM, but files want one).
    static let hitTicks = 60

    /// The hits of `bar` in a piece of `barCount` bars, in time order; `previous` and `next` are
    /// the bars around it (nil at the piece's ends), for fades and the fill into a phrase.
    func notes(for bar: BarPlan, previous: BarPlan?, next: BarPlan?, barCount: Int) -> [Note] {
        let p = bar.intent.percussion
        guard p > 0, bar.intent.ensemble.percussion else { return [] }
        var notes: [Note] = []
        var random = SeededRandom(seed: seed, stream: .drums, index: bar.index)
        var hits: [Int: [UInt8: Double]] = [:]  // subdivision → key → velocity
        func hit(_ position: Int, _ key: UInt8, _ velocity: Double) {
            guard position >= 0, position < grid.subdivisionsPerBar else { return }
            hits[position, default: [:]][key] = max(hits[position]?[key] ?? 0, velocity)
        }
        let base = bar.intent.velocity * (0.6 + 0.4 * p)
        let perBeat = grid.subdivisionsPerBeat
        let isLast = bar.index == barCount - 1
        let fadesIn = previous.map { !$0.percussionAllowed } ?? false
        let fadesOut = next.map { !$0.percussionAllowed } ?? false
        if isLast {
            hit(0, Kit.kick, base + 10)
            hit(0, Kit.crash, base)
        } else {
            pattern(bar: bar, p: p, base: base, random: &random, hit: hit)
            if p > 0.6 && bar.isPhraseStart && !fadesIn { hit(0, Kit.crash, base + 5) }
            let nextIsPhraseStart = next?.isPhraseStart ?? false
            if p > 0.6 && nextIsPhraseStart && bar.index + 1 < barCount - 1 && !fadesOut {
                let toms = [Kit.snare, Kit.highTom, Kit.midTom, Kit.lowTom]
                let start = grid.subdivisionsPerBar - perBeat
                for i in 0..<perBeat {
                    hit(start + i, toms[min(i, toms.count - 1)], base + Double(i) * 3)
                }
            }
        }
        for (position, keys) in hits {
            let through = Double(position) / Double(grid.subdivisionsPerBar)
            var gain = 1.0
            if fadesIn { gain *= 0.5 + 0.5 * through }
            if fadesOut { gain *= 1 - 0.5 * through }
            let tick = bar.startTick + position * grid.subdivisionTicks
            // A beat's revised velocity moves the hits as it moves `base`.
            let shift = (bar.velocity(atTick: tick) - bar.intent.velocity) * (0.6 + 0.4 * p)
            for (key, velocity) in keys {
                notes.append(Note(
                    tick: tick, duration: min(Self.hitTicks, grid.subdivisionTicks), pitch: key,
                    velocity: midiVelocity((velocity + shift) * gain, ceiling: maxVelocity)))
            }
        }
        return notes.sorted { ($0.tick, $0.pitch) < ($1.tick, $1.pitch) }
    }

    private func pattern(bar: BarPlan, p: Double, base: Double, random: inout SeededRandom,
                         hit: (Int, UInt8, Double) -> Void) {
        let perBeat = grid.subdivisionsPerBeat
        let beats = grid.beatsPerBar
        let strong = [0] + (grid.middleBeat.map { [$0] } ?? [])
        let backBeats = (0..<beats).filter { !strong.contains($0) && (beats > 3 ? $0 % 2 == 1 : $0 > 0) }
        let syncopation = bar.intent.syncopation
        // Kick.
        if p < 0.35 {
            hit(0, Kit.kick, base + 6)
        } else {
            for beat in strong { hit(beat * perBeat, Kit.kick, base + 10) }
            for beat in backBeats where random.chance(syncopation * 0.5) {
                hit(beat * perBeat + perBeat / 2, Kit.kick, base)
            }
            if p >= 0.75, let middle = grid.middleBeat, random.chance(0.3 + syncopation * 0.3) {
                hit(middle * perBeat - 1, Kit.kick, base - 4)
            }
        }
        // Snare or side stick on the back beats.
        if p >= 0.35 {
            for beat in backBeats { hit(beat * perBeat, Kit.snare, base + 4) }
        } else if p > 0.15 {
            for beat in backBeats { hit(beat * perBeat, Kit.sideStick, base - 12) }
        }
        // Hats.
        let hatStep: Int
        switch p {
        case ..<0.35: hatStep = perBeat
        case ..<0.75: hatStep = perBeat / 2
        default: hatStep = bar.intent.tempo > 130 ? perBeat / 2 : perBeat / 4
        }
        for position in stride(from: 0, to: grid.subdivisionsPerBar, by: max(hatStep, 1)) {
            let onBeat = position % perBeat == 0
            hit(position, Kit.closedHat, base - (onBeat ? 8 : 16) + random.uniform(-3...3))
        }
        if p >= 0.75 {
            hit(grid.subdivisionsPerBar - perBeat / 2, Kit.openHat, base - 6)
        }
    }
}
