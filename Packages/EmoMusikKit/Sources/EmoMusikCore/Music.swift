/// The diatonic modes the composer uses, ordered from brightest to darkest.
public enum Mode: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
    case lydian, ionian, mixolydian, dorian, aeolian, phrygian

    /// Semitones above the tonic of scale degrees 1...7.
    public var intervals: [Int] {
        switch self {
        case .lydian: [0, 2, 4, 6, 7, 9, 11]
        case .ionian: [0, 2, 4, 5, 7, 9, 11]
        case .mixolydian: [0, 2, 4, 5, 7, 9, 10]
        case .dorian: [0, 2, 3, 5, 7, 9, 10]
        case .aeolian: [0, 2, 3, 5, 7, 8, 10]
        case .phrygian: [0, 1, 3, 5, 7, 8, 10]
        }
    }

    /// True for the modes with a major third above the tonic (heard as "major").
    public var isMajor: Bool { intervals[2] == 4 }

    /// The family a listener and a key-finding algorithm report: major or minor.
    public var family: ModeFamily { isMajor ? .major : .minor }

    public var description: String { rawValue }
}

/// Major or minor: what Krumhansl–Schmuckler key finding (and most listeners) can tell apart.
public enum ModeFamily: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case major, minor
    public var description: String { rawValue }
}

/// A pitch class 0...11 with C = 0.
public struct PitchClass: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = ((rawValue % 12) + 12) % 12 }
    public init(_ value: Int) { self.init(rawValue: value) }

    public static let names = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
    public var description: String { Self.names[rawValue] }

    /// Parses `C`, `c#`, `Db`, `F♯`, `B♭`.
    public init?(name: String) {
        var chars = Array(name.lowercased())
        guard let letter = chars.first, let base = ["c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11][letter] else {
            return nil
        }
        chars.removeFirst()
        var value = base
        for c in chars {
            switch c {
            case "#", "♯": value += 1
            case "b", "♭": value -= 1
            default: return nil
            }
        }
        self.init(value)
    }
}

/// A tonic and a mode, e.g. D dorian.
public struct Key: Hashable, Sendable, Codable, CustomStringConvertible {
    public var tonic: PitchClass
    public var mode: Mode

    public init(tonic: PitchClass, mode: Mode) {
        self.tonic = tonic
        self.mode = mode
    }

    /// The pitch classes of the scale, tonic first.
    public var scale: [PitchClass] { mode.intervals.map { PitchClass(tonic.rawValue + $0) } }

    /// Sharps (positive) or flats (negative) of the key signature a score would carry, as in a
    /// MIDI key-signature event; modes are written with the signature of their parent major key.
    public var signatureAccidentals: Int {
        let offsetFromIonian = [Mode.lydian: 7, .ionian: 0, .mixolydian: 5, .dorian: 10, .aeolian: 3, .phrygian: 8]
        let parentMajor = PitchClass(tonic.rawValue + offsetFromIonian[mode]!)
        // Circle of fifths from C; prefer flats for Db, Eb, Ab, Bb, F and sharps for the rest (F# as 6 sharps).
        let sharps = [0: 0, 7: 1, 2: 2, 9: 3, 4: 4, 11: 5, 6: 6, 1: -5, 8: -4, 3: -3, 10: -2, 5: -1]
        return sharps[parentMajor.rawValue]!
    }

    /// The MIDI key-signature event (FF 59) for this key: the accidentals of the plain major or
    /// minor key on the same tonic, and the minor flag of the mode's family. Other programs read a
    /// tonic from these two values, so D dorian is written as D minor (one flat), not as its parent
    /// C major, and every reader names the right tonic and family.
    public var midiKeySignature: (accidentals: Int, minor: Bool) {
        let plain = Key(tonic: tonic, mode: mode.isMajor ? .ionian : .aeolian)
        return (plain.signatureAccidentals, !mode.isMajor)
    }

    public var description: String { "\(tonic) \(mode)" }
}

/// A time signature such as 4/4 or 3/4.
public struct Meter: Hashable, Sendable, Codable, CustomStringConvertible {
    public var beatsPerBar: Int
    /// The note value of one beat: 4 for quarter notes, 8 for eighths.
    public var beatUnit: Int

    public init(beatsPerBar: Int, beatUnit: Int) {
        self.beatsPerBar = beatsPerBar
        self.beatUnit = beatUnit
    }

    public static let commonTime = Meter(beatsPerBar: 4, beatUnit: 4)
    public static let waltz = Meter(beatsPerBar: 3, beatUnit: 4)

    public var description: String { "\(beatsPerBar)/\(beatUnit)" }
}

/// General MIDI program numbers (0-based) for the voices of an arrangement.
public struct Ensemble: Hashable, Sendable, Codable {
    public var melody: UInt8
    public var pad: UInt8
    public var bass: UInt8
    /// Whether the percussion voice (GM channel 10) may play at all.
    public var percussion: Bool

    public init(melody: UInt8, pad: UInt8, bass: UInt8, percussion: Bool = true) {
        self.melody = melody
        self.pad = pad
        self.bass = bass
        self.percussion = percussion
    }
}

/// What the music should be like now: the composer's target, derived from affect (and later
/// bounded by a preset's safety envelope). Every field is a listener-level cue.
public struct MusicalIntent: Hashable, Sendable, Codable {
    public var key: Key
    /// Beats per minute (one beat = the meter's beat unit).
    public var tempo: Double
    public var meter: Meter
    /// Melody notes per beat, about 0.5 (sparse, long notes) to 4 (running sixteenths).
    public var density: Double
    /// Mean MIDI velocity of the melody, 1...127.
    public var velocity: Double
    /// Fraction of each note's time slot that sounds: about 0.35 (staccato) to 1.0 (legato).
    public var articulation: Double
    /// Centre of the melody's range as a MIDI note number (60 = middle C).
    public var register: Double
    /// Width of the melody's range in semitones.
    public var registerSpan: Double
    /// Chords per bar: 0.5 (a chord every two bars) to 2.
    public var harmonicRhythm: Double
    /// 0 (on the beat) ... 1 (strongly syncopated, accented).
    public var syncopation: Double
    /// 0 (plain diatonic triads) ... 1 (sevenths, diminished colour, suspensions).
    public var tension: Double
    /// 0 (no drums) ... 1 (full kit, busy pattern).
    public var percussion: Double
    public var ensemble: Ensemble

    public init(
        key: Key, tempo: Double, meter: Meter, density: Double, velocity: Double, articulation: Double,
        register: Double, registerSpan: Double, harmonicRhythm: Double, syncopation: Double, tension: Double,
        percussion: Double, ensemble: Ensemble
    ) {
        self.key = key
        self.tempo = tempo
        self.meter = meter
        self.density = density
        self.velocity = velocity
        self.articulation = articulation
        self.register = register
        self.registerSpan = registerSpan
        self.harmonicRhythm = harmonicRhythm
        self.syncopation = syncopation
        self.tension = tension
        self.percussion = percussion
        self.ensemble = ensemble
    }
}
