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

    /// One `music` event per bar, from the score as it will sound: the tempo at the bar's start, the
    /// composer's key, the mean velocity of the bar's pitched notes.
    public var barRecords: [MusicRecord] {
        let starts = composition.bars.map(\.startTick)
        var velocitySums = [Double](repeating: 0, count: starts.count)
        var counts = [Int](repeating: 0, count: starts.count)
        for track in score.tracks where !track.isPercussion {
            for note in track.notes {
                // The bar holding the note: the last start at or before it.
                var low = 0, high = starts.count - 1
                while low < high {
                    let middle = (low + high + 1) / 2
                    if starts[middle] <= note.tick { low = middle } else { high = middle - 1 }
                }
                guard !starts.isEmpty else { continue }
                velocitySums[low] += Double(note.velocity)
                counts[low] += 1
            }
        }
        return composition.bars.enumerated().map { index, bar in
            MusicRecord(
                t: score.tempoMap.seconds(atTick: bar.startTick), bar: index + 1,
                tempo: score.tempoMap.bpm(atTick: bar.startTick), key: bar.intent.key.description,
                mode: bar.intent.key.mode.family.rawValue,
                velocity: counts[index] > 0 ? velocitySums[index] / Double(counts[index]) : 0, affect: bar.affect)
        }
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
