import EmoMusikCore
import EmoMusikPlugins

/// The emotion → music rules: a continuous, mostly linear map from a point on the circumplex to
/// the listener-level cues of a ``MusicalIntent`` (DESIGN.md §5; Gabrielsson & Lindström 2010,
/// Juslin & Laukka 2004, Livingstone et al. 2010).
///
/// With valence `v` and arousal `a` in -1...1:
///
/// | cue | formula | range |
/// | --- | --- | --- |
/// | mode | v ≥ 0.55 lydian, 0 ≤ v < 0.55 ionian, -0.3 ≤ v < 0 dorian, -0.75 ≤ v < -0.3 aeolian, else phrygian | |
/// | tonic | always ``homeTonic`` (parallel modes: a change of mood changes the mode, never the tonic) | |
/// | tempo (BPM) | 110 + 50a + 5v | 60...160 |
/// | density (melody notes per beat) | 1.5 + 1.25a + 0.25v | 0.5...4 |
/// | velocity | 78 + 30a + 4v | 40...112 |
/// | articulation (gate) | 0.675 − 0.275a − 0.05v | 0.35...1 |
/// | register (melody centre, MIDI) | 64 + 8v + 3a | |
/// | register span (semitones) | 13 + 5a | 8...18 |
/// | harmonic rhythm (chords per bar) | 1.25 + 0.75a | 0.5...2 |
/// | syncopation | 0.25 + 0.45a + 0.1v | 0...1 |
/// | tension | 0.35 − 0.3v + 0.25a | 0...1 |
/// | percussion | (a + 0.3) / 1.3 | 0...1 (0 for a ≤ −0.3) |
///
/// The ensemble (General MIDI programs, 0-based) brightens with arousal: flute 73 (clarinet 71
/// when unpleasant) over warm pad 89 and fingered bass 33 when calm (a < −0.3), piano 0 over
/// strings 48 and acoustic bass 32 in the middle (a < 0.4), trumpet 56 (pleasant) or violin 40
/// (unpleasant) over strings 48 and picked bass 34 when aroused; drums whenever percussion > 0.
///
/// The meter of the returned intent is ``meter``; the composer replaces it with its own.
///
/// ``constraints`` then bound the table (see ``MusicalConstraints``): the nearest allowed mode,
/// the tempo line rescaled onto the allowed range, velocity scaled under the maximum, tension
/// capped, the register offset added, the constraint's ensemble and percussion switch. The
/// palette is not part of an intent; the composer realises it bar by bar.
public struct AffectMapping: Sendable, Hashable {
    /// What the mapping must stay within; the defaults constrain nothing.
    public var constraints: MusicalConstraints
    /// The tonic of every key the mapping chooses (the constraints' home tonic).
    public var homeTonic: PitchClass {
        get { constraints.homeTonic }
        set { constraints.homeTonic = newValue }
    }
    /// The meter written into every intent.
    public var meter: Meter

    /// Valence at or above which the mode is lydian.
    public static let lydianThreshold = 0.55
    /// Valence at or above which the mode is ionian (so valence 0 is major).
    public static let ionianThreshold = 0.0
    /// Valence at or above which the mode is dorian.
    public static let dorianThreshold = -0.3
    /// Valence at or above which the mode is aeolian; below it, phrygian.
    public static let aeolianThreshold = -0.75
    /// Arousal at or below which there are no drums.
    public static let percussionThreshold = -0.3
    /// The tempo range the mapping produces, in beats per minute.
    public static let tempoRange: ClosedRange<Double> = 60...160
    /// The velocity range the mapping produces.
    public static let velocityRange: ClosedRange<Double> = 40...112

    /// - Parameters:
    ///   - homeTonic: the tonic of every key; when nil, the constraints' (default C).
    ///   - meter: the meter written into every intent (default 4/4).
    ///   - constraints: what the mapping must stay within (default none).
    public init(homeTonic: PitchClass? = nil, meter: Meter = .commonTime, constraints: MusicalConstraints = .unconstrained) {
        self.constraints = constraints
        self.meter = meter
        if let homeTonic { self.constraints.homeTonic = homeTonic }
    }

    /// The mode for a valence (see the thresholds).
    public static func mode(forValence v: Double) -> Mode {
        switch v {
        case lydianThreshold...: .lydian
        case ionianThreshold...: .ionian
        case dorianThreshold...: .dorian
        case aeolianThreshold...: .aeolian
        default: .phrygian
        }
    }

    /// The musical intent for `affect` (see the type's table), within ``constraints``.
    public func intent(for affect: Affect) -> MusicalIntent {
        let v = affect.valence
        let a = affect.arousal
        var ensemble = Self.ensemble(valence: v, arousal: a)
        if let chosen = constraints.ensemble {
            ensemble = Ensemble(
                melody: chosen.melody, pad: chosen.pad, bass: chosen.bass, percussion: chosen.percussion && ensemble.percussion)
        }
        if !constraints.percussion { ensemble.percussion = false }
        let percussion = clamp((a - Self.percussionThreshold) / (1 - Self.percussionThreshold), 0...1)
        return MusicalIntent(
            key: Key(tonic: homeTonic, mode: constraints.nearestAllowedMode(to: Self.mode(forValence: v))),
            tempo: constraints.rescaledTempo(clamp(110 + 50 * a + 5 * v, Self.tempoRange)),
            meter: meter,
            density: clamp(1.5 + 1.25 * a + 0.25 * v, 0.5...4),
            velocity: clamp(78 + 30 * a + 4 * v, Self.velocityRange) * constraints.velocityScale,
            articulation: clamp(0.675 - 0.275 * a - 0.05 * v, 0.35...1),
            register: clamp(64 + 8 * v + 3 * a + Double(constraints.registerOffset), 0...127),
            registerSpan: clamp(13 + 5 * a, 8...18),
            harmonicRhythm: clamp(1.25 + 0.75 * a, 0.5...2),
            syncopation: clamp(0.25 + 0.45 * a + 0.1 * v, 0...1),
            tension: min(clamp(0.35 - 0.3 * v + 0.25 * a, 0...1), max(constraints.maxTension, 0)),
            percussion: ensemble.percussion ? percussion : 0,
            ensemble: ensemble
        )
    }

    /// General MIDI programs (0-based) by arousal band, and by valence when aroused.
    static func ensemble(valence v: Double, arousal a: Double) -> Ensemble {
        let drums = a > percussionThreshold
        switch a {
        case ..<(-0.3):
            // Flute (or clarinet, whose low register suits unpleasant calm), warm pad,
            // fingered electric bass (soft attack).
            return Ensemble(melody: v >= 0 ? 73 : 71, pad: 89, bass: 33, percussion: drums)
        case ..<0.4:
            // Acoustic grand piano, string ensemble, acoustic bass.
            return Ensemble(melody: 0, pad: 48, bass: 32, percussion: drums)
        default:
            // Trumpet (bright) or violin (tense), string ensemble, picked bass.
            return Ensemble(melody: v >= 0 ? 56 : 40, pad: 48, bass: 34, percussion: drums)
        }
    }
}

@inline(__always)
func clamp(_ x: Double, _ range: ClosedRange<Double>) -> Double {
    min(max(x, range.lowerBound), range.upperBound)
}
