import EmoMusikCore

/// A numeric render parameter declared as data: name, unit, allowed range and default, so the
/// CLI and presets can list and check them the same way.
public struct RenderParameter: Sendable, Hashable {
    /// The name used in messages and option names, e.g. `reverb-room-size`.
    public var name: String
    /// Unit shown after values, e.g. `Hz`, `s`, `dBFS`; empty for plain numbers.
    public var unit: String
    public var range: ClosedRange<Double>
    public var defaultValue: Double
    public var help: String

    public init(name: String, unit: String, range: ClosedRange<Double>, defaultValue: Double, help: String) {
        precondition(range.contains(defaultValue), "default of \(name) must lie in its range")
        self.name = name
        self.unit = unit
        self.range = range
        self.defaultValue = defaultValue
        self.help = help
    }

    /// `value` clamped into ``range``.
    public func clamped(_ value: Double) -> Double { min(max(value, range.lowerBound), range.upperBound) }

    /// Throws `.invalidValue` naming the parameter and its range if `value` is outside it or not finite.
    public func check(_ value: Double) throws {
        guard value.isFinite, range.contains(value) else {
            throw EmoMusikError(
                .invalidValue,
                "\(name) \(Self.format(value))\(unit.isEmpty ? "" : " " + unit) is out of range",
                hint: "\(help); allowed \(Self.format(range.lowerBound))...\(Self.format(range.upperBound))"
                    + "\(unit.isEmpty ? "" : " " + unit), default \(Self.format(defaultValue))")
        }
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// How a score is rendered to audio: sample rate, effects, gain, polyphony, tail and ceiling.
///
/// [any] A plain value. Check it with ``validate()`` (``OfflineRenderer`` does) before use.
public struct RenderSettings: Sendable, Hashable {
    /// The sample rates the renderer accepts.
    public static let supportedSampleRates = [44100, 48000]

    // Parameter declarations (units, ranges, defaults).
    public static let reverbRoomSizeParameter = RenderParameter(
        name: "reverb-room-size", unit: "", range: 0...1, defaultValue: 0.4,
        help: "size of the simulated room, 0 (small) to 1 (hall)")
    public static let reverbLevelParameter = RenderParameter(
        name: "reverb-level", unit: "", range: 0...1, defaultValue: 0.6,
        help: "reverb output level, 0 to 1")
    public static let gainParameter = RenderParameter(
        name: "gain", unit: "", range: 0...10, defaultValue: 0.4,
        help: "FluidSynth master gain (its own default is 0.2); peaks are limited to the ceiling afterwards")
    public static let polyphonyParameter = RenderParameter(
        name: "polyphony", unit: "voices", range: 16...4096, defaultValue: 256,
        help: "most voices sounding at once; the quietest are stolen beyond it")
    public static let tailParameter = RenderParameter(
        name: "tail", unit: "s", range: 0...30, defaultValue: 2,
        help: "seconds rendered after the score's end so reverb and releases can ring out")
    public static let ceilingParameter = RenderParameter(
        name: "ceiling", unit: "dBFS", range: -40...0, defaultValue: -1,
        help: "highest allowed sample peak; louder renders are scaled down to it, quieter ones left alone")

    /// All numeric parameters, for listings such as `--help`.
    public static let parameters: [RenderParameter] = [
        reverbRoomSizeParameter, reverbLevelParameter, gainParameter, polyphonyParameter, tailParameter,
        ceilingParameter,
    ]

    /// Frames per second: 44100 or 48000.
    public var sampleRate: Int
    public var reverb: Bool
    /// 0...1, see ``reverbRoomSizeParameter``.
    public var reverbRoomSize: Double
    /// 0...1, see ``reverbLevelParameter``.
    public var reverbLevel: Double
    public var chorus: Bool
    /// FluidSynth's `synth.gain`, 0...10, see ``gainParameter``.
    public var gain: Double
    /// Voices, 16...4096, see ``polyphonyParameter``.
    public var polyphony: Int
    /// Seconds after the score's end, 0...30, see ``tailParameter``.
    public var tailSeconds: Double
    /// Peak limit in dBFS, -40...0, see ``ceilingParameter``.
    public var ceilingDBFS: Double

    /// Defaults match FluidSynth's own (reverb and chorus on) except the gain and reverb amount.
    public init(
        sampleRate: Int = 44100,
        reverb: Bool = true,
        reverbRoomSize: Double = RenderSettings.reverbRoomSizeParameter.defaultValue,
        reverbLevel: Double = RenderSettings.reverbLevelParameter.defaultValue,
        chorus: Bool = true,
        gain: Double = RenderSettings.gainParameter.defaultValue,
        polyphony: Int = Int(RenderSettings.polyphonyParameter.defaultValue),
        tailSeconds: Double = RenderSettings.tailParameter.defaultValue,
        ceilingDBFS: Double = RenderSettings.ceilingParameter.defaultValue
    ) {
        self.sampleRate = sampleRate
        self.reverb = reverb
        self.reverbRoomSize = reverbRoomSize
        self.reverbLevel = reverbLevel
        self.chorus = chorus
        self.gain = gain
        self.polyphony = polyphony
        self.tailSeconds = tailSeconds
        self.ceilingDBFS = ceilingDBFS
    }

    /// Throws `.invalidValue` naming the first setting out of range and what is allowed.
    public func validate() throws {
        guard Self.supportedSampleRates.contains(sampleRate) else {
            throw EmoMusikError(
                .invalidValue, "sample rate \(sampleRate) Hz is not supported",
                hint: "use " + Self.supportedSampleRates.map { "\($0)" }.joined(separator: " or ") + " Hz")
        }
        try Self.reverbRoomSizeParameter.check(reverbRoomSize)
        try Self.reverbLevelParameter.check(reverbLevel)
        try Self.gainParameter.check(gain)
        try Self.polyphonyParameter.check(Double(polyphony))
        try Self.tailParameter.check(tailSeconds)
        try Self.ceilingParameter.check(ceilingDBFS)
    }
}
