import EmoMusikCore
import EmoMusikPlugins

/// Everything that shapes a composition besides its input: the seed, the emotion → music rules
/// and the constraints they keep, the meter and how fast transitions may move.
public struct ComposerConfiguration: Sendable, Hashable {
    /// Seeds every random choice; the same seed and input give the same score.
    public var seed: UInt64
    /// The emotion → music rules, with the constraints they keep.
    public var mapping: AffectMapping
    /// What the music must stay within (a preset's key, modes, tempo range, loudness, palette...):
    /// the mapping's ``AffectMapping/constraints``, the one place they are kept.
    public var constraints: MusicalConstraints {
        get { mapping.constraints }
        set { mapping.constraints = newValue }
    }
    /// The time signature of the whole piece (1...16 beats of a 1, 2, 4, 8 or 16 note).
    public var meter: Meter
    /// How fast tempo, velocity and the other cues may follow a change of target.
    public var limits: TransitionLimits

    /// - Parameter constraints: when given, replace the mapping's constraints (home tonic included).
    public init(
        seed: UInt64 = 1, mapping: AffectMapping = AffectMapping(), meter: Meter = .commonTime,
        limits: TransitionLimits = .standard, constraints: MusicalConstraints? = nil
    ) {
        self.seed = seed
        self.mapping = mapping
        self.meter = meter
        self.limits = limits
        if let constraints { self.mapping.constraints = constraints }
    }

    /// Refuses settings the composer cannot realise, naming the bad one.
    public func validate() throws {
        guard Grid.supports(meter) else {
            throw EmoMusikError(
                .invalidValue, "meter \(meter) is not supported",
                hint: "use 1 to 16 beats of a whole, half, quarter, eighth or sixteenth note, e.g. 4/4, 3/4 or 6/8")
        }
        for (name, value) in [("tempo", limits.tempoPerBar), ("velocity", limits.velocityPerBar), ("affect", limits.affectPerBar)]
        where !(value.isFinite && value > 0) {
            throw EmoMusikError(
                .invalidValue, "the largest \(name) change per bar must be a positive number, not \(value)")
        }
        try constraints.validate()
    }
}

/// A composed piece: the score and the plan of every bar it realises.
public struct Composition: Sendable, Hashable {
    /// The event timeline: tempo map, time signature, key changes, markers, four tracks.
    public var score: Score
    /// One plan per bar, in order; `bars[i].startTick == score.barStartTicks[i]`.
    public var bars: [BarPlan]

    public init(score: Score, bars: [BarPlan]) {
        self.score = score
        self.bars = bars
    }
}

/// Emotion → music at the MIDI level: turns an affect timeline into a four-voice score (melody
/// channel 1, pad channel 2, bass channel 3, drums on GM channel 10) that follows the timeline
/// bar by bar with musical transitions. Deterministic: same configuration and input, same score.
public struct Composer: Sendable {
    /// Bars per phrase: keys and instruments change only at phrase starts, and every phrase
    /// ends with a cadence to the tonic.
    public static let phraseLength = 4

    /// MIDI channel (0-based) of the melody.
    public static let melodyChannel: UInt8 = 0
    /// MIDI channel (0-based) of the pad.
    public static let padChannel: UInt8 = 1
    /// MIDI channel (0-based) of the bass.
    public static let bassChannel: UInt8 = 2
    /// MIDI channel (0-based) of the drums: General MIDI percussion.
    public static let drumChannel: UInt8 = Track.percussionChannel

    /// The configuration every composition uses.
    public let configuration: ComposerConfiguration

    /// The configuration should pass ``ComposerConfiguration/validate()``; composing with an
    /// unsupported meter stops with a precondition failure.
    public init(configuration: ComposerConfiguration) {
        self.configuration = configuration
    }

    /// Composes whole bars covering the timeline's duration (rounded up to the bar; at least one
    /// bar), following its targets, ending with a cadence on the tonic whose final chord rings
    /// through the last bar. The same as ``compose(targets:)`` with the timeline's keyframes.
    public func compose(timeline: AffectTimeline) -> Composition {
        compose(targets: timeline.keyframes.map { TargetKeyframe(time: $0.time, affect: $0.affect) })
    }

    /// Composes whole bars covering the targets' duration (the latest keyframe's time, rounded up
    /// to the bar; at least one bar), following them as ``compose(timeline:)`` does. Each bar
    /// takes the keyframe at or before its bar line (the earliest keyframe before that), so a
    /// change of percussion takes effect at the first bar line at or after its time, and a change
    /// of palette at the first phrase start at or after it. No keyframes: one bar at neutral.
    public func compose(targets: [TargetKeyframe]) -> Composition {
        let keyframes = targets.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        guard let first = keyframes.first else { return compose(affect: .neutral, bars: 1) }
        let duration = keyframes.last?.time ?? 0
        return compose(duration: duration, barCount: nil) { time in
            keyframes.last { $0.time <= time } ?? first
        }
    }

    /// Composes exactly `bars` bars (at least one) following `targets` as ``compose(targets:)``
    /// does; the last bar is the final cadence. The planner is causal: bar *k* depends only on the
    /// targets at bar lines up to its own, and its harmony and melody on bar *k* + 1 (the pivot
    /// before a key change, the gate of its last note) and on how far it is from the end — so
    /// a live session takes bar *k* from a composition that runs a few bars past it.
    public func compose(targets: [TargetKeyframe], bars: Int) -> Composition {
        let keyframes = targets.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        let first = keyframes.first ?? TargetKeyframe(time: 0, affect: .neutral)
        return compose(duration: 0, barCount: max(bars, 1)) { time in
            keyframes.last { $0.time <= time } ?? first
        }
    }

    /// Composes `bars` bars (at least one) at a constant affect.
    public func compose(affect: Affect, bars: Int) -> Composition {
        let target = TargetKeyframe(time: 0, affect: affect)
        return compose(duration: 0, barCount: max(bars, 1)) { _ in target }
    }

    private func compose(duration: Double, barCount: Int?, target: (Double) -> TargetKeyframe) -> Composition {
        let length: Length = barCount.map { .bars($0) } ?? .seconds(duration)
        let excerpt = excerpt(from: .start, length: length) { barTarget(target($0)) }.excerpt
        return Composition(excerpt: excerpt)
    }

    /// What a keyframe asks of a bar, within the configuration's constraints.
    func barTarget(_ keyframe: TargetKeyframe) -> BarTarget {
        let constraints = configuration.constraints
        return BarTarget(
            affect: keyframe.affect, palette: keyframe.palette ?? constraints.palette,
            percussion: constraints.percussion && keyframe.percussion != false)
    }
}

/// Key signatures and rehearsal markers derived from the bar plans, bar by bar.
enum ScoreAnnotations {
    /// A key change at bar 0 and at every bar whose key differs from the previous bar's.
    static func keyChange(_ bar: BarPlan, after previous: BarPlan?) -> KeyChange? {
        previous?.intent.key == bar.intent.key ? nil : KeyChange(tick: bar.startTick, key: bar.intent.key)
    }

    /// The opening (key and tempo), every key change, every change of target, and the final
    /// cadence (the last of `barCount` bars, when there are more than one).
    static func markers(_ bar: BarPlan, after previous: BarPlan?, barCount: Int) -> [Marker] {
        guard let previous else {
            return [Marker(tick: bar.startTick, text: "\(bar.intent.key), \(Int(bar.intent.tempo.rounded())) BPM")]
        }
        var markers: [Marker] = []
        if previous.target != bar.target {
            markers.append(Marker(tick: bar.startTick, text: "target \(bar.target)"))
        }
        if previous.intent.key != bar.intent.key {
            markers.append(Marker(tick: bar.startTick, text: "key change to \(bar.intent.key)"))
        }
        if bar.index == barCount - 1 && barCount > 1 {
            markers.append(Marker(tick: bar.startTick, text: "final cadence"))
        }
        return markers
    }
}
