import Composer
import EmoMusikCore
import EmoMusikPlugins
import Presets

extension Preset {
    /// What the preset lets the composer do, in the composer's terms: the home tonic, the allowed
    /// modes, the tempo range, the loudest velocity, the instruments, percussion only when both the
    /// ensemble and the safety envelope allow it, no dissonant harmony when the envelope forbids it,
    /// and the melody voice's register shift.
    ///
    /// The composer shifts all pitched voices by one offset; the preset's pad and bass register
    /// settings are not yet applied separately (the melody's is used for all three).
    public var composerConstraints: MusicalConstraints {
        MusicalConstraints(
            homeTonic: tonic, allowedModes: modes, tempoRange: tempo, maxVelocity: Double(safety.maxVelocity),
            percussion: ensemble.percussion && safety.percussion, maxTension: safety.dissonance ? 1 : 0,
            ensemble: Ensemble(
                melody: ensemble.melody.program, pad: ensemble.pad.program, bass: ensemble.bass.program,
                percussion: ensemble.percussion && safety.percussion),
            registerOffset: 12 * ensemble.melody.registerOctaves)
    }

    /// Where the preset leads, and how fast, for a strategy.
    public var goal: SessionGoal {
        SessionGoal(target: target.affect, neutral: .neutral, leadRate: leadRate)
    }

    /// How fast the composer may move from bar to bar: its own limits, tightened to the envelope's
    /// tempo step and (unless sudden dynamics are allowed) loudness step, so that the music already
    /// moves within the envelope and the envelope seldom has to step in.
    public var transitionLimits: TransitionLimits {
        var limits = TransitionLimits.standard
        limits.tempoPerBar = min(limits.tempoPerBar, safety.maxTempoChangePerBar)
        if !safety.suddenDynamics { limits.velocityPerBar = min(limits.velocityPerBar, safety.maxLoudnessStep) }
        return limits
    }

    /// The composer configured for this preset, with `seed`.
    public func composerConfiguration(seed: UInt64) -> ComposerConfiguration {
        ComposerConfiguration(seed: seed, limits: transitionLimits, constraints: composerConstraints)
    }

    /// `composition`'s score with the safety envelope applied last, so that no strategy, plugin or
    /// composer rule exceeds it, and what the envelope had to change.
    public func enforce(_ composition: Composition) -> (score: Score, adjustments: [EnvelopeAdjustment]) {
        let (score, adjustments) = safety.apply(to: composition.score)
        return (score, adjustments)
    }

    /// Bars of a composition (following those `carry` has seen) with the safety envelope applied,
    /// carrying on from `carry`: as ``enforce(_:)`` applies it to the whole composition, except
    /// that a whole-track change counts the excerpt's events only. Notes before `fixedBefore` have
    /// sounded already (see ``SafetyEnvelope/apply(tracks:tempoChanges:timeSignatures:ticksPerQuarter:carry:fixedBefore:)``).
    public func enforce(
        _ excerpt: CompositionExcerpt, carry: inout SafetyEnvelope.Carry, fixedBefore: Int = .min
    ) -> (CompositionExcerpt, [EnvelopeAdjustment]) {
        let applied = safety.apply(
            tracks: excerpt.tracks, tempoChanges: excerpt.tempoChanges,
            timeSignatures: [TimeSignatureChange(tick: 0, meter: excerpt.meter)], ticksPerQuarter: excerpt.ticksPerQuarter,
            carry: &carry, fixedBefore: fixedBefore)
        var played = excerpt
        played.tracks = applied.tracks
        played.tempoChanges = applied.tempoChanges
        return (played, applied.adjustments)
    }
}
