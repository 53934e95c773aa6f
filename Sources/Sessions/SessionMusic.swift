import Composer
import EmoMusikCore
import EmoMusikPlugins
import Foundation
import Presets

/// The music of a session: the strategy's logged decisions → the composer's targets → a
/// composition → the preset's safety envelope, applied last. A session and its replay both go
/// through ``compose(decisions:duration:preset:seed:)`` with the same logged values, so an
/// offline session's replay is the same score, and so the same audio.
public struct SessionMusic: Sendable {
    /// The composition as the composer made it (bars, intents).
    public var composition: Composition
    /// The score after the safety envelope: what is rendered.
    public var score: Score
    /// What the envelope had to change.
    public var adjustments: [EnvelopeAdjustment]

    /// Composes the music for `decisions` lasting `duration` seconds, with the preset's constraints
    /// and envelope (or the composer's defaults without a preset).
    public static func compose(decisions: [DecisionRecord], duration: Double, preset: Preset?, seed: UInt64) -> SessionMusic {
        let choices = decisions.map { OfflineSession.Decision(time: $0.t, child: $0.child ?? .neutral, target: $0.musicalTarget) }
        var targets = OfflineSession.targets(for: choices, duration: duration)
        if targets.isEmpty { targets = [TargetKeyframe(time: 0, affect: .neutral), TargetKeyframe(time: max(duration, 1), affect: .neutral)] }
        let configuration = preset?.composerConfiguration(seed: seed) ?? ComposerConfiguration(seed: seed)
        let composition = Composer(configuration: configuration).compose(targets: targets)
        guard let preset else { return SessionMusic(composition: composition, score: composition.score, adjustments: []) }
        let (score, adjustments) = preset.enforce(composition)
        return SessionMusic(composition: composition, score: score, adjustments: adjustments)
    }

    /// The music of a logged session: beat by beat as the session committed it (``SessionComposer``),
    /// or, for a log of an earlier version without that record, composed whole from the decisions.
    public static func replay(_ contents: SessionLog.Contents, duration: Double, preset: Preset?, seed: UInt64) throws -> SessionMusic {
        let bars = contents.music
        guard !bars.isEmpty, bars.allSatisfy({ $0.decisions != nil && $0.compositionBars != nil }) else {
            return compose(decisions: contents.decisions, duration: duration, preset: preset, seed: seed)
        }
        let composer = try SessionComposer.replay(decisions: contents.decisions, bars: bars, beats: contents.beats, preset: preset, seed: seed)
        guard let music = composer.music else { throw EmoMusikError(.malformedFile, "the session log has no music") }
        return music
    }

    /// One `music` event per bar, from the score as it will sound: the tempo at the bar's start, the
    /// composer's key, the mean velocity of the bar's pitched notes.
    public var barRecords: [MusicRecord] {
        let starts = composition.bars.map(\.startTick)
        return composition.bars.enumerated().map { index, bar in
            let end = index + 1 < starts.count ? starts[index + 1] : score.endTick
            return Self.record(bar: bar, number: index + 1, range: bar.startTick..<max(end, bar.startTick), of: score)
        }
    }

    /// The `music` event of one bar (ticks `range` of `score`).
    static func record(bar: BarPlan, number: Int, range: Range<Int>, of score: Score) -> MusicRecord {
        record(
            bar: bar, number: number, seconds: score.tempoMap.seconds(atTick: bar.startTick),
            tempo: score.tempoMap.bpm(atTick: bar.startTick), notes: score.tracks, range: range)
    }

    /// The `music` event of one bar that starts `seconds` into the music at `tempo` BPM, with the
    /// notes of `tracks` in ticks `range`.
    static func record(bar: BarPlan, number: Int, seconds: Double, tempo: Double, notes tracks: [Track], range: Range<Int>) -> MusicRecord {
        var sum = 0.0, count = 0
        for track in tracks where !track.isPercussion {
            for note in track.notes where range.contains(note.tick) {
                sum += Double(note.velocity)
                count += 1
            }
        }
        return MusicRecord(
            t: seconds, bar: number, tempo: tempo,
            key: bar.intent.key.description, mode: bar.intent.key.mode.family.rawValue,
            velocity: count > 0 ? sum / Double(count) : 0, affect: bar.affect)
    }

    /// Logs the bars, then what the envelope changed (as warnings).
    public func log(to sink: any SessionLogSink) {
        for record in barRecords { sink.record(.music(record)) }
        for adjustment in adjustments {
            let seconds = adjustment.tick.map { score.tempoMap.seconds(atTick: $0) } ?? 0
            sink.record(.warning(Notice(t: seconds, code: "envelope", message: "safety envelope: \(adjustment)")))
        }
    }
}

extension Preset {
    /// The preset as replay needs it, from the YAML text a session log keeps.
    public static func fromLog(_ start: SessionStart) throws -> Preset? {
        guard let yaml = start.presetYAML else { return nil }
        return try Preset.parse(yaml: yaml, file: start.presetFile ?? "(preset in the session log)", strategies: nil)
    }
}
