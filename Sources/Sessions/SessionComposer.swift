import Composer
import EmoMusikCore
import EmoMusikPlugins
import Presets

/// A session's music, composed as the session runs, so that the music can be played before the
/// session ends. Offline and live sessions both use it; only the clock that
/// calls ``advance(to:decisions:)`` differs.
///
/// The music is committed (fixed for good) a beat at a time, shortly before each beat is due.
/// Beat 1 of bar *k* comes from bar *k* of a composition of the decisions known at that moment,
/// running ``lookaheadBars`` bars past it (so bar *k* is not mistaken for the end of the piece: no
/// final cadence, and its pivot and last-note gate see a bar *k* + 1), with the preset's safety
/// envelope applied last; so do its other beats, unless a decision that changes the music arrives
/// while the bar plays: bar *k* is then composed again with it, and the beats from the next one
/// on take that composition's dynamics and tempo. A decision takes effect at the first beat not
/// yet committed (``nextBeatStart``): the composer re-aims the bar's dynamics and tempo ramp there
/// (a ``BeatRevision``), and the bars after it follow the decision whole. A committed beat never
/// changes: a session logs each decision's effective time, per bar how many decisions and bars
/// its composition had, and per recomposed beat how many decisions it knew (``BeatRecord``);
/// ``replay(decisions:bars:beats:preset:seed:method:)`` rebuilds the same score from the log.
///
/// That composition is not made whole for each bar (``Method/incremental``): an
/// ``IncrementalComposer`` carries the composer's state from bar to bar and composes only from the
/// bar before *k* to the end of the lookahead. The envelope carries its own state (each track's
/// last loudness, the tempo) over the music as it was committed, bar by bar, and applies to a bar
/// composed again with its committed beats fixed as they sounded. So a bar costs as much at the
/// end of a long session as at its start. ``Method/wholePiece`` composes the whole piece for every
/// bar, as the yardstick.
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
        /// From a composition of the whole piece so far with the lookahead: the definition of a
        /// committed bar, whose cost grows with the session.
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
    /// One record per bar begun, as logged.
    public private(set) var records: [MusicRecord] = []
    /// One record per beat taken from a composition newer than its bar's, as logged.
    public private(set) var beatRecords: [BeatRecord] = []
    /// Seconds from the start at which the first beat not yet committed begins: the earliest a
    /// new decision can take effect.
    public private(set) var nextBeatStart: Double = 0
    /// Seconds from the start at which the first bar not yet begun begins (after a re-aimed
    /// tempo ramp, where that ramp puts it).
    public var nextBarStart: Double { open?.composed.nextBarStart ?? nextBeatStart }
    /// Whether the closing bars (with the final cadence) have been committed.
    public private(set) var isClosed = false

    private var playedScore: Score?
    private var reportedWholeTrack: Set<String> = []
    /// The last bar begun, while some of its beats are not committed (nil once all are).
    private var open: OpenBar?

    /// A bar whose beats are being committed.
    private struct OpenBar {
        /// As last composed.
        var composed: ComposedBar
        /// Its beats committed so far.
        var beats: Int
        /// The decisions its last composition knew, and that composition's length in bars.
        var known: Int
        var total: Int
    }

    /// The incremental method's composer, with the keyframes of the first `foldedDecisions`
    /// decisions (nil until first set; `lastFolded` is the last of them, to notice a changed log).
    private var incremental: IncrementalComposer
    private var foldedDecisions: Int?
    private var lastFolded: DecisionRecord?
    /// The envelope's state and the tempo clock over the music committed so far.
    private var played = PlayedProgress()

    /// The envelope's carry and the tempo clock of the music as played, over the first `bars`
    /// bars committed (at the bar line after them). Both follow the music as it was committed, not
    /// as a later composition has it: a bar re-aimed from a beat within mixes two compositions.
    private struct PlayedProgress {
        var bars = 0
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
        var configuration = configuration
        configuration.limits.followsWithinBar = true
        composer = Composer(configuration: configuration)
        incremental = IncrementalComposer(composer: composer)
    }

    /// The composer's configuration: the preset's (or the defaults), following targets from the
    /// next beat (``TransitionLimits/followsWithinBar``).
    public var configuration: ComposerConfiguration { composer.configuration }

    /// Bars begun so far (the last may have beats still to commit).
    public var committedBars: Int { bars.count }

    /// The first tick of the first bar not yet begun.
    public var nextBarTick: Int { open?.composed.beatTicks.last ?? plainScore?.endTick ?? 0 }

    /// The music so far (composer's plan, envelope applied).
    public var music: SessionMusic? {
        guard let plainScore, let score else { return nil }
        return SessionMusic(composition: Composition(score: plainScore, bars: bars), score: score, adjustments: adjustments)
    }

    /// Commits every beat that starts before `time` (seconds from the session's start), each from
    /// the `decisions` known now: the session's decisions in the order made (each call's begin with
    /// the previous call's, unchanged). Returns the records of the bars begun by this call, already
    /// in ``records`` (the beats recomposed are added to ``beatRecords``).
    @discardableResult
    public func advance(to time: Double, decisions: [DecisionRecord]) -> [MusicRecord] {
        precondition(!isClosed, "the session's music is closed")
        var begun: [MusicRecord] = []
        while nextBeatStart < time {
            if let record = commitBeat(decisions: decisions, known: decisions.count, total: committedBars + 1 + Self.lookaheadBars) {
                begun.append(record)
            }
        }
        return begun
    }

    /// Commits the open bar's remaining beats as last composed (no decision is taken into it), so
    /// the music ends at a bar line: for a session that was stopped.
    public func completeBar() {
        while let bar = open { commitBeat(decisions: [], known: bar.known, total: bar.total) }
    }

    /// Ends the music: the open bar's remaining beats, then ``closingBars`` more bars whose last is
    /// the final cadence, from the known `decisions`. Returns the records of the bars begun,
    /// already in ``records``.
    @discardableResult
    public func close(decisions: [DecisionRecord]) -> [MusicRecord] {
        precondition(!isClosed, "close() called twice")
        var begun: [MusicRecord] = []
        while let bar = open { commitBeat(decisions: decisions, known: decisions.count, total: bar.total) }
        let total = committedBars + Self.closingBars
        while committedBars < total || open != nil {
            if let record = commitBeat(decisions: decisions, known: decisions.count, total: total) { begun.append(record) }
        }
        isClosed = true
        return begun
    }

    /// Rebuilds a session's music from its log: each bar from the composition its ``MusicRecord``
    /// names (the first `decisions` decisions, `bars` bars long), and from a beat named by a
    /// ``BeatRecord`` on, from the same bar composed with the decisions that record names.
    public static func replay(
        decisions: [DecisionRecord], bars: [MusicRecord], beats: [BeatRecord] = [], preset: Preset?, seed: UInt64,
        method: Method = .incremental
    ) throws -> SessionComposer {
        let music = SessionComposer(preset: preset, seed: seed, method: method)
        var recomposed: [Int: [Int: Int]] = [:]  // bar → beat → decisions
        for beat in beats {
            guard beat.decisions >= 0, beat.decisions <= decisions.count else {
                throw EmoMusikError(
                    .malformedFile, "beat record of bar \(beat.bar), beat \(beat.beat) names \(beat.decisions) of \(decisions.count) decisions")
            }
            recomposed[beat.bar, default: [:]][beat.beat] = beat.decisions
        }
        for record in bars {
            guard let known = record.decisions, let total = record.compositionBars else {
                throw EmoMusikError(.malformedFile, "music record of bar \(record.bar) does not say which composition it came from")
            }
            guard record.bar == music.committedBars + 1, known >= 0, known <= decisions.count, total > music.committedBars else {
                throw EmoMusikError(
                    .malformedFile,
                    "music record of bar \(record.bar) does not follow bar \(music.committedBars) or names \(known) of \(decisions.count) decisions")
            }
            music.commitBeat(decisions: decisions, known: known, total: total)
            while let bar = music.open {
                let beatKnown = recomposed[record.bar]?[bar.beats + 1]
                if let beatKnown, beatKnown < bar.known {
                    throw EmoMusikError(
                        .malformedFile, "beat record of bar \(record.bar), beat \(bar.beats + 1) names fewer decisions than the beat before")
                }
                music.commitBeat(decisions: decisions, known: beatKnown ?? bar.known, total: total, recompose: beatKnown != nil)
            }
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
        // An effective time is a beat from the tempo map; the composer finds a beat's target by
        // a time it sums beat by beat, which can land a rounding error earlier. A microsecond's
        // margin keeps the decision on its beat.
        let time = decision.effective.map { $0 - 1e-6 } ?? decision.t
        return TargetKeyframe(time: time, affect: decision.target, palette: decision.palette, percussion: decision.percussion)
    }

    /// Commits the next beat: of the open bar, composed again from the first `known` of
    /// `decisions` when they change the music since its last composition (or when `recompose`
    /// says so: replay), otherwise as last composed; or, once every beat of it is committed, the
    /// first beat of bar ``committedBars`` from the first `known` decisions in a piece of `total`
    /// bars, whose record it returns.
    @discardableResult
    private func commitBeat(decisions: [DecisionRecord], known: Int, total: Int, recompose: Bool? = nil) -> MusicRecord? {
        if var bar = open {
            if recompose ?? Self.changeMusic(decisions, from: bar.known, to: known) {
                let before = bar.composed.adjustments
                bar.composed = compose(bar: committedBars - 1, decisions: decisions, known: known, total: bar.total, revising: bar)
                bar.known = known
                // What the envelope now changes in the beats already committed (a bar's loudness
                // step is reported at its start) is reported with the beat that made it.
                let committed = bar.composed.beatTicks[0]..<bar.composed.beatTicks[bar.beats]
                for change in bar.composed.adjustments where change.tick.map(committed.contains) ?? false && !before.contains(change) {
                    adjustments.append(change)
                }
                bars[committedBars - 1] = bar.composed.bar
                beatRecords.append(BeatRecord(
                    t: bar.composed.beatStarts[bar.beats], bar: committedBars, beat: bar.beats + 1, decisions: known))
            }
            take(beat: bar.beats, of: bar.composed)
            bar.beats += 1
            nextBeatStart = bar.composed.beatStarts[bar.beats]
            open = bar.beats < bar.composed.beatStarts.count - 1 ? bar : nil
            if open == nil { played(bar.composed) }
            return nil
        }
        let index = committedBars
        let composed = compose(bar: index, decisions: decisions, known: known, total: total)
        bars.append(composed.bar)
        var record = SessionMusic.record(
            bar: composed.bar, number: index + 1, seconds: composed.seconds, tempo: composed.tempo, notes: composed.played.tracks,
            range: composed.plain.ticks)
        record.decisions = known
        record.compositionBars = total
        records.append(record)
        take(beat: 0, of: composed)
        nextBeatStart = composed.beatStarts[1]
        open = composed.beatStarts.count > 2 ? OpenBar(composed: composed, beats: 1, known: known, total: total) : nil
        if open == nil { played(composed) }
        return record
    }

    /// Whether decisions `from..<to` change the music (another target, palette or percussion than
    /// the decision before each).
    private static func changeMusic(_ decisions: [DecisionRecord], from: Int, to: Int) -> Bool {
        guard from < to else { return false }
        return (from..<to).contains { $0 == 0 || decisions[$0].changesMusic(after: decisions[$0 - 1]) }
    }

    /// Bar `index` (the first not begun, or the `revising` bar, composed again with more
    /// decisions), composed from the first `known` of `decisions` in a piece of `total` bars, and
    /// as played: the envelope carried on from the music committed before it.
    ///
    /// A bar composed again keeps what it plays; from its next beat it takes the new composition's
    /// dynamics and tempo (``BeatRevision``): the new velocity of each note that starts there (by
    /// track, tick and pitch), its tempo changes and beat times. Its chords, notes and lengths can
    /// differ there where the bar leads into the next (a pivot chord, the last note's length):
    /// those change at the next bar line, as when a decision arrives before a bar begins. The
    /// envelope then applies to the bar with the beats already committed fixed as they sounded.
    private func compose(bar index: Int, decisions: [DecisionRecord], known: Int, total: Int, revising open: OpenBar? = nil) -> ComposedBar {
        precondition(played.bars == index, "the envelope has seen \(played.bars) bars, bar \(index + 1) follows \(index)")
        // The piece as composed, from this bar to its end.
        var rest: CompositionExcerpt
        switch method {
        case .incremental:
            fold(decisions, known: known)
            let excerpt = open == nil ? incremental.composeNextBar(bars: total) : incremental.recomposeLastBar(bars: total)
            rest = excerpt.bars(index..<total)
        case .wholePiece:
            rest = CompositionExcerpt(composer.compose(targets: Self.targets(Array(decisions.prefix(known))), bars: total)).bars(index..<total)
        }
        let bar = rest.bars[0]
        var plain = rest.bars(index..<index + 1)
        var fixedBefore = Int.min
        if let open {
            // The bar keeps what it plays: from the seam, with the new velocities; before it, as
            // it sounded (fixed for the envelope). The bars after it stay as newly composed (the
            // envelope's lookahead).
            let seam = open.composed.beatTicks[open.beats]
            let end = open.composed.beatTicks.last!
            let new = rest.tracks
            rest.tracks = open.composed.plain.tracks
            Self.takeVelocities(from: new, into: &rest.tracks, in: seam..<end)
            plain = rest.bars(index..<index + 1)
            Self.takeVelocities(from: open.composed.played.tracks, into: &rest.tracks, in: bar.startTick..<seam)
            rest.tempoChanges = open.composed.played.tempoChanges.filter { $0.tick < seam } + rest.tempoChanges.filter { $0.tick >= seam }
            for t in rest.tracks.indices {
                rest.tracks[t].notes += new[t].notes.filter { $0.tick >= end }
                rest.tracks[t].programChanges += new[t].programChanges.filter { $0.tick >= end }
                rest.tracks[t].controls += new[t].controls.filter { $0.tick >= end }
            }
            fixedBefore = seam
        }
        return finish(bar: bar, plain: plain, rest: rest, decisions: decisions, known: known, total: total, fixedBefore: fixedBefore)
    }

    /// Sets the velocity of each note of `tracks` that starts in `range` to that of the note with
    /// the same track, tick and pitch in `source`, where there is one.
    private static func takeVelocities(from source: [Track], into tracks: inout [Track], in range: Range<Int>) {
        for t in tracks.indices {
            guard let from = source.first(where: { $0.name == tracks[t].name }) else { continue }
            var velocities: [Int: UInt8] = [:]
            for note in from.notes where range.contains(note.tick) { velocities[note.tick << 8 | Int(note.pitch)] = note.velocity }
            for n in tracks[t].notes.indices where range.contains(tracks[t].notes[n].tick) {
                let note = tracks[t].notes[n]
                if let velocity = velocities[note.tick << 8 | Int(note.pitch)] { tracks[t].notes[n].velocity = velocity }
            }
        }
    }

    /// Bar `bar` as composed (`plain`) and as played: `rest` (the bar and the rest of the piece)
    /// with the envelope applied from the committed music's carry, notes before `fixedBefore`
    /// left as they sounded.
    private func finish(
        bar: BarPlan, plain: CompositionExcerpt, rest: CompositionExcerpt, decisions: [DecisionRecord], known: Int, total: Int,
        fixedBefore: Int
    ) -> ComposedBar {
        let index = bar.index
        var carry = played.carry
        var playing = rest.bars(index..<index + 1)
        var changes: [EnvelopeAdjustment] = []
        if let preset {
            let (enforced, restChanges) = preset.enforce(rest, carry: &carry, fixedBefore: fixedBefore)
            playing = enforced.bars(index..<index + 1)
            changes = restChanges
            if restChanges.contains(where: { $0.tick == nil && !reportedWholeTrack.contains(Self.wholeTrackKey($0)) }) {
                // A whole-track change counts the events of the whole piece, not of the excerpt:
                // take the changes from the whole piece. (The preset's own configuration never
                // leads here: the composer's loudest note and percussion switch are the envelope's.)
                changes = preset.enforce(composer.compose(targets: Self.targets(Array(decisions.prefix(known))), bars: total)).adjustments
            }
        }
        // The tempo at the bar line: its own change there, or the last before it (120 BPM, the MIDI
        // default, before any).
        let tempo = (playing.tempoChanges.first { $0.tick == bar.startTick } ?? played.clock?.latest)?.bpm ?? 120
        let clock = played.clock
        return ComposedBar(bar: bar, plain: plain, played: playing, adjustments: changes, tempo: tempo) { ticks in
            // The clock runs on through the bar's changes, each beat's time read as it reaches it.
            var clock = clock
            var next = 0
            return ticks.map { tick in
                while next < playing.tempoChanges.count && playing.tempoChanges[next].tick <= tick {
                    Self.run(&clock, to: playing.tempoChanges[next])
                    next += 1
                }
                return clock?.seconds(atTick: tick) ?? 0
            }
        }
    }

    /// The bar `composed`, all of it committed: the envelope's carry and the clock move on over it
    /// as it sounded.
    private func played(_ composed: ComposedBar) {
        if let preset { _ = preset.enforce(composed.played, carry: &played.carry, fixedBefore: .max) }
        for change in composed.played.tempoChanges { Self.run(&played.clock, to: change) }
        played.bars += 1
    }

    /// Adds beat `beat` of `composed` to the committed music, with what the envelope changed in it.
    private func take(beat: Int, of composed: ComposedBar) {
        let range = composed.beatTicks[beat]..<composed.beatTicks[beat + 1]
        Self.append(composed.plain.events(in: range), to: &plainScore)
        if preset != nil { Self.append(composed.played.events(in: range), to: &playedScore) }
        for change in composed.adjustments {
            if let tick = change.tick {
                if range.contains(tick) { adjustments.append(change) }
            } else if reportedWholeTrack.insert(Self.wholeTrackKey(change)).inserted {
                adjustments.append(change)
            }
        }
    }

    /// A bar as composed and as played (its events only), what the envelope changed in the piece
    /// it was composed in, and, as played: when it starts, its tempo there, when the next bar starts,
    /// and where each beat starts (and the next bar), in seconds and ticks.
    private struct ComposedBar {
        var bar: BarPlan
        var plain: CompositionExcerpt
        var played: CompositionExcerpt
        var adjustments: [EnvelopeAdjustment]
        var tempo: Double
        var beatStarts: [Double]
        var beatTicks: [Int]

        var seconds: Double { beatStarts[0] }
        var nextBarStart: Double { beatStarts[beatStarts.count - 1] }

        init(
            bar: BarPlan, plain: CompositionExcerpt, played: CompositionExcerpt, adjustments: [EnvelopeAdjustment],
            tempo: Double, seconds: ([Int]) -> [Double]
        ) {
            self.bar = bar
            self.plain = plain
            self.played = played
            self.adjustments = adjustments
            self.tempo = tempo
            let beats = plain.meter.beatsPerBar
            let ticksPerBeat = (plain.ticks.upperBound - plain.ticks.lowerBound) / max(beats, 1)
            beatTicks = (0...beats).map { plain.ticks.lowerBound + $0 * ticksPerBeat }
            beatTicks[beats] = plain.ticks.upperBound
            beatStarts = seconds(beatTicks)
        }
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
