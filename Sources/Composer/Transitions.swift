import EmoMusikCore
import EmoMusikPlugins

/// How fast the music may follow a change of target, per bar. A preset's safety envelope can
/// tighten these; the composer never exceeds them.
public struct TransitionLimits: Sendable, Hashable {
    /// Default largest tempo change from one bar start to the next, in BPM.
    public static let maxTempoStepPerBar = 8.0
    /// Default largest change of the mean melody velocity from one bar to the next.
    public static let maxVelocityStepPerBar = 6.0
    /// Default largest move of the realised affect per bar (Euclidean, circumplex units); the
    /// other cues (density, register, articulation, ...) follow the realised affect.
    public static let maxAffectStepPerBar = 0.25

    /// Largest tempo change per bar (BPM); the ramp spreads it over the bar's beats.
    public var tempoPerBar: Double
    /// Largest velocity change per bar.
    public var velocityPerBar: Double
    /// Largest affect move per bar.
    public var affectPerBar: Double

    public init(
        tempoPerBar: Double = TransitionLimits.maxTempoStepPerBar,
        velocityPerBar: Double = TransitionLimits.maxVelocityStepPerBar,
        affectPerBar: Double = TransitionLimits.maxAffectStepPerBar
    ) {
        self.tempoPerBar = tempoPerBar
        self.velocityPerBar = velocityPerBar
        self.affectPerBar = affectPerBar
    }

    /// The default limits (8 BPM, 6 velocity steps and 0.25 affect units per bar).
    public static let standard = TransitionLimits()
}

/// The plan of one bar: where it is, what it aims at and what it realises.
public struct BarPlan: Sendable, Hashable {
    /// 0-based bar number.
    public var index: Int
    public var startTick: Int
    /// Seconds from the start of the piece to the bar line (from the score's tempo map).
    public var startSeconds: Double
    /// The affect the timeline asks for at the bar line.
    public var target: Affect
    /// The affect the bar realises, moving toward ``target`` by a bounded step per bar.
    public var affect: Affect
    /// What the bar realises: tempo at the bar line, key, velocity and the other cues.
    public var intent: MusicalIntent
    /// Bar number within its phrase (0 = phrase start).
    public var phrasePosition: Int
    /// The chords of the bar in order: one fills the bar, two split it at its middle beat.
    public var chords: [Chord]
    /// The tempo (BPM) reached at the next bar line; the bar ramps toward it one beat at a time.
    public var endTempo: Double
    /// The melody's palette; it changes only at phrase starts. A pentatonic bar has plain
    /// harmony (its intent's tension is 0).
    public var palette: ScalePalette = .diatonic
    /// Whether the constraints and the targets let drums play in this bar (when false the
    /// intent's percussion is 0 and its ensemble has no percussion).
    public var percussionAllowed: Bool = true

    /// True on the first bar of a phrase.
    public var isPhraseStart: Bool { phrasePosition == 0 }
}

/// What the targets ask of one bar: an affect, a palette and whether drums may play (the
/// configuration's constraints already applied).
struct BarTarget {
    var affect: Affect
    var palette: ScalePalette
    var percussion: Bool
}

/// Where the planner stands at a bar line: everything the next bar's plan depends on besides its
/// target.
struct PlannerState: Hashable, Sendable {
    /// The next bar's number (0-based) and first tick.
    var index = 0
    var tick = 0
    /// Seconds to the next bar line, summed beat by beat as the tempo changes are made: the time
    /// at which the next bar's target is looked up.
    var seconds = 0.0
    /// The previous bar as the mapping planned it, before the switches (its ensemble, held
    /// through the phrase, still says whether the mapping wants drums).
    var previous: BarPlan?
    /// The previous bar's palette, held until a phrase starts.
    var palette: ScalePalette?
    /// The tempo of the last tempo change made: a beat makes a change only when its tempo differs.
    var microsecondsPerQuarter: Int?
}

/// Turns targets over time into bar plans that move musically: tempo ramps beat by beat with a
/// bounded step per bar, velocity moves a bounded step per bar, other cues follow an affect that
/// glides a bounded distance per bar, and key and ensemble change only at phrase starts.
struct TransitionPlanner {
    var mapping: AffectMapping
    var meter: Meter
    var limits: TransitionLimits
    var phraseLength: Int

    /// Plans the bar after `state` (moving `state` on past it) toward the target at its bar line,
    /// and appends its tempo changes (one per beat, where the tempo moves) to `changes`. Chords are
    /// left empty for ``Harmony`` to fill; ``BarPlan/startSeconds`` is the planner's own sum, which
    /// the composer replaces with the tempo map's time of the bar line.
    /// The palette holds until a phrase starts; the percussion switch applies from the bar line.
    func planBar(after state: inout PlannerState, target: (Double) -> BarTarget, changes: inout [TempoChange]) -> BarPlan {
        let grid = Grid(meter: meter)
        let goal = target(state.seconds)
        let planned = nextBar(index: state.index, tick: state.tick, seconds: state.seconds, goal: goal.affect, previous: state.previous)
        var bar = planned
        bar.palette = bar.isPhraseStart ? goal.palette : (state.palette ?? goal.palette)
        if bar.palette == .pentatonic { bar.intent.tension = 0 }
        bar.percussionAllowed = goal.percussion
        if !goal.percussion {
            bar.intent.percussion = 0
            bar.intent.ensemble.percussion = false
        }
        // One tempo change per beat, ramping linearly from the bar's tempo to the next bar's.
        for beat in 0..<grid.beatsPerBar {
            let bpm = bar.intent.tempo + (bar.endTempo - bar.intent.tempo) * Double(beat) / Double(grid.beatsPerBar)
            let change = TempoChange(tick: state.tick + beat * grid.ticksPerBeat, bpm: grid.quarterBPM(bpm))
            if state.microsecondsPerQuarter != change.microsecondsPerQuarter {
                changes.append(change)
                state.microsecondsPerQuarter = change.microsecondsPerQuarter
            }
            state.seconds += Double(change.microsecondsPerQuarter) * Double(grid.ticksPerBeat) / Double(grid.ticksPerQuarter) / 1_000_000
        }
        state.index += 1
        state.tick += grid.barTicks
        state.previous = planned
        state.palette = bar.palette
        return bar
    }

    private func nextBar(index: Int, tick: Int, seconds: Double, goal: Affect, previous: BarPlan?) -> BarPlan {
        let phrasePosition = index % phraseLength
        let desired = mapping.intent(for: goal)
        var affect = goal
        var intent = desired
        if let previous {
            affect = step(from: previous.affect, toward: goal, by: limits.affectPerBar)
            intent = mapping.intent(for: affect)
            intent.tempo = previous.endTempo
            intent.velocity = previous.intent.velocity + bounded(desired.velocity - previous.intent.velocity, limits.velocityPerBar)
            // Key and instruments hold until a phrase starts, then jump to the target's.
            if phrasePosition == 0 {
                intent.key = desired.key
                intent.ensemble = desired.ensemble
            } else {
                intent.key = previous.intent.key
                intent.ensemble = previous.intent.ensemble
            }
        }
        intent.meter = meter
        let endTempo = intent.tempo + bounded(desired.tempo - intent.tempo, limits.tempoPerBar)
        return BarPlan(
            index: index, startTick: tick, startSeconds: seconds, target: goal, affect: affect, intent: intent,
            phrasePosition: phrasePosition, chords: [], endTempo: endTempo)
    }

    private func bounded(_ delta: Double, _ limit: Double) -> Double {
        min(max(delta, -limit), limit)
    }

    private func step(from a: Affect, toward b: Affect, by limit: Double) -> Affect {
        let distance = a.distance(to: b)
        guard distance > limit, distance > 0 else { return b }
        return a.interpolated(to: b, by: limit / distance)
    }
}
