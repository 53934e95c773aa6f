import EmoMusikCore
import EmoMusikPlugins

/// A therapist's preset: what the session sounds like, where it leads, and the hard limits no
/// strategy or plugin may exceed. Read from YAML with ``Preset/load(path:strategies:)``; every
/// field but `name` has a default (``Preset/init(name:)`` gives them all).
///
/// See `presets/README.md` for the file format with an example of every field.
public struct Preset: Sendable, Hashable {
    /// Shown by `emomusik preset list`; required.
    public var name: String
    /// One or two sentences for the therapist: who and what the preset is for. Default empty.
    public var description: String
    /// A `.sf2`/`.sf3` file to play with, relative to the preset file's directory when not absolute
    /// (as written; ``resolvedSoundfont(presetPath:)`` resolves it). Default none: the normal
    /// soundfont search.
    public var soundfont: String?
    /// Instruments of the melody, pad and bass voices, and whether the percussion voice plays.
    public var ensemble: PresetEnsemble
    /// The home tonic (`key: D`). Default C.
    public var tonic: PitchClass
    /// The modes the music may use on the home tonic, in the order written. Default ionian, dorian, aeolian.
    public var modes: [Mode]
    /// What the strategy leads toward. Default neutral.
    public var target: PresetTarget
    /// Which strategy plugin drives the session, with its options. Default `iso-principle`, no options.
    public var strategy: StrategyChoice
    /// How fast the strategy may lead, in affect units (valence/arousal distance) per minute,
    /// 0...2. Default 0.2.
    public var leadRate: Double
    /// Session length in seconds (`length: 20m`). Default 20 minutes.
    public var sessionLength: Double
    /// Fade-out at the end of the session, in seconds (`fade: 30s`). Default 30 s.
    public var fade: Double
    /// The hard limits, applied to every event last. Its ``SafetyEnvelope/tempoRange`` is the
    /// preset's `tempo:` (see ``tempo``).
    public var safety: SafetyEnvelope

    /// The tempo range in BPM (`tempo: {min: 60, max: 96}`), kept in the safety envelope so that
    /// the envelope alone can enforce it. Default 60...120.
    public var tempo: ClosedRange<Double> {
        get { safety.tempoRange }
        set { safety.tempoRange = newValue }
    }

    /// A preset with every default filled in.
    public init(name: String) {
        self.name = name
        description = ""
        soundfont = nil
        ensemble = PresetEnsemble()
        tonic = PitchClass(0)
        modes = [.ionian, .dorian, .aeolian]
        target = .emotion(.neutral)
        strategy = StrategyChoice(id: StrategyChoice.defaultID)
        leadRate = 0.2
        sessionLength = 20 * 60
        fade = 30
        safety = SafetyEnvelope()
    }
}

/// The voices of a preset's arrangement.
public struct PresetEnsemble: Sendable, Hashable {
    public var melody: Voice
    public var pad: Voice
    public var bass: Voice
    /// Whether the percussion voice (GM channel 10) plays. Default true; the safety envelope's
    /// `percussion: false` overrides it.
    public var percussion: Bool

    /// Defaults: melody Acoustic Grand Piano, pad String Ensemble 1, bass Acoustic Bass, all in
    /// their middle register, percussion on.
    public init(
        melody: Voice = Voice(program: 0), pad: Voice = Voice(program: 48), bass: Voice = Voice(program: 32),
        percussion: Bool = true
    ) {
        self.melody = melody
        self.pad = pad
        self.bass = bass
        self.percussion = percussion
    }
}

/// One voice: a General MIDI instrument and a register shift.
public struct Voice: Sendable, Hashable {
    /// The General MIDI program, **0-based** (0...127). YAML writes it 1-based (1...128) or by name.
    public var program: UInt8
    /// Octaves above (positive) or below (negative) the voice's usual register, -2...2.
    /// YAML: `register: low` (-1), `middle` (0), `high` (+1), or a number of octaves.
    public var registerOctaves: Int

    public init(program: UInt8, registerOctaves: Int = 0) {
        precondition(program < 128, "General MIDI programs are 0...127 internally")
        self.program = program
        self.registerOctaves = registerOctaves
    }

    public var instrumentName: String { GeneralMIDI.name(ofProgram: program) }
}

/// Where a preset leads: an emotion class, or a point in affect space.
public enum PresetTarget: Sendable, Hashable, CustomStringConvertible {
    case emotion(Emotion)
    case affect(Affect)

    /// The target as an affect point (an emotion's circumplex point).
    public var affect: Affect {
        switch self {
        case .emotion(let emotion): emotion.affect
        case .affect(let affect): affect
        }
    }

    public var description: String {
        switch self {
        case .emotion(let emotion): "\(emotion) \(emotion.affect)"
        case .affect(let affect): "\(affect)"
        }
    }
}

/// A strategy plugin by id, and the options the preset gives it.
public struct StrategyChoice: Sendable, Hashable {
    public static let defaultID = "iso-principle"

    /// The plugin id (`iso-principle`, `mirror`, `regulate`, `lullaby`, ...).
    public var id: String
    /// Option values as written; checked against the plugin's ``PluginDescriptor/options`` when
    /// the preset is loaded with a descriptor list.
    public var options: [String: PluginOptionValue]

    public init(id: String, options: [String: PluginOptionValue] = [:]) {
        self.id = id
        self.options = options
    }
}
