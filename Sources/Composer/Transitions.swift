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
    /// Whether a target that takes effect between bar lines re-aims the bar's dynamics and tempo
    /// ramp from the next beat (a ``BeatRevision``), as a live session needs, or waits for the next
    /// bar line. Off by default: a composed timeline follows its keyframes at bar lines.
    public var followsWithinBar = false

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
    /// Where a target that took effect within the bar re-aimed its dynamics and tempo ramp, in
    /// order; empty when the whole bar follows the target at its bar line (see ``BeatRevision``).
    public var revisions: [BeatRevision] = []

    /// True on the first bar of a phrase.
    public var isPhraseStart: Bool { phrasePosition == 0 }

    /// The velocity the bar's voices are built on at `tick`: the latest revision's at or before
    /// it, otherwise the intent's.
    public func velocity(atTick tick: Int) -> Double {
        revisions.last { $0.tick <= tick }?.velocity ?? intent.velocity
    }
}

/// A bar's performance re-aimed at one of its beats, for a target that took effect there: from
/// that beat on, the voices are built on ``velocity`` and the tempo ramps from where it is toward
/// the bar's ``BarPlan/endTempo``, each within the same per-bar limits as a bar line's change. What
/// the bar plays (key, chords, notes, ensemble, density) still follows the target at its bar line;
/// the next bar follows the new target as any bar does. So the music answers a new target at the
/// next beat, and keys, instruments and textures still change only at bar lines and phrases.
public struct BeatRevision: Sendable, Hashable {
    /// The beat's first tick.
    public var tick: Int
    /// The affect the target asks for from this beat.
    public var target: Affect
    /// The velocity the voices are built on from this beat.
    public var velocity: Double
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
        // One tempo change per beat, ramping linearly from the bar's tempo to the next bar's; a
        // target that takes effect at a later beat re-aims the ramp (and the velocity) from there.
        var current = goal.affect
        var ramp = (from: bar.intent.tempo, beat: 0)
        var lowest = bar.intent.tempo, highest = bar.intent.tempo
        var carried = planned
        for beat in 0..<grid.beatsPerBar {
            let tick = state.tick + beat * grid.ticksPerBeat
            if beat > 0, limits.followsWithinBar, case let next = target(state.seconds), next.affect != current {
                current = next.affect
                let revision = revise(bar, at: tick, toward: next.affect, previous: state.previous, tempos: lowest...highest)
                // The new ramp starts from the beat before's tempo.
                let from = ramp.from + (bar.endTempo - ramp.from) * Double(beat - 1 - ramp.beat) / Double(grid.beatsPerBar - ramp.beat)
                ramp = (from: from, beat: beat - 1)
                bar.endTempo = revision.endTempo
                bar.revisions.append(revision.revision)
                carried.endTempo = revision.endTempo
                carried.intent.velocity = revision.revision.velocity
            }
            let bpm = ramp.from + (bar.endTempo - ramp.from) * Double(beat - ramp.beat) / Double(grid.beatsPerBar - ramp.beat)
            lowest = min(lowest, bpm)
            highest = max(highest, bpm)
            let change = TempoChange(tick: tick, bpm: grid.quarterBPM(bpm))
            if state.microsecondsPerQuarter != change.microsecondsPerQuarter {
                changes.append(change)
                state.microsecondsPerQuarter = change.microsecondsPerQuarter
            }
            state.seconds += Double(change.microsecondsPerQuarter) * Double(grid.ticksPerBeat) / Double(grid.ticksPerQuarter) / 1_000_000
        }
        state.index += 1
        state.tick += grid.barTicks
        state.previous = carried
        state.palette = bar.palette
        return bar
    }

    /// `bar` re-aimed at the beat at `tick` toward `affect`: the velocity a bar line would step
    /// to from the bar before (bounded by the per-bar step), and the tempo to reach at the next bar
    /// line, bounded so that every tempo in the bar, `tempos` so far included, stays within one
    /// per-bar step of the others.
    private func revise(
        _ bar: BarPlan, at tick: Int, toward affect: Affect, previous: BarPlan?, tempos: ClosedRange<Double>
    ) -> (revision: BeatRevision, endTempo: Double) {
        let desired = mapping.intent(for: affect)
        let base = previous?.intent.velocity ?? bar.intent.velocity
        let velocity = base + bounded(desired.velocity - base, limits.velocityPerBar)
        let end = bar.intent.tempo + bounded(desired.tempo - bar.intent.tempo, limits.tempoPerBar)
        let reach = (tempos.upperBound - limits.tempoPerBar, tempos.lowerBound + limits.tempoPerBar)
        return (BeatRevision(tick: tick, target: affect, velocity: velocity), min(max(end, reach.0), reach.1))
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
