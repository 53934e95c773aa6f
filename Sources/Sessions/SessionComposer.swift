import Composer
import EmoMusikCore
import EmoMusikPlugins
import Presets

/// A session's music, composed bar by bar while the session runs, so that the music can be
/// played before the session ends. Offline and live sessions both use it; only the clock that
/// calls ``advance(to:decisions:)`` differs.
///
/// Bar *k* is committed (fixed for good) shortly before it is due: it is taken from a composition
/// of the decisions known at that moment, running ``lookaheadBars`` bars past it (so bar *k* is
/// not mistaken for the end of the piece: no final cadence, and its pivot and last-note gate see
/// a bar *k* + 1), with the preset's safety envelope applied last. The composer is causal (a bar
/// depends on the targets at bar lines up to its own), so a decision that takes effect at the
/// first bar not yet committed (``nextBarStart``) never changes a committed bar: a session logs
/// each decision's effective time and, per bar, how many decisions and bars its composition
/// had, and ``replay(decisions:bars:preset:seed:)`` rebuilds the same score from the log.
///
/// [session thread] Not thread-safe; one session drives it.
public final class SessionComposer {
    /// Bars composed past the one being committed.
    public static let lookaheadBars = 3
    /// Bars added after the source ends: the last is the final cadence on the tonic.
    public static let closingBars = 2

    public let preset: Preset?
    public let seed: UInt64
    private let composer: Composer

    /// The committed bars as the composer planned them.
    public private(set) var bars: [BarPlan] = []
    /// The committed music before the safety envelope.
    public private(set) var plainScore: Score?
    /// The committed music after the safety envelope: what is played.
    public private(set) var score: Score?
    /// What the envelope changed in the committed bars (whole-track changes reported once).
    public private(set) var adjustments: [EnvelopeAdjustment] = []
    /// One record per committed bar, as logged.
    public private(set) var records: [MusicRecord] = []
    /// Seconds from the start at which the first bar not yet committed begins: the earliest a
    /// new decision can take effect.
    public private(set) var nextBarStart: Double = 0
    /// Whether the closing bars (with the final cadence) have been committed.
    public private(set) var isClosed = false

    private var reportedWholeTrack: Set<String> = []

    public init(preset: Preset?, seed: UInt64) {
        self.preset = preset
        self.seed = seed
        composer = Composer(configuration: preset?.composerConfiguration(seed: seed) ?? ComposerConfiguration(seed: seed))
    }

    /// Bars committed so far.
    public var committedBars: Int { bars.count }

    /// The music so far (composer's plan, envelope applied).
    public var music: SessionMusic? {
        guard let plainScore, let score else { return nil }
        return SessionMusic(composition: Composition(score: plainScore, bars: bars), score: score, adjustments: adjustments)
    }

    /// Commits every bar that starts before `time` (seconds from the session's start), each from
    /// the `decisions` known now. Returns the bars committed by this call, already in ``records``.
    @discardableResult
    public func advance(to time: Double, decisions: [DecisionRecord]) -> [MusicRecord] {
        precondition(!isClosed, "the session's music is closed")
        var committed: [MusicRecord] = []
        while nextBarStart < time {
            committed.append(commitBar(decisions: decisions, known: decisions.count, total: committedBars + 1 + Self.lookaheadBars))
        }
        return committed
    }

    /// Ends the music: ``closingBars`` more bars whose last is the final cadence, from the known
    /// `decisions`. Returns them, already in ``records``.
    @discardableResult
    public func close(decisions: [DecisionRecord]) -> [MusicRecord] {
        precondition(!isClosed, "close() called twice")
        let total = committedBars + Self.closingBars
        var committed: [MusicRecord] = []
        while committedBars < total {
            committed.append(commitBar(decisions: decisions, known: decisions.count, total: total))
        }
        isClosed = true
        return committed
    }

    /// Rebuilds a session's music from its log: each bar from the composition its ``MusicRecord``
    /// names (the first `decisions` decisions, `bars` bars long).
    public static func replay(decisions: [DecisionRecord], bars: [MusicRecord], preset: Preset?, seed: UInt64) throws -> SessionComposer {
        let music = SessionComposer(preset: preset, seed: seed)
        for record in bars {
            guard let known = record.decisions, let total = record.compositionBars else {
                throw EmoMusikError(.malformedFile, "music record of bar \(record.bar) does not say which composition it came from")
            }
            guard record.bar == music.committedBars + 1, known <= decisions.count, total > music.committedBars else {
                throw EmoMusikError(
                    .malformedFile,
                    "music record of bar \(record.bar) does not follow bar \(music.committedBars) or names \(known) of \(decisions.count) decisions")
            }
            music.commitBar(decisions: Array(decisions.prefix(known)), known: known, total: total)
        }
        return music
    }

    /// The composer's targets: each decision from its effective time, after neutral from time 0
    /// (what the first bars play before any decision, whatever is known later).
    public static func targets(_ decisions: [DecisionRecord]) -> [TargetKeyframe] {
        var keyframes: [TargetKeyframe] = []
        if decisions.first.map({ $0.effectiveTime > 0 }) ?? true { keyframes.append(TargetKeyframe(time: 0, affect: .neutral)) }
        for decision in decisions {
            // An effective time is a bar line from the tempo map; the composer finds a bar's
            // target by a bar-start time it sums beat by beat, which can land a rounding error
            // earlier. A microsecond's margin keeps the decision on its bar.
            let time = decision.effective.map { $0 - 1e-6 } ?? decision.t
            keyframes.appendIfTargetChanges(TargetKeyframe(
                time: time, affect: decision.target, palette: decision.palette, percussion: decision.percussion))
        }
        return keyframes
    }

    @discardableResult
    private func commitBar(decisions: [DecisionRecord], known: Int, total: Int) -> MusicRecord {
        let index = committedBars
        let composition = composer.compose(targets: Self.targets(Array(decisions.prefix(known))), bars: total)
        let (enforced, changes) = preset?.enforce(composition) ?? (composition.score, [])
        let bar = composition.bars[index]
        let start = bar.startTick
        let end = index + 1 < composition.bars.count ? composition.bars[index + 1].startTick : composition.score.endTick

        plainScore = Self.appending(bar: start..<end, of: composition.score, to: plainScore)
        score = Self.appending(bar: start..<end, of: enforced, to: score)
        bars.append(bar)
        for change in changes {
            if let tick = change.tick {
                if (start..<end).contains(tick) { adjustments.append(change) }
            } else if reportedWholeTrack.insert("\(change.kind.rawValue)|\(change.track ?? "")").inserted {
                adjustments.append(change)
            }
        }
        nextBarStart = enforced.tempoMap.seconds(atTick: end)
        var record = SessionMusic.record(bar: bar, number: index + 1, range: start..<end, of: enforced)
        record.decisions = known
        record.compositionBars = total
        records.append(record)
        return record
    }

    /// `score` (or a new score with `source`'s header) with `source`'s events in `range` added.
    static func appending(bar range: Range<Int>, of source: Score, to score: Score?) -> Score {
        var result = score ?? Score(
            ticksPerQuarter: source.ticksPerQuarter, tempoMap: TempoMap(ticksPerQuarter: source.ticksPerQuarter, changes: []),
            timeSignatures: source.timeSignatures, keyChanges: [], markers: [],
            tracks: source.tracks.map {
                Track(name: $0.name, channel: $0.channel, program: $0.program, programChanges: [], notes: [], controls: [])
            },
            endTick: 0)
        for change in source.tempoMap.changes where range.contains(change.tick) { result.tempoMap.append(change) }
        result.keyChanges += source.keyChanges.filter { range.contains($0.tick) }
        result.markers += source.markers.filter { range.contains($0.tick) }
        for (t, track) in source.tracks.enumerated() where t < result.tracks.count {
            result.tracks[t].notes += track.notes.filter { range.contains($0.tick) }
            result.tracks[t].programChanges += track.programChanges.filter { range.contains($0.tick) }
            result.tracks[t].controls += track.controls.filter { range.contains($0.tick) }
        }
        result.endTick = range.upperBound
        return result
    }
}

extension DecisionRecord {
    /// When the music may follow this decision: its effective time, or its time if none was logged.
    public var effectiveTime: Double { effective ?? t }
}
