import EmoMusikCore
import EmoMusikPlugins

/// The composer's reading of ``ScalePalette`` (declared in the plugin API, so strategies can ask
/// for it): `.pentatonic` keeps the mode's five-note subset — major pentatonic (scale degrees
/// 1 2 3 5 6) in the major-family modes, minor pentatonic (1 3 4 5 7) in the minor-family ones — and
/// makes the harmony plain diatonic triads with at least two of their three tones in the subset.
extension ScalePalette {
    /// The scale degrees (0-based) the palette keeps in a mode.
    public func degrees(in mode: Mode) -> [Int] {
        switch self {
        case .diatonic: Array(0..<7)
        // Drop degrees 4 and 7 (major family) or 2 and 6 (minor family), 1-based.
        case .pentatonic: mode.isMajor ? [0, 1, 2, 4, 5] : [0, 2, 3, 4, 6]
        }
    }

    /// The pitch classes of `key` the palette keeps, tonic first.
    public func pitchClasses(in key: Key) -> [PitchClass] {
        let scale = key.scale
        return degrees(in: key.mode).map { scale[$0] }
    }
}

/// What a therapist's preset (or a strategy) lets the composer do: the key, modes, tempo,
/// loudness, instruments, register and palette it must stay within. The composer applies them
/// where it makes its choices (the mapping and the generators), not by filtering its output.
///
/// The defaults constrain nothing: composing with ``MusicalConstraints/unconstrained`` is composing as if
/// there were no constraints.
///
/// | field | rule |
/// | --- | --- |
/// | ``homeTonic`` | the tonic of every key |
/// | ``allowedModes`` | a mode the mapping picks that is not allowed becomes the allowed mode nearest to it in brightness (``Mode/allCases`` order, lydian → phrygian), ties going to the brighter |
/// | ``tempoRange`` | the mapping's tempo line (60...160 BPM) is rescaled linearly onto the range, so tempo keeps rising with arousal across the whole range instead of clipping flat at its ends |
/// | ``maxVelocity`` | the mapping's velocity line is scaled by `maxVelocity / 112` when that is below 1, and every note (accents included) is capped at it |
/// | ``percussion`` | false: no drum notes at all |
/// | ``maxTension`` | caps the intent's tension; at 0, plain harmony (see below) |
/// | ``ensemble`` | replaces the mapping's instruments in every bar; its `percussion` flag can only switch drums off |
/// | ``registerOffset`` | semitones added to the melody, pad and bass registers, clamped to MIDI's 0...127 |
/// | ``palette`` | the melody's notes (see ``ScalePalette``) |
///
/// **Plain harmony** (tension 0, or a pentatonic palette): every chord is a triad of three
/// notes of the key's scale with a perfect fifth (no sevenths, no diminished or augmented
/// triads, no harmonic-minor dominant, no pivot chords into a new key: keys change directly at
/// the phrase start); the minor-mode and phrygian cadences use their diatonic v or bVII; the
/// lydian tonic pedal sounds only under chords containing the tonic; and a melody note that would
/// sound on into a strong beat (downbeat or middle beat) or a chord change where it forms a minor
/// second, major seventh or tritone with the chord is cut there. So on a strong beat no melody
/// note forms one of those intervals with the pad or the bass.
public struct MusicalConstraints: Sendable, Hashable, Codable {
    /// The tonic of every key (default C).
    public var homeTonic: PitchClass
    /// The modes the music may use (default all), in any order.
    public var allowedModes: [Mode]
    /// Tempo in beats per minute of the meter's beat (default 60...160).
    public var tempoRange: ClosedRange<Double>
    /// The loudest any note may be, 1...127 (default 127).
    public var maxVelocity: Double
    /// Whether drums may play at all (default true).
    public var percussion: Bool
    /// The most harmonic tension, 0...1 (default 1); 0 means plain diatonic triads.
    public var maxTension: Double
    /// Instruments for every bar, replacing the mapping's choice (default nil: the mapping's).
    public var ensemble: Ensemble?
    /// Semitones added to every pitched voice's register (default 0; -12 is an octave lower).
    public var registerOffset: Int
    /// The melody's palette (default diatonic).
    public var palette: ScalePalette

    public init(
        homeTonic: PitchClass = PitchClass(0), allowedModes: [Mode] = Mode.allCases,
        tempoRange: ClosedRange<Double> = AffectMapping.tempoRange, maxVelocity: Double = 127,
        percussion: Bool = true, maxTension: Double = 1, ensemble: Ensemble? = nil, registerOffset: Int = 0,
        palette: ScalePalette = .diatonic
    ) {
        self.homeTonic = homeTonic
        self.allowedModes = allowedModes
        self.tempoRange = tempoRange
        self.maxVelocity = maxVelocity
        self.percussion = percussion
        self.maxTension = maxTension
        self.ensemble = ensemble
        self.registerOffset = registerOffset
        self.palette = palette
    }

    /// No constraints: the composer's own choices.
    public static let unconstrained = MusicalConstraints()

    /// The largest register offset accepted, in semitones either way (three octaves).
    public static let registerOffsetLimit = 36

    /// `mode` if it is allowed, otherwise the allowed mode nearest to it in ``Mode/allCases``
    /// order (brightest to darkest), the brighter of two equally near ones. With no allowed
    /// modes (which ``validate()`` refuses) `mode` itself.
    public func nearestAllowedMode(to mode: Mode) -> Mode {
        guard !allowedModes.isEmpty, !allowedModes.contains(mode) else { return mode }
        let order = Mode.allCases
        let index = order.firstIndex(of: mode)!
        // Sorted by distance, then brightness, so the first is the nearest and, on a tie, the brighter.
        return allowedModes.min { a, b in
            let (ia, ib) = (order.firstIndex(of: a)!, order.firstIndex(of: b)!)
            return (abs(ia - index), ia) < (abs(ib - index), ib)
        }!
    }

    /// A tempo of the mapping's 60...160 line moved linearly onto ``tempoRange`` (monotone, so
    /// faster stays faster), and clamped into it.
    public func rescaledTempo(_ tempo: Double) -> Double {
        let source = AffectMapping.tempoRange
        guard tempoRange != source else { return clamp(tempo, source) }
        let t = (clamp(tempo, source) - source.lowerBound) / (source.upperBound - source.lowerBound)
        return clamp(tempoRange.lowerBound + t * (tempoRange.upperBound - tempoRange.lowerBound), tempoRange)
    }

    /// The factor the mapping's velocities are scaled by: `maxVelocity / 112` when below 1.
    var velocityScale: Double {
        min(1, maxVelocity / AffectMapping.velocityRange.upperBound)
    }

    /// Refuses constraints the composer cannot honour, naming the bad field.
    public func validate() throws {
        if allowedModes.isEmpty {
            throw EmoMusikError(
                .invalidValue, "no modes are allowed",
                hint: "allow at least one of " + Mode.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let tempo = tempoRange
        if !(tempo.lowerBound.isFinite && tempo.upperBound.isFinite && tempo.lowerBound >= 20 && tempo.upperBound <= 300) {
            throw EmoMusikError(
                .invalidValue, "tempo range \(tempo.lowerBound)...\(tempo.upperBound) BPM is out of bounds",
                hint: "use a range within 20...300 BPM, e.g. 60...90")
        }
        if !(maxVelocity.isFinite && (1...127).contains(maxVelocity)) {
            throw EmoMusikError(.invalidValue, "maximum velocity \(maxVelocity) is not in 1...127")
        }
        if !(maxTension.isFinite && (0...1).contains(maxTension)) {
            throw EmoMusikError(
                .invalidValue, "maximum tension \(maxTension) is not in 0...1",
                hint: "0 allows only plain triads, 1 any harmony")
        }
        if abs(registerOffset) > Self.registerOffsetLimit {
            throw EmoMusikError(
                .invalidValue, "register offset \(registerOffset) semitones is too far",
                hint: "use -\(Self.registerOffsetLimit)...\(Self.registerOffsetLimit), e.g. -12 for an octave lower")
        }
    }
}

/// A target at a time, with optional changes of palette and percussion from that time on (until
/// the next keyframe). `nil` means the configuration's ``MusicalConstraints``.
public struct TargetKeyframe: Sendable, Hashable {
    /// Seconds from the start.
    public var time: Double
    public var affect: Affect
    /// The melody's palette from this keyframe on; it takes effect at the next phrase start.
    /// A keyframe's palette replaces the constraints' palette.
    public var palette: ScalePalette?
    /// Whether drums may play from this keyframe on; the change takes effect at the next bar
    /// line, the drums fading over the bar before (off) or the first bar (on). `true` lets the
    /// mapping decide (no drums when calm anyway); it cannot override constraints that forbid
    /// percussion.
    public var percussion: Bool?

    public init(time: Double, affect: Affect, palette: ScalePalette? = nil, percussion: Bool? = nil) {
        self.time = time
        self.affect = affect
        self.palette = palette
        self.percussion = percussion
    }
}
