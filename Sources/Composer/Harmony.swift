import EmoMusikCore
import EmoMusikPlugins

/// A chord of the composed harmony: a root and the pitch classes above it.
public struct Chord: Hashable, Sendable, CustomStringConvertible {
    /// The harmonic role a chord plays in a phrase.
    public enum Function: String, Hashable, Sendable {
        case tonic, tonicSubstitute, subdominant, dominant
    }

    /// The chord's root (for inversions, still the root, not the bass).
    public var root: PitchClass
    /// Root first, then third, fifth and any seventh.
    public var tones: [PitchClass]
    /// Roman-numeral symbol relative to the key, e.g. `I`, `iv`, `V7`, `vii°7`.
    public var symbol: String
    /// The role the chord plays: tonic, tonic substitute, subdominant (pre-dominant) or dominant.
    public var function: Function

    /// The Roman-numeral symbol.
    public var description: String { symbol }

    /// The triad (or seventh chord) built in thirds on scale degree `degree` (0 = tonic) of `key`.
    static func diatonic(degree: Int, in key: Key, seventh: Bool, function: Function) -> Chord {
        let scale = key.scale
        let steps = seventh ? [0, 2, 4, 6] : [0, 2, 4]
        let tones = steps.map { scale[(degree + $0) % 7] }
        let third = (tones[1].rawValue - tones[0].rawValue + 12) % 12
        let fifth = (tones[2].rawValue - tones[0].rawValue + 12) % 12
        let numerals = ["i", "ii", "iii", "iv", "v", "vi", "vii"]
        let offset = (tones[0].rawValue - key.tonic.rawValue + 12) % 12
        let natural = [0, 2, 4, 5, 7, 9, 11][degree]
        var symbol = offset < natural ? "b" : (offset > natural ? "#" : "")
        symbol += third == 4 ? numerals[degree].uppercased() : numerals[degree]
        if fifth == 6 { symbol += "°" }
        if seventh { symbol += "7" }
        return Chord(root: tones[0], tones: tones, symbol: symbol, function: function)
    }

    /// The major dominant (V, or V7) of `key`'s tonic, whatever the mode: the harmonic-minor
    /// dominant in the minor modes, so every cadence leads home through a leading tone.
    static func dominant(of key: Key, seventh: Bool) -> Chord {
        let t = key.tonic.rawValue
        var tones = [PitchClass(t + 7), PitchClass(t + 11), PitchClass(t + 2)]
        if seventh { tones.append(PitchClass(t + 5)) }
        return Chord(root: tones[0], tones: tones, symbol: seventh ? "V7" : "V", function: .dominant)
    }

    /// The diminished seventh on the leading tone, the darkest dominant colour.
    static func leadingToneDiminished(of key: Key) -> Chord {
        let t = key.tonic.rawValue
        let tones = [PitchClass(t + 11), PitchClass(t + 2), PitchClass(t + 5), PitchClass(t + 8)]
        return Chord(root: tones[0], tones: tones, symbol: "vii°7", function: .dominant)
    }
}

/// Functional harmony in a key and mode, phrase by phrase.
///
/// Every phrase (``Composer/phraseLength`` bars) opens on the tonic and closes with an authentic
/// cadence onto the tonic in its last bar, so the tonic is unmistakable even in modes that share
/// their pitch set with another key (lydian, dorian, phrygian). Harmonic rhythm sets how many of
/// the phrase's functions get their own chord: slow (< 0.75 chords per bar) T T D T; medium
/// T (S or T′) S–D T; fast two chords per bar, T T′ | S S′ | S D | T; lydian, dorian and
/// phrygian vamp on the tonic in the second bar (T–S) at medium and fast harmonic rhythm. Tension adds sevenths and,
/// above 0.4, sometimes replaces the dominant with the leading-tone diminished seventh.
///
/// A bar with plain harmony (tension 0 or a pentatonic palette) keeps to ``isPlain(_:in:palette:)``
/// triads: a chord that is not is replaced by the first plain triad among its function's
/// alternatives (tonic substitute vi/bVI, iii/bIII; subdominant IV/iv, ii, vi; dominant V/v, VII/bVII,
/// II/bII; the tonic last), and the bar gets no pivot chord before a key change.
struct Harmony {
    var seed: UInt64

    /// The chords of `bar` (one or two) in a piece of `barCount` bars; `next` is the bar after
    /// it (nil for the last bar), whose key decides a pivot.
    func chords(for bar: BarPlan, next: BarPlan?, barCount: Int) -> [Chord] {
        var random = SeededRandom(seed: seed, stream: .harmony, index: bar.index)
        let functions = functions(for: bar, barCount: barCount, random: &random)
        var chords = functions.map { chord(for: $0, in: bar.intent, random: &random) }
        if bar.hasPlainHarmony {
            chords = chords.map { Self.plain($0, in: bar.intent.key, palette: bar.palette) }
        }
        // A pivot: when the next bar starts a new key, end this bar on the new key's dominant.
        if let next, next.intent.key != bar.intent.key, !bar.hasPlainHarmony {
            let pivot = Chord.dominant(of: next.intent.key, seventh: bar.intent.tension > 0.5)
            if chords.count == 1 { chords.append(pivot) } else { chords[chords.count - 1] = pivot }
        }
        return chords
    }

    private func functions(for bar: BarPlan, barCount: Int, random: inout SeededRandom) -> [Chord.Function] {
        let last = barCount - 1
        if bar.index == last { return [.tonic] }
        if bar.index == last - 1 { return bar.intent.harmonicRhythm >= 1.5 ? [.subdominant, .dominant] : [.dominant] }
        let rhythm = bar.intent.harmonicRhythm
        // Lydian, dorian and phrygian share their notes with a more familiar key: they vamp,
        // returning to the tonic in the second bar before moving on.
        let modal = [Mode.lydian, .dorian, .phrygian].contains(bar.intent.key.mode)
        switch (bar.phrasePosition, rhythm) {
        case (1, 0.75...) where modal: return [.tonic, .subdominant]
        case (0, ..<1.5): return [.tonic]
        case (0, _): return [.tonic, random.chance(0.6) ? .tonicSubstitute : .tonic]
        case (1, ..<0.75): return [.tonic]
        case (1, ..<1.5): return [random.chance(0.55) ? .subdominant : .tonicSubstitute]
        case (1, _): return [.subdominant, random.chance(0.5) ? .tonicSubstitute : .subdominant]
        case (2, ..<0.75): return [.dominant]
        case (2, _): return [.subdominant, .dominant]
        default: return [.tonic]
        }
    }

    private func chord(for function: Chord.Function, in intent: MusicalIntent, random: inout SeededRandom) -> Chord {
        let key = intent.key
        let seventh = random.chance(intent.tension * (function == .dominant ? 0.8 : 0.4))
        switch function {
        case .tonic:
            // The tonic stays a plain triad (a tonic seventh would blur the key).
            return .diatonic(degree: 0, in: key, seventh: false, function: .tonic)
        case .tonicSubstitute:
            return .diatonic(degree: tonicSubstituteDegree(in: key.mode, random: &random), in: key, seventh: seventh,
                             function: .tonicSubstitute)
        case .subdominant:
            return .diatonic(degree: subdominantDegree(in: key.mode, random: &random), in: key, seventh: seventh, function: .subdominant)
        case .dominant:
            // Lydian cadences II → I (its V is the tonic of the key a fifth above, which would
            // pull the ear away from the lydian tonic).
            if key.mode == .lydian && random.chance(0.75) {
                return .diatonic(degree: 1, in: key, seventh: false, function: .dominant)
            }
            // Dorian keeps its modal dominants (minor v, bVII): a major V next to the major IV
            // would sound like the parallel major.
            if key.mode == .dorian && random.chance(0.8) {
                let degree = random.chance(0.5) ? 4 : 6
                return .diatonic(degree: degree, in: key, seventh: seventh, function: .dominant)
            }
            if intent.tension > 0.4 && random.chance((intent.tension - 0.4) * 0.6) {
                return .leadingToneDiminished(of: key)
            }
            return .dominant(of: key, seventh: seventh)
        }
    }

    /// True for a triad of three different notes of `key`'s scale with a perfect fifth over its
    /// root (major or minor, never diminished), at least two of them in the palette.
    static func isPlain(_ chord: Chord, in key: Key, palette: ScalePalette) -> Bool {
        let scale = Set(key.scale)
        let kept = Set(palette.pitchClasses(in: key))
        let tones = chord.tones
        return tones.count == 3 && Set(tones).count == 3 && tones.allSatisfy(scale.contains)
            && (tones[2].rawValue - tones[0].rawValue + 12) % 12 == 7
            && tones.filter(kept.contains).count >= 2
    }

    /// `chord` if it is plain, otherwise the first plain triad among its function's alternatives.
    static func plain(_ chord: Chord, in key: Key, palette: ScalePalette) -> Chord {
        guard !isPlain(chord, in: key, palette: palette) else { return chord }
        let alternatives: [Int]
        switch chord.function {
        case .tonic: alternatives = [0]
        case .tonicSubstitute: alternatives = [5, 2, 0]
        case .subdominant: alternatives = [3, 1, 5, 0]
        case .dominant: alternatives = [4, 6, 1, 0]
        }
        for degree in alternatives {
            let candidate = Chord.diatonic(degree: degree, in: key, seventh: false, function: chord.function)
            if isPlain(candidate, in: key, palette: palette) { return candidate }
        }
        return .diatonic(degree: 0, in: key, seventh: false, function: chord.function)
    }

    /// A chord sharing two tones with the tonic: vi (sometimes iii) in the major modes, bIII
    /// (sometimes bVI) in the minor ones, but never lydian's iii (the relative minor of its V)
    /// or dorian's diminished vi.
    private func tonicSubstituteDegree(in mode: Mode, random: inout SeededRandom) -> Int {
        switch mode {
        case .lydian: 5
        case .ionian, .mixolydian: random.chance(0.7) ? 5 : 2
        case .dorian: 2
        case .aeolian, .phrygian: random.chance(0.6) ? 5 : 2
        }
    }

    /// The mode's characteristic pre-dominant: lydian's major II, dorian's major IV (or ii),
    /// phrygian's bII, mixolydian's bVII; ii or IV (iv) otherwise.
    private func subdominantDegree(in mode: Mode, random: inout SeededRandom) -> Int {
        switch mode {
        case .lydian: 1
        case .ionian: random.chance(0.8) ? 3 : 1
        case .mixolydian: random.chance(0.5) ? 3 : 6
        case .dorian: random.chance(0.6) ? 3 : 1
        case .aeolian: 3
        case .phrygian: random.chance(0.5) ? 1 : 3
        }
    }
}
