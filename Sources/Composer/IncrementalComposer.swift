import EmoMusikCore
import EmoMusikPlugins

/// Composes a piece a bar at a time, each bar exactly as ``Composer/compose(targets:bars:)`` composes
/// it in a piece of the length asked for then, with the targets known then: what a live session
/// needs, without recomposing the piece from bar 0 for every bar.
///
/// The composer is causal, so instead of the bars already composed this keeps what the bars after
/// them depend on (a checkpoint: the planner's state and the tempo so far, the melody's last note,
/// note-count carry and phrase arch, the pad's sounding notes and voicing, the bar before). Bar *k*
/// is composed from the checkpoint at bar *k* − 1 to the end of the piece: bar *k* − 1 again,
/// because its chords (its pivot into a new key), and so what the melody and pad carry into bar
/// *k*, depend on bar *k*'s target, which targets added since may have changed. So a bar costs the
/// bars from *k* − 1 to the end of the piece, however long the piece so far.
///
/// Targets are only added (``append(_:)``). A keyframe at or before the checkpoint's bar line
/// (which a session's decisions never are: they take effect at the first beat not yet committed,
/// within the last bar composed or after it; ``recomposeLastBar(bars:)`` composes that bar again),
/// ``replaceTargets(with:)`` with targets that do not begin with the current ones, or a piece that
/// ended within a bar of the checkpoint, make the next bar recompose the piece from bar 0 — the
/// same bar either way, only slower.
public struct IncrementalComposer: Sendable {
    public let composer: Composer
    /// The targets, in the order given (``Composer/compose(targets:bars:)`` orders them by time).
    public private(set) var targets: [TargetKeyframe] = []
    /// Bars composed so far.
    public private(set) var composedBars = 0

    /// Where composing resumes: a checkpoint, the targets as the bars after it look them up, and
    /// whether it no longer holds for the targets (or the piece's length).
    private struct Resume: Sendable {
        var checkpoint = ComposerCheckpoint.start
        var lookup = TargetLookup([], from: 0)
        var recompose = false

        mutating func append(_ keyframe: TargetKeyframe) {
            if !recompose && !lookup.append(keyframe) { recompose = true }
        }
    }

    /// At bar `max(composedBars - 1, 0)`.
    private var resume = Resume()
    /// Where the last bar was composed from, for ``recomposeLastBar(bars:)`` (nil before bar 0).
    private var resumeBeforeLast: Resume?

    public init(composer: Composer, targets: [TargetKeyframe] = []) {
        self.composer = composer
        replaceTargets(with: targets)
    }

    /// Adds a keyframe after the others. Its time must not be NaN.
    public mutating func append(_ keyframe: TargetKeyframe) {
        precondition(!keyframe.time.isNaN, "a target's time must be a number")
        targets.append(keyframe)
        resume.append(keyframe)
        resumeBeforeLast?.append(keyframe)
    }

    /// Replaces the targets: the same as appending the new ones when `targets` begins with the
    /// current targets, otherwise the next bar recomposes the piece from bar 0.
    public mutating func replaceTargets(with targets: [TargetKeyframe]) {
        if targets.count >= self.targets.count && targets.starts(with: self.targets) {
            for keyframe in targets[self.targets.count...] { append(keyframe) }
        } else {
            precondition(targets.allSatisfy { !$0.time.isNaN }, "a target's time must be a number")
            self.targets = targets
            resume.recompose = true
            resumeBeforeLast?.recompose = true
        }
    }

    /// Composes the last bar composed again, with the targets added since (which may re-aim it
    /// from a beat within it: see ``BeatRevision``), as ``composeNextBar(bars:)`` would have
    /// composed it with them.
    public mutating func recomposeLastBar(bars total: Int) -> CompositionExcerpt {
        guard let before = resumeBeforeLast else { preconditionFailure("no bar has been composed") }
        resume = before
        composedBars -= 1
        return composeNextBar(bars: total)
    }

    /// Composes bar ``composedBars`` as `composer.compose(targets: targets, bars: total)` composes
    /// it, and the bars after it to the end of that piece. Returns them with the bar before
    /// (``CompositionExcerpt/firstBar`` is ``composedBars`` − 1), or, when the piece had to be
    /// recomposed (and for the first two bars), with every bar from bar 0.
    public mutating func composeNextBar(bars total: Int) -> CompositionExcerpt {
        let bar = composedBars
        precondition(total > bar, "a piece of \(total) bars has no bar \(bar + 1)")
        if resume.recompose {
            resume = Resume(checkpoint: .start, lookup: TargetLookup(targets, from: 0))
        }
        resumeBeforeLast = resume
        let composer = composer
        let lookup = resume.lookup
        let (excerpt, captured) = composer.excerpt(from: resume.checkpoint, length: .bars(total), capture: bar) { time in
            composer.barTarget(lookup.target(at: time))
        }
        // The checkpoint at `bar` holds for later bars unless bar − 1's chords knew the piece's end.
        resume.checkpoint = captured!
        resume.recompose = bar - 1 >= total - 2
        resume.lookup.advance(to: resume.checkpoint.planner.seconds)
        composedBars = bar + 1
        return excerpt
    }
}

/// The composer's targets as bars from one bar line on look them up, the same as
/// ``Composer/compose(targets:bars:)`` does (the last keyframe at or before a bar line in time order,
/// or the earliest), but at the cost of the keyframes still ahead rather than all of them.
struct TargetLookup: Sendable {
    /// The bar line (seconds, as the planner counts them) from which lookups are made.
    private(set) var reach: Double
    /// The keyframe in effect at ``reach``.
    private var current: TargetKeyframe?
    /// The keyframes after ``reach``, in time order (the order given among equal times).
    private var upcoming: [TargetKeyframe]
    /// The earliest keyframe: what a bar line before every keyframe takes.
    private var earliest: TargetKeyframe

    init(_ targets: [TargetKeyframe], from reach: Double) {
        let sorted = targets.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        self.reach = reach
        current = sorted.last { $0.time <= reach }
        upcoming = sorted.filter { !($0.time <= reach) }
        earliest = sorted.first ?? TargetKeyframe(time: 0, affect: .neutral)
    }

    /// The keyframe in effect at `time` (at or after ``reach``).
    func target(at time: Double) -> TargetKeyframe {
        var found = current
        for keyframe in upcoming {
            guard keyframe.time <= time else { break }
            found = keyframe
        }
        return found ?? earliest
    }

    /// Moves ``reach`` on to `time` (not before it).
    mutating func advance(to time: Double) {
        reach = time
        let passed = upcoming.prefix { $0.time <= time }
        if let last = passed.last { current = last }
        upcoming.removeFirst(passed.count)
    }

    /// Adds a keyframe given after all the others. False when it may change what a bar line at or
    /// before ``reach`` takes: when it is not later, or no keyframe is in effect there yet (so the
    /// earliest was taken, which it may become); the lookup is then no longer valid.
    mutating func append(_ keyframe: TargetKeyframe) -> Bool {
        guard current != nil, keyframe.time > reach else { return false }
        let index = upcoming.lastIndex { $0.time <= keyframe.time }.map { $0 + 1 } ?? 0
        upcoming.insert(keyframe, at: index)
        return true
    }
}
