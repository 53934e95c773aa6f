import Composer
import EmoMusikCore
import EmoMusikPlugins
import Presets

/// A session's music, composed bar by bar while the session runs, so that the music can be
/// played before the session ends. Offline and live sessions both use it; only the clock that
/// calls ``advance(to:decisions:)`` differs.
///
/// Bar *k* is committed (fixed for good) shortly before it is due: it is bar *k* of a composition
/// of the decisions known at that moment, running ``lookaheadBars`` bars past it (so bar *k* is not
/// mistaken for the end of the piece: no final cadence, and its pivot and last-note gate see a bar
/// *k* + 1), with the preset's safety envelope applied last. The composer is causal (a bar depends
/// on the targets at bar lines up to its own), so a decision that takes effect at the first bar not
/// yet committed (``nextBarStart``) never changes a committed bar: a session logs each decision's
/// effective time and, per bar, how many decisions and bars its composition had, and
/// ``replay(decisions:bars:preset:seed:method:)`` rebuilds the same score from the log.
///
/// That composition is not made whole for each bar (``Method/incremental``): an
/// ``IncrementalComposer`` carries the composer's state from bar to bar and composes only from the
/// bar before *k* to the end of the lookahead, and the envelope carries its own state (each
/// track's last loudness, the tempo) the same way, so a bar costs as much at the end of a long
/// session as at its start. ``Method/wholePiece`` does make it whole, as the yardstick.
///
/// [session thread] Not thread-safe; one session drives it.
public final class SessionComposer {
    /// Bars composed past the one being committed.
    public static let lookaheadBars = 3
    /// Bars added after the source ends: the last is the final cadence on the tonic.
    public static let closingBars = 2

    /// How each bar is composed. Both commit the same bars, event for event, with the same records
    /// and adjustments.
    public enum Method: Sendable, Hashable {
        /// Carrying on from the state at the bar before (see ``IncrementalComposer``): the cost of a
        /// bar does not grow with the session.
        case incremental
        /// From a composition of the whole piece so far with the lookahead, the envelope applied to
        /// all of it: the definition of a committed bar, whose cost grows with the session.
        case wholePiece
    }

    public let preset: Preset?
    public let seed: UInt64
    public let method: Method
    private let composer: Composer

    /// The committed bars as the composer planned them.
    public private(set) var bars: [BarPlan] = []
    /// The committed music before the safety envelope.
    public private(set) var plainScore: Score?
    /// The committed music after the safety envelope: what is played. Without a preset it is
    /// ``plainScore`` (kept once).
    public var score: Score? { preset == nil ? plainScore : playedScore }
    /// What the envelope changed in the committed bars (whole-track changes reported once).
    public private(set) var adjustments: [EnvelopeAdjustment] = []
    /// One record per committed bar, as logged.
    public private(set) var records: [MusicRecord] = []
    /// Seconds from the start at which the first bar not yet committed begins: the earliest a
    /// new decision can take effect.
    public private(set) var nextBarStart: Double = 0
    /// Whether the closing bars (with the final cadence) have been committed.
    public private(set) var isClosed = false

    private var playedScore: Score?
    private var reportedWholeTrack: Set<String> = []

    /// The incremental method's composer, with the keyframes of the first `foldedDecisions`
    /// decisions (nil until first set; `lastFolded` is the last of them, to notice a changed log).
    private var incremental: IncrementalComposer
    private var foldedDecisions: Int?
    private var lastFolded: DecisionRecord?
    /// The incremental method's envelope state and clock of the music as played.
    private var played = PlayedProgress()

    /// The envelope's carry and the tempo clock of the music as played, at the bar line of `bar`:
    /// the first bar of the next excerpt, unless that is recomposed from bar 0.
    private struct PlayedProgress {
        var bar = 0
        var carry = SafetyEnvelope.Carry()
        var clock: TempoClock?
    }

    public convenience init(preset: Preset?, seed: UInt64, method: Method = .incremental) {
        self.init(
            preset: preset, seed: seed, method: method,
            configuration: preset?.composerConfiguration(seed: seed) ?? ComposerConfiguration(seed: seed))
    }

    /// With a composer configured apart from the preset: a test can give the composer more room
    /// than the envelope allows, so that the envelope has whole tracks to change.
    init(preset: Preset?, seed: UInt64, method: Method, configuration: ComposerConfiguration) {
        self.preset = preset
        self.seed = seed
        self.method = method
        composer = Composer(configuration: configuration)
        incremental = IncrementalComposer(composer: composer)
    }

    /// Bars committed so far.
    public var committedBars: Int { bars.count }

    /// The music so far (composer's plan, envelope applied).
    public var music: SessionMusic? {
        guard let plainScore, let score else { return nil }
        return SessionMusic(composition: Composition(score: plainScore, bars: bars), score: score, adjustments: adjustments)
    }

    /// Commits every bar that starts before `time` (seconds from the session's start), each from
    /// the `decisions` known now: the session's decisions in the order made (each call's begin with
    /// the previous call's, unchanged). Returns the bars committed by this call, already in ``records``.
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
    public static func replay(
        decisions: [DecisionRecord], bars: [MusicRecord], preset: Preset?, seed: UInt64, method: Method = .incremental
    ) throws -> SessionComposer {
        let music = SessionComposer(preset: preset, seed: seed, method: method)
        for record in bars {
            guard let known = record.decisions, let total = record.compositionBars else {
                throw EmoMusikError(.malformedFile, "music record of bar \(record.bar) does not say which composition it came from")
            }
            guard record.bar == music.committedBars + 1, known >= 0, known <= decisions.count, total > music.committedBars else {
                throw EmoMusikError(
                    .malformedFile,
                    "music record of bar \(record.bar) does not follow bar \(music.committedBars) or names \(known) of \(decisions.count) decisions")
            }
            music.commitBar(decisions: decisions, known: known, total: total)
        }
        return music
    }

    /// The composer's targets: each decision from its effective time, after neutral from time 0
    /// (what the first bars play before any decision, whatever is known later).
    public static func targets(_ decisions: [DecisionRecord]) -> [TargetKeyframe] {
        var keyframes: [TargetKeyframe] = []
        if decisions.first.map({ $0.effectiveTime > 0 }) ?? true { keyframes.append(TargetKeyframe(time: 0, affect: .neutral)) }
        for decision in decisions { keyframes.appendIfTargetChanges(keyframe(decision)) }
        return keyframes
    }

    /// A decision's keyframe, from its effective time.
    static func keyframe(_ decision: DecisionRecord) -> TargetKeyframe {
        // An effective time is a bar line from the tempo map; the composer finds a bar's
        // target by a bar-start time it sums beat by beat, which can land a rounding error
        // earlier. A microsecond's margin keeps the decision on its bar.
        let time = decision.effective.map { $0 - 1e-6 } ?? decision.t
        return TargetKeyframe(time: time, affect: decision.target, palette: decision.palette, percussion: decision.percussion)
    }

    /// Commits bar ``committedBars`` from the first `known` of `decisions`, in a piece of `total` bars.
    @discardableResult
    private func commitBar(decisions: [DecisionRecord], known: Int, total: Int) -> MusicRecord {
        let index = committedBars
        let composed = switch method {
        case .incremental: composeIncrementally(decisions: decisions, known: known, total: total)
        case .wholePiece: composeWhole(decisions: decisions, known: known, total: total)
        }
        let range = composed.plain.ticks
        Self.append(composed.plain, to: &plainScore)
        if preset != nil { Self.append(composed.played, to: &playedScore) }
        bars.append(composed.bar)
        for change in composed.adjustments {
            if let tick = change.tick {
                if range.contains(tick) { adjustments.append(change) }
            } else if reportedWholeTrack.insert(Self.wholeTrackKey(change)).inserted {
                adjustments.append(change)
            }
        }
        nextBarStart = composed.nextBarStart
        var record = SessionMusic.record(
            bar: composed.bar, number: index + 1, seconds: composed.seconds, tempo: composed.tempo, notes: composed.played.tracks,
            range: range)
        record.decisions = known
        record.compositionBars = total
        records.append(record)
        return record
    }

    /// A bar as composed and as played (its events only), what the envelope changed in the piece
    /// it was composed in, and, as played: when it starts, its tempo there, when the next bar starts.
    private struct ComposedBar {
        var bar: BarPlan
        var plain: CompositionExcerpt
        var played: CompositionExcerpt
        var adjustments: [EnvelopeAdjustment]
        var seconds: Double
        var tempo: Double
        var nextBarStart: Double
    }

    /// Bar ``committedBars`` of the whole piece, composed and enveloped whole.
    private func composeWhole(decisions: [DecisionRecord], known: Int, total: Int) -> ComposedBar {
        let index = committedBars
        let composition = composer.compose(targets: Self.targets(Array(decisions.prefix(known))), bars: total)
        let (enforced, changes) = preset?.enforce(composition) ?? (composition.score, [])
        let bar = composition.bars[index]
        let plain = CompositionExcerpt(composition).bars(index..<index + 1)
        return ComposedBar(
            bar: bar, plain: plain,
            played: CompositionExcerpt(Composition(score: enforced, bars: composition.bars)).bars(index..<index + 1),
            adjustments: changes, seconds: enforced.tempoMap.seconds(atTick: bar.startTick),
            tempo: enforced.tempoMap.bpm(atTick: bar.startTick), nextBarStart: enforced.tempoMap.seconds(atTick: plain.ticks.upperBound))
    }

    /// Bar ``committedBars`` from the incremental composer, and the envelope carried on from the
    /// excerpt's first bar: the bars before this one bring the envelope and the clock to its bar
    /// line (where the next excerpt starts), then it is applied from there to the piece's end.
    private func composeIncrementally(decisions: [DecisionRecord], known: Int, total: Int) -> ComposedBar {
        let index = committedBars
        fold(decisions, known: known)
        let excerpt = incremental.composeNextBar(bars: total)
        let bar = excerpt.bars[index - excerpt.firstBar]
        if excerpt.firstBar == 0 {
            played = PlayedProgress()
        } else {
            precondition(played.bar == excerpt.firstBar, "the envelope is at bar \(played.bar), the excerpt starts at bar \(excerpt.firstBar)")
        }
        let (before, beforeChanges) = play(excerpt.bars(excerpt.firstBar..<index), carry: &played.carry)
        for change in before.tempoChanges { Self.run(&played.clock, to: change) }
        played.bar = index
        var carry = played.carry
        let (rest, restChanges) = play(excerpt.bars(index..<total), carry: &carry)
        var changes = restChanges
        if (beforeChanges + restChanges).contains(where: { $0.tick == nil && !reportedWholeTrack.contains(Self.wholeTrackKey($0)) }) {
            // A whole-track change counts the events of the whole piece, not of the excerpt: take
            // the changes from the whole piece. (The preset's own configuration never leads here:
            // the composer's loudest note and percussion switch are the envelope's.)
            changes = preset?.enforce(composer.compose(targets: incremental.targets, bars: total)).adjustments ?? []
        }
        let playing = rest.bars(index..<index + 1)
        var clock = played.clock
        let seconds = clock?.seconds(atTick: bar.startTick) ?? 0
        // The tempo at the bar line: its own change there, or the last before it (120 BPM, the MIDI
        // default, before any).
        let tempo = (playing.tempoChanges.first { $0.tick == bar.startTick } ?? clock?.latest)?.bpm ?? 120
        for change in playing.tempoChanges { Self.run(&clock, to: change) }
        return ComposedBar(
            bar: bar, plain: excerpt.bars(index..<index + 1), played: playing, adjustments: changes, seconds: seconds,
            tempo: tempo, nextBarStart: clock?.seconds(atTick: playing.ticks.upperBound) ?? 0)
    }

    /// `excerpt` as played: the envelope applied, carrying on from `carry`; without a preset, as composed.
    private func play(_ excerpt: CompositionExcerpt, carry: inout SafetyEnvelope.Carry) -> (CompositionExcerpt, [EnvelopeAdjustment]) {
        guard let preset else { return (excerpt, []) }
        return preset.enforce(excerpt, carry: &carry)
    }

    /// Brings the incremental composer's targets to those of the first `known` decisions: appends
    /// the keyframes of the decisions since the last bar (a session's log only grows), or sets them
    /// anew when the decisions are not an extension of those folded so far.
    private func fold(_ decisions: [DecisionRecord], known: Int) {
        if let folded = foldedDecisions, folded <= known, folded == 0 ? known == 0 : decisions[folded - 1] == lastFolded {
            for decision in decisions[folded..<known] {
                let keyframe = Self.keyframe(decision)
                if let last = incremental.targets.last, last.asksForTheSame(as: keyframe) { continue }
                incremental.append(keyframe)
            }
        } else {
            incremental.replaceTargets(with: Self.targets(Array(decisions.prefix(known))))
        }
        foldedDecisions = known
        lastFolded = known > 0 ? decisions[known - 1] : nil
    }

    /// Runs `clock` on to `change` (starting it at the first change).
    private static func run(_ clock: inout TempoClock?, to change: TempoChange) {
        if clock == nil { clock = TempoClock(first: change) } else { clock?.append(change) }
    }

    /// Whole-track changes of one kind to one track are reported once.
    private static func wholeTrackKey(_ change: EnvelopeAdjustment) -> String {
        "\(change.kind.rawValue)|\(change.track ?? "")"
    }

    /// Adds `excerpt`'s events to `score` (a new score with `excerpt`'s header when nil), in place.
    static func append(_ excerpt: CompositionExcerpt, to score: inout Score?) {
        if score == nil {
            score = Score(
                ticksPerQuarter: excerpt.ticksPerQuarter, tempoMap: TempoMap(ticksPerQuarter: excerpt.ticksPerQuarter, changes: []),
                timeSignatures: [TimeSignatureChange(tick: 0, meter: excerpt.meter)], keyChanges: [], markers: [],
                tracks: excerpt.tracks.map {
                    Track(name: $0.name, channel: $0.channel, program: $0.program, programChanges: [], notes: [], controls: [])
                },
                endTick: 0)
        }
        for change in excerpt.tempoChanges { score!.tempoMap.append(change) }
        score!.keyChanges += excerpt.keyChanges
        score!.markers += excerpt.markers
        for (t, track) in excerpt.tracks.enumerated() where t < score!.tracks.count {
            score!.tracks[t].notes += track.notes
            score!.tracks[t].programChanges += track.programChanges
            score!.tracks[t].controls += track.controls
        }
        score!.endTick = excerpt.ticks.upperBound
    }
}

extension DecisionRecord {
    /// When the music may follow this decision: its effective time, or its time if none was logged.
    public var effectiveTime: Double { effective ?? t }
}
