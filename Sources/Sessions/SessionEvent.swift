import EmoMusikCore
import EmoMusikPlugins
import Foundation

/// One line of a session log. A log starts with ``start(_:)``, ends with ``end(_:)``, and in
/// between holds estimates (at a reduced rate), smoothed affect, the strategy's decisions, the
/// music's bars (and the beats within a bar that a decision re-aimed), warnings and faults, in
/// time order.
public enum SessionEvent: Sendable, Equatable {
    case start(SessionStart)
    case estimate(EstimateRecord)
    case smoothed(SmoothedRecord)
    case decision(DecisionRecord)
    case music(MusicRecord)
    case beat(BeatRecord)
    case warning(Notice)
    case fault(Notice)
    case end(SessionEnd)

    /// The `"type"` of each event in the log.
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case start = "session-start", estimate, smoothed, decision, music, beat, warning, fault, end = "session-end"
    }

    public var kind: Kind {
        switch self {
        case .start: .start
        case .estimate: .estimate
        case .smoothed: .smoothed
        case .decision: .decision
        case .music: .music
        case .beat: .beat
        case .warning: .warning
        case .fault: .fault
        case .end: .end
        }
    }
}

/// Everything needed to replay a session: where its input came from, which plugins and options,
/// the preset (its YAML text, so a later edit of the file does not change a replay), the seed and
/// the audio settings.
public struct SessionStart: Sendable, Equatable, Codable {
    /// The log format's version; readers refuse newer major versions.
    public var format: Int = SessionLog.formatVersion
    /// `offline` (virtual clock) or `live`.
    public var clock: String
    /// Where the landmarks came from (a file path, `stdin`, `camera`).
    public var source: String
    public var seed: UInt64
    public var presetName: String?
    public var presetFile: String?
    /// The preset file's text as it was when the session ran.
    public var presetYAML: String?
    public var strategy: String
    public var strategyOptions: [String: LoggedOptionValue]
    public var recognizer: String
    public var recognizerOptions: [String: LoggedOptionValue]
    public var soundfont: String?
    public var audio: SessionAudioSettings
    /// Seconds between the strategy's decisions, unless ``decidesAtBeats``.
    public var decisionInterval: Double
    /// True if the strategy decided before every beat the music committed (absent in logs of
    /// sessions that decided every ``decisionInterval`` seconds, and in logs before it existed).
    public var decidesAtBeats: Bool?
    public var smoother: AffectSmoother.Configuration
    public var goal: SessionGoal
    /// The child whose profile the strategy started from (nil: anonymous).
    public var child: String?

    public init(
        clock: String, source: String, seed: UInt64, presetName: String?, presetFile: String?, presetYAML: String?,
        strategy: String, strategyOptions: [String: PluginOptionValue], recognizer: String,
        recognizerOptions: [String: PluginOptionValue], soundfont: String?, audio: SessionAudioSettings,
        decisionInterval: Double, smoother: AffectSmoother.Configuration, goal: SessionGoal
    ) {
        self.clock = clock
        self.source = source
        self.seed = seed
        self.presetName = presetName
        self.presetFile = presetFile
        self.presetYAML = presetYAML
        self.strategy = strategy
        self.strategyOptions = strategyOptions.mapValues(LoggedOptionValue.init)
        self.recognizer = recognizer
        self.recognizerOptions = recognizerOptions.mapValues(LoggedOptionValue.init)
        self.soundfont = soundfont
        self.audio = audio
        self.decisionInterval = decisionInterval
        self.smoother = smoother
        self.goal = goal
    }
}

/// The synthesiser's settings, as the session log keeps them (the Synth module's `RenderSettings`
/// in plain values).
public struct SessionAudioSettings: Sendable, Equatable, Codable {
    public var sampleRate: Int
    public var reverb: Bool
    public var reverbRoomSize: Double
    public var reverbLevel: Double
    public var chorus: Bool
    public var gain: Double
    public var ceilingDBFS: Double
    public var tailSeconds: Double
    /// `16`, `24` or `float`.
    public var bitDepth: String

    public init(
        sampleRate: Int, reverb: Bool, reverbRoomSize: Double, reverbLevel: Double, chorus: Bool, gain: Double,
        ceilingDBFS: Double, tailSeconds: Double, bitDepth: String
    ) {
        self.sampleRate = sampleRate
        self.reverb = reverb
        self.reverbRoomSize = reverbRoomSize
        self.reverbLevel = reverbLevel
        self.chorus = chorus
        self.gain = gain
        self.ceilingDBFS = ceilingDBFS
        self.tailSeconds = tailSeconds
        self.bitDepth = bitDepth
    }
}

/// A plugin option's value as plain JSON (a number, an integer, true/false or a string).
public struct LoggedOptionValue: Sendable, Equatable, Codable {
    public var value: PluginOptionValue

    public init(_ value: PluginOptionValue) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let b = try? container.decode(Bool.self) {
            value = .boolean(b)
        } else if let n = try? container.decode(Int.self) {
            value = .integer(n)
        } else if let x = try? container.decode(Double.self) {
            value = .number(x)
        } else {
            value = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch value {
        case .boolean(let b): try container.encode(b)
        case .integer(let n): try container.encode(n)
        case .number(let x): try container.encode(x)
        case .string(let s): try container.encode(s)
        }
    }
}

/// A recognizer's estimate (logged at a reduced rate), rounded to 3 decimals.
public struct EstimateRecord: Sendable, Equatable, Codable {
    public var t: Double
    public var probabilities: [Double]
    public var affect: Affect
    public var confidence: Double

    public init(_ estimate: EmotionEstimate) {
        t = roundedForLog(estimate.time)
        probabilities = estimate.probabilities.map { roundedForLog($0) }
        affect = Affect(valence: roundedForLog(estimate.affect.valence), arousal: roundedForLog(estimate.affect.arousal))
        confidence = roundedForLog(estimate.confidence)
    }
}

/// The smoother's output as the strategy sees it, rounded to 3 decimals.
public struct SmoothedRecord: Sendable, Equatable, Codable {
    public var t: Double
    public var affect: Affect
    public var confidence: Double
    public var faceLost: Bool

    public init(t: Double, affect: Affect, confidence: Double, faceLost: Bool) {
        self.t = roundedForLog(t)
        self.affect = Affect(valence: roundedForLog(affect.valence), arousal: roundedForLog(affect.arousal))
        self.confidence = roundedForLog(confidence)
        self.faceLost = faceLost
    }
}

/// A strategy decision, at full precision: replay rebuilds the composer's targets from these.
public struct DecisionRecord: Sendable, Equatable, Codable {
    public var t: Double
    /// The child's smoothed affect the strategy saw; nil before the first face.
    public var child: Affect?
    public var target: Affect
    public var palette: ScalePalette
    public var percussion: Bool?
    public var reason: String
    /// When the music may follow it, if later than `t`: the first beat not yet committed when the
    /// decision was taken (see ``SessionComposer``; the first bar in logs of earlier versions,
    /// absent in older ones).
    public var effective: Double?

    public init(t: Double, child: Affect?, target: MusicalTarget, effective: Double? = nil) {
        self.t = t
        self.effective = effective
        self.child = child
        self.target = target.affect
        palette = target.palette
        percussion = target.percussion
        reason = target.reason
    }

    public var musicalTarget: MusicalTarget {
        MusicalTarget(affect: target, palette: palette, percussion: percussion, reason: reason)
    }
}

/// One bar of the music as it will sound (after the safety envelope).
public struct MusicRecord: Sendable, Equatable, Codable {
    public var t: Double
    public var bar: Int
    /// BPM at the bar's start.
    public var tempo: Double
    /// e.g. `F dorian`.
    public var key: String
    /// `major` or `minor`.
    public var mode: String
    /// The mean note velocity in the bar (1...127; 0 for a silent bar).
    public var velocity: Double
    /// The affect the composer expressed in this bar.
    public var affect: Affect
    /// How many of the session's decisions the bar's composition knew, and how many bars it had
    /// (see ``SessionComposer``): what replay needs to rebuild the bar. Absent in earlier logs.
    public var decisions: Int?
    public var compositionBars: Int?

    public init(t: Double, bar: Int, tempo: Double, key: String, mode: String, velocity: Double, affect: Affect) {
        self.t = roundedForLog(t)
        self.bar = bar
        self.tempo = roundedForLog(tempo)
        self.key = key
        self.mode = mode
        self.velocity = roundedForLog(velocity)
        self.affect = Affect(valence: roundedForLog(affect.valence), arousal: roundedForLog(affect.arousal))
    }
}

/// A beat of a bar that was begun from an earlier composition, taken (with the beats after it)
/// from the bar composed again with more decisions: one that changed the music arrived while the
/// bar played, and the bar's dynamics and tempo follow it from this beat (see ``SessionComposer``).
public struct BeatRecord: Sendable, Equatable, Codable {
    /// Seconds into the music at which the beat starts.
    public var t: Double
    /// The bar (numbered from 1, as in ``MusicRecord``) and the beat within it (from 1).
    public var bar: Int
    public var beat: Int
    /// How many of the session's decisions the bar's new composition knew.
    public var decisions: Int

    public init(t: Double, bar: Int, beat: Int, decisions: Int) {
        self.t = roundedForLog(t)
        self.bar = bar
        self.beat = beat
        self.decisions = decisions
    }
}

/// A warning or a fault: when, a short code, and what happened in words.
public struct Notice: Sendable, Equatable, Codable {
    public var t: Double
    /// e.g. `face-lost`, `face-found`, `recognizer-threw`, `source-ended`, `envelope`.
    public var code: String
    public var message: String

    public init(t: Double, code: String, message: String) {
        self.t = roundedForLog(t)
        self.code = code
        self.message = message
    }
}

/// The session's last line.
public struct SessionEnd: Sendable, Equatable, Codable {
    /// The music's length in seconds (the composer's targets end here).
    public var duration: Double
    /// `source-ended`, `interrupted`, `length-reached`.
    public var reason: String
    public var frames: Int
    public var decisions: Int
    public var faults: Int

    public init(duration: Double, reason: String, frames: Int, decisions: Int, faults: Int) {
        self.duration = duration
        self.reason = reason
        self.frames = frames
        self.decisions = decisions
        self.faults = faults
    }
}

func roundedForLog(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

extension SessionEvent: Codable {
    private enum TypeKey: String, CodingKey { case type }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: TypeKey.self)
        switch try container.decode(Kind.self, forKey: .type) {
        case .start: self = .start(try SessionStart(from: decoder))
        case .estimate: self = .estimate(try EstimateRecord(from: decoder))
        case .smoothed: self = .smoothed(try SmoothedRecord(from: decoder))
        case .decision: self = .decision(try DecisionRecord(from: decoder))
        case .music: self = .music(try MusicRecord(from: decoder))
        case .beat: self = .beat(try BeatRecord(from: decoder))
        case .warning: self = .warning(try Notice(from: decoder))
        case .fault: self = .fault(try Notice(from: decoder))
        case .end: self = .end(try SessionEnd(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: TypeKey.self)
        try container.encode(kind, forKey: .type)
        switch self {
        case .start(let e): try e.encode(to: encoder)
        case .estimate(let e): try e.encode(to: encoder)
        case .smoothed(let e): try e.encode(to: encoder)
        case .decision(let e): try e.encode(to: encoder)
        case .music(let e): try e.encode(to: encoder)
        case .beat(let e): try e.encode(to: encoder)
        case .warning(let e): try e.encode(to: encoder)
        case .fault(let e): try e.encode(to: encoder)
        case .end(let e): try e.encode(to: encoder)
        }
    }
}
