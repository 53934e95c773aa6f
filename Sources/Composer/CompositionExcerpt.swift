import EmoMusikCore
import EmoMusikPlugins

/// Consecutive bars of a composition, from some bar to the end of the piece, with their events
/// exactly as the whole composition has them: what ``IncrementalComposer`` composes without the
/// bars before them. ``bars(_:)`` takes fewer bars out of it.
public struct CompositionExcerpt: Sendable, Hashable {
    public var ticksPerQuarter: Int
    /// The time signature of the whole piece.
    public var meter: Meter
    /// The plans of the excerpt's bars, in order (their ``BarPlan/index`` is their number in the piece).
    public var bars: [BarPlan]
    /// The tempo changes in the excerpt's bars. The tempo at its start is the last change before
    /// it, which is not repeated here.
    public var tempoChanges: [TempoChange]
    /// The key changes and markers in the excerpt's bars.
    public var keyChanges: [KeyChange]
    public var markers: [Marker]
    /// The four voices with the whole score's names, channels and first programs, holding the
    /// notes, program changes and controllers that start in the excerpt's bars.
    public var tracks: [Track]
    /// Where the excerpt starts and ends (the first bar's start, the last bar's end).
    public var ticks: Range<Int>

    public init(
        ticksPerQuarter: Int, meter: Meter, bars: [BarPlan], tempoChanges: [TempoChange], keyChanges: [KeyChange],
        markers: [Marker], tracks: [Track], ticks: Range<Int>
    ) {
        self.ticksPerQuarter = ticksPerQuarter
        self.meter = meter
        self.bars = bars
        self.tempoChanges = tempoChanges
        self.keyChanges = keyChanges
        self.markers = markers
        self.tracks = tracks
        self.ticks = ticks
    }

    /// The number (0-based) of the excerpt's first bar.
    public var firstBar: Int { bars.first?.index ?? 0 }

    /// The bars numbered `numbers` (within the excerpt's) with their events.
    public func bars(_ numbers: Range<Int>) -> CompositionExcerpt {
        let first = firstBar
        precondition(numbers.lowerBound >= first && numbers.upperBound <= first + bars.count, "bars \(numbers) are not in the excerpt")
        let plans = Array(bars[(numbers.lowerBound - first)..<(numbers.upperBound - first)])
        func start(_ bar: Int) -> Int { bar - first < bars.count ? bars[bar - first].startTick : ticks.upperBound }
        return events(in: start(numbers.lowerBound)..<start(numbers.upperBound), bars: plans)
    }

    /// The events that start in `range` (ticks within the excerpt's, e.g. one beat), with the
    /// plans of the bars it overlaps.
    public func events(in range: Range<Int>) -> CompositionExcerpt {
        precondition(range.lowerBound >= ticks.lowerBound && range.upperBound <= ticks.upperBound, "ticks \(range) are not in the excerpt")
        let overlapped = bars.indices.filter { index in
            let end = index + 1 < bars.count ? bars[index + 1].startTick : ticks.upperBound
            return bars[index].startTick < range.upperBound && range.lowerBound < end
        }
        return events(in: range, bars: overlapped.map { bars[$0] })
    }

    private func events(in range: Range<Int>, bars plans: [BarPlan]) -> CompositionExcerpt {
        CompositionExcerpt(
            ticksPerQuarter: ticksPerQuarter, meter: meter, bars: plans,
            tempoChanges: tempoChanges.filter { range.contains($0.tick) },
            keyChanges: keyChanges.filter { range.contains($0.tick) },
            markers: markers.filter { range.contains($0.tick) },
            tracks: tracks.map { track in
                var track = track
                track.notes = track.notes.filter { range.contains($0.tick) }
                track.programChanges = track.programChanges.filter { range.contains($0.tick) }
                track.controls = track.controls.filter { range.contains($0.tick) }
                return track
            },
            ticks: range)
    }
}

extension Composition {
    /// A whole composition: an excerpt from bar 0.
    init(excerpt: CompositionExcerpt) {
        precondition(excerpt.firstBar == 0, "a composition starts at bar 0")
        let score = Score(
            ticksPerQuarter: excerpt.ticksPerQuarter,
            tempoMap: TempoMap(ticksPerQuarter: excerpt.ticksPerQuarter, changes: excerpt.tempoChanges),
            timeSignatures: [TimeSignatureChange(tick: 0, meter: excerpt.meter)],
            keyChanges: excerpt.keyChanges, markers: excerpt.markers, tracks: excerpt.tracks, endTick: excerpt.ticks.upperBound)
        self.init(score: score, bars: excerpt.bars)
    }
}

/// What composing carries across a bar line: everything the bars after it depend on besides their
/// own targets. The bars before a bar line depend on the targets at their bar lines and, through
/// the pivot chord before a key change, on the target at the next one; so a checkpoint at bar *k*
/// holds while the targets at bar lines up to *k* stay as they were (and the piece does not end
/// within the bar after *k* − 1, whose chords the end changes).
struct ComposerCheckpoint: Hashable, Sendable {
    var planner = PlannerState()
    /// The tempo clock through every tempo change before the bar line (nil before bar 0).
    var clock: TempoClock?
    var melody = MelodyGenerator.State()
    var pad = PadGenerator.State()
    /// The bar before the bar line (key changes, markers, program changes and drum fades compare a
    /// bar with it), and bar 0 (the tracks' first programs); nil before bar 0.
    var previous: BarPlan?
    var first: BarPlan?

    /// The bar after the bar line (0-based).
    var bar: Int { planner.index }

    /// Before bar 0.
    static let start = ComposerCheckpoint()
}

extension Composer {
    /// How long a piece is: a number of bars, or whole bars until it covers a number of seconds
    /// (at least one bar).
    enum Length {
        case bars(Int)
        case seconds(Double)
    }

    /// Composes the bars from `checkpoint` to the end of the piece (`length`), each toward the
    /// target at its bar line (`target` is called with the planner's time of each bar line), as the
    /// whole piece has them; with the checkpoint at bar `capture` when asked (a bar from the
    /// checkpoint's to the last).
    func excerpt(
        from checkpoint: ComposerCheckpoint, length: Length, capture: Int? = nil, target: (Double) -> BarTarget
    ) -> (excerpt: CompositionExcerpt, captured: ComposerCheckpoint?) {
        precondition(Grid.supports(configuration.meter), "unsupported meter \(configuration.meter); call validate() first")
        let grid = Grid(meter: configuration.meter)
        let phraseLength = Self.phraseLength
        let constraints = configuration.constraints
        let planner = TransitionPlanner(
            mapping: configuration.mapping, meter: configuration.meter, limits: configuration.limits,
            phraseLength: phraseLength)
        var captured = checkpoint

        // Plan the bars, with the tempo map's time of each bar line.
        var state = checkpoint.planner
        var clock = checkpoint.clock
        var bars: [BarPlan] = []
        var tempoChanges: [TempoChange] = []
        func planning() -> Bool {
            switch length {
            case .bars(let count): state.index < max(count, 1)
            case .seconds(let duration): state.index == 0 || state.seconds < duration - 1e-6
            }
        }
        while planning() {
            if state.index == capture {
                captured.planner = state
                captured.clock = clock
            }
            let startSeconds = clock?.seconds(atTick: state.tick) ?? 0
            let made = tempoChanges.count
            var bar = planner.planBar(after: &state, target: target, changes: &tempoChanges)
            bar.startSeconds = startSeconds
            for change in tempoChanges[made...] {
                if clock == nil { clock = TempoClock(ticksPerQuarter: grid.ticksPerQuarter, first: change) } else { clock?.append(change) }
            }
            bars.append(bar)
        }
        let barCount = state.index
        let end = barCount * grid.barTicks
        precondition(capture.map { (checkpoint.bar..<barCount).contains($0) } ?? true, "bar \(capture ?? 0) is not in the excerpt")

        let harmony = Harmony(seed: configuration.seed)
        for index in bars.indices {
            bars[index].chords = harmony.chords(for: bars[index], next: index + 1 < bars.count ? bars[index + 1] : nil, barCount: barCount)
        }
        func previous(_ index: Int) -> BarPlan? { index > 0 ? bars[index - 1] : checkpoint.previous }

        let seed = configuration.seed
        let ceiling = constraints.maxVelocity
        let offset = constraints.registerOffset
        let melodyGenerator = MelodyGenerator(
            seed: seed, grid: grid, phraseLength: phraseLength, maxVelocity: ceiling, registerOffset: offset)
        let padGenerator = PadGenerator(grid: grid, maxVelocity: ceiling, registerOffset: offset)
        let bassGenerator = BassGenerator(seed: seed, grid: grid, maxVelocity: ceiling, registerOffset: offset)
        let drumGenerator = DrumGenerator(seed: seed, grid: grid, phraseLength: phraseLength, maxVelocity: ceiling)
        var melodyState = checkpoint.melody
        var padState = checkpoint.pad
        var onsets: [MelodyGenerator.Onset] = []
        var pad: [Note] = []
        var bass: [Note] = []
        var drums: [Note] = []
        var keyChanges: [KeyChange] = []
        var markers: [Marker] = []
        for (index, bar) in bars.enumerated() {
            if bar.index == capture {
                captured.melody = melodyState
                captured.pad = padState
                captured.previous = previous(index)
            }
            onsets += melodyGenerator.onsets(for: bar, barCount: barCount, state: &melodyState)
            pad += padGenerator.notes(for: bar, state: &padState)
            bass += bassGenerator.notes(for: bar, barCount: barCount)
            drums += drumGenerator.notes(
                for: bar, previous: previous(index), next: index + 1 < bars.count ? bars[index + 1] : nil, barCount: barCount)
            if let change = ScoreAnnotations.keyChange(bar, after: previous(index)) { keyChanges.append(change) }
            markers += ScoreAnnotations.markers(bar, after: previous(index), barCount: barCount)
        }
        pad += padGenerator.notes(endingAt: end, state: padState)
        // Notes held from before the excerpt belong to the bars they started in.
        let start = bars.first?.startTick ?? end
        pad = pad.filter { $0.tick >= start }.sorted { ($0.tick, $0.pitch) < ($1.tick, $1.pitch) }
        let first = checkpoint.first ?? bars.first
        if let capture, capture > 0 { captured.first = first }

        func track(_ name: String, _ channel: UInt8, _ program: KeyPath<Ensemble, UInt8>?, _ notes: [Note], volume: UInt8, pan: UInt8) -> Track {
            Self.track(name, channel, program, notes, bars, previous: checkpoint.previous, first: first, volume: volume, pan: pan)
        }
        let tracks = [
            track("Melody", Self.melodyChannel, \.melody, melodyGenerator.notes(from: onsets, end: end), volume: 100, pan: 64),
            track("Pad", Self.padChannel, \.pad, pad, volume: 80, pan: 44),
            track("Bass", Self.bassChannel, \.bass, bass, volume: 96, pan: 64),
            track("Drums", Self.drumChannel, nil, drums, volume: 88, pan: 84),
        ]
        let excerpt = CompositionExcerpt(
            ticksPerQuarter: grid.ticksPerQuarter, meter: configuration.meter, bars: bars, tempoChanges: tempoChanges,
            keyChanges: keyChanges, markers: markers, tracks: tracks, ticks: start..<end)
        return (excerpt, capture == nil ? nil : captured)
    }

    /// A voice over `bars`: its program at bar 0 (`first`'s) and program changes where the ensemble
    /// changes (at a phrase start; `previous` is the bar before `bars`); when `bars` start the
    /// piece, its initial volume, pan and a reverb send that is wetter for calm music.
    private static func track(
        _ name: String, _ channel: UInt8, _ program: KeyPath<Ensemble, UInt8>?, _ notes: [Note], _ bars: [BarPlan],
        previous: BarPlan?, first: BarPlan?, volume: UInt8, pan: UInt8
    ) -> Track {
        func programOf(_ bar: BarPlan) -> UInt8 { program.map { bar.intent.ensemble[keyPath: $0] } ?? 0 }
        var changes: [ProgramChange] = []
        var before = previous.map(programOf)
        for bar in bars {
            let after = programOf(bar)
            if let before, before != after { changes.append(ProgramChange(tick: bar.startTick, program: after)) }
            before = after
        }
        var controls: [ControlChange] = []
        if previous == nil {
            let arousal = first?.affect.arousal ?? 0
            let reverb = UInt8(min(max((55 - 25 * arousal).rounded(), 0), 127))
            controls = [
                ControlChange(tick: 0, controller: ControlChange.volume, value: volume),
                ControlChange(tick: 0, controller: ControlChange.pan, value: pan),
                ControlChange(tick: 0, controller: ControlChange.reverbSend, value: reverb),
            ]
        }
        return Track(
            name: name, channel: channel, program: first.map(programOf) ?? 0, programChanges: changes, notes: notes,
            controls: controls)
    }
}

extension CompositionExcerpt {
    /// A whole composition, as an excerpt from bar 0 (in its first time signature).
    public init(_ composition: Composition) {
        let score = composition.score
        self.init(
            ticksPerQuarter: score.ticksPerQuarter, meter: score.timeSignatures.first?.meter ?? .commonTime,
            bars: composition.bars, tempoChanges: score.tempoMap.changes, keyChanges: score.keyChanges,
            markers: score.markers, tracks: score.tracks, ticks: 0..<score.endTick)
    }
}
