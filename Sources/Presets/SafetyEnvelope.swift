import EmoMusikCore

/// The hard limits of a preset, applied to the finished score last so that no strategy, plugin or
/// composer rule can exceed them. ``check(_:)`` states the limits; ``apply(to:)`` enforces them
/// and never moves a note in time.
///
/// Loudness and tempo steps are measured per bar, over bars from the score's time signatures.
public struct SafetyEnvelope: Sendable, Hashable {
    /// Every note velocity is at most this, 1...127 (`max-velocity`). Default 100.
    public var maxVelocity: Int
    /// Peak output level for the synthesiser's limiter, in dBFS, -60...0 (`max-level-dbfs`).
    /// Not applied to the score: the renderer's ceiling takes it. Default -6.
    public var maxLevelDBFS: Double
    /// Largest tempo change within one bar and across its barline, in BPM (`max-tempo-change-per-bar`).
    /// Default 8.
    public var maxTempoChangePerBar: Double
    /// Largest change of a track's mean note velocity from one sounding bar to the next, in velocity
    /// units (`max-loudness-step`); also the largest step of CC7/CC11 values. Only enforced when
    /// ``suddenDynamics`` is false. Default 12.
    public var maxLoudnessStep: Double
    /// Whether sudden changes of loudness are allowed (`sudden-dynamics`). Default false.
    public var suddenDynamics: Bool
    /// Whether the percussion channel may sound at all (`percussion`). Default true.
    public var percussion: Bool
    /// Whether dissonant harmony (sevenths, diminished colour, suspensions) is allowed
    /// (`dissonance`). A composer constraint (the composer's maximum tension): a score does not
    /// say which notes were meant as dissonance, so ``check(_:)`` cannot see it. Default true.
    public var dissonance: Bool
    /// Every tempo stays within this, in BPM: the preset's `tempo:` range. Default 60...120.
    public var tempoRange: ClosedRange<Double>

    /// The highest CC7 (channel volume) or CC11 (expression) value: General MIDI's default
    /// channel volume, the level the renderer's ``maxLevelDBFS`` ceiling is calibrated at.
    public static let maxVolumeController: UInt8 = 100

    /// Tempo differences below this (in BPM) come from storing tempos in whole microseconds and are
    /// not violations.
    public static let tempoTolerance = 0.001

    public init(
        maxVelocity: Int = 100, maxLevelDBFS: Double = -6, maxTempoChangePerBar: Double = 8,
        maxLoudnessStep: Double = 12, suddenDynamics: Bool = false, percussion: Bool = true,
        dissonance: Bool = true, tempoRange: ClosedRange<Double> = 60...120
    ) {
        precondition((1...127).contains(maxVelocity), "max velocity must be 1...127")
        precondition(maxTempoChangePerBar > 0 && maxLoudnessStep >= 1, "steps must be positive")
        precondition(tempoRange.lowerBound > 0, "tempos must be positive")
        self.maxVelocity = maxVelocity
        self.maxLevelDBFS = maxLevelDBFS
        self.maxTempoChangePerBar = maxTempoChangePerBar
        self.maxLoudnessStep = maxLoudnessStep
        self.suddenDynamics = suddenDynamics
        self.percussion = percussion
        self.dissonance = dissonance
        self.tempoRange = tempoRange
    }
}

/// Something ``SafetyEnvelope/apply(to:)`` changed.
public struct EnvelopeAdjustment: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case percussionDropped = "percussion-dropped"
        case velocityClamped = "velocity-clamped"
        case loudnessStepLimited = "loudness-step-limited"
        case tempoClamped = "tempo-clamped"
        case controllerClamped = "controller-clamped"
    }

    public var kind: Kind
    /// The track, for note and controller adjustments.
    public var track: String?
    /// Where: the bar or event's tick (nil for whole-track adjustments).
    public var tick: Int?
    /// How many events changed.
    public var count: Int
    /// In words, with the values before and after.
    public var detail: String

    public var description: String {
        var text = kind.rawValue
        if let track { text += " [\(track)]" }
        if let tick { text += " @\(tick)" }
        return text + ": " + detail
    }
}

/// An event outside the envelope, found by ``SafetyEnvelope/check(_:)``.
public struct Violation: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case percussion
        case velocity
        case loudnessStep = "loudness-step"
        case tempoRange = "tempo-range"
        case tempoStep = "tempo-step"
        case controller
    }

    public var kind: Kind
    public var track: String?
    public var tick: Int
    public var message: String

    public var description: String {
        "\(kind.rawValue)\(track.map { " [\($0)]" } ?? "") @\(tick): \(message)"
    }
}

extension SafetyEnvelope {
    // MARK: Checking

    /// Every event of `score` outside the envelope, in order of kind, track and time.
    public func check(_ score: Score) -> [Violation] {
        var violations: [Violation] = []
        let bars = BarIndex(score)
        for track in score.tracks {
            if track.isPercussion && !percussion && !track.notes.isEmpty {
                violations.append(Violation(
                    kind: .percussion, track: track.name, tick: track.notes.map(\.tick).min()!,
                    message: "\(track.notes.count) percussion notes, but percussion is off"))
            }
            for note in track.notes where Int(note.velocity) > maxVelocity {
                violations.append(Violation(
                    kind: .velocity, track: track.name, tick: note.tick,
                    message: "velocity \(note.velocity) above \(maxVelocity)"))
            }
            if !suddenDynamics {
                var previous: (mean: Double, bar: Int)?
                for (bar, mean) in bars.meanVelocities(of: track.notes) {
                    if let previous, abs(mean - previous.mean) > maxLoudnessStep + Self.meanTolerance {
                        violations.append(Violation(
                            kind: .loudnessStep, track: track.name, tick: bars.start(of: bar),
                            message: "mean velocity \(format(mean)) in bar \(bar + 1) after \(format(previous.mean)) "
                                + "in bar \(previous.bar + 1): a step of more than \(format(maxLoudnessStep))"))
                    }
                    previous = (mean, bar)
                }
            }
            for controller in [ControlChange.volume, ControlChange.expression] {
                var previous: UInt8?
                for change in track.controls.sorted(by: { $0.tick < $1.tick }) where change.controller == controller {
                    if change.value > Self.maxVolumeController {
                        violations.append(Violation(
                            kind: .controller, track: track.name, tick: change.tick,
                            message: "CC\(controller) \(change.value) above \(Self.maxVolumeController)"))
                    }
                    if !suddenDynamics, let previous, Double(abs(Int(change.value) - Int(previous))) > maxLoudnessStep {
                        violations.append(Violation(
                            kind: .controller, track: track.name, tick: change.tick,
                            message: "CC\(controller) jumps from \(previous) to \(change.value), more than \(format(maxLoudnessStep))"))
                    }
                    previous = change.value
                }
            }
        }
        let allowed = microsecondRange
        for change in score.tempoMap.changes where !allowed.contains(change.microsecondsPerQuarter) {
            violations.append(Violation(
                kind: .tempoRange, track: nil, tick: change.tick,
                message: "tempo \(format(change.bpm)) BPM outside \(format(tempoRange.lowerBound))...\(format(tempoRange.upperBound))"))
        }
        for (bar, tempos) in bars.tempoSets(score.tempoMap) {
            let low = tempos.min()!, high = tempos.max()!
            if high - low > maxTempoChangePerBar + Self.tempoTolerance {
                violations.append(Violation(
                    kind: .tempoStep, track: nil, tick: bars.start(of: bar),
                    message: "tempo moves between \(format(low)) and \(format(high)) BPM in bar \(bar + 1), "
                        + "more than \(format(maxTempoChangePerBar))"))
            }
        }
        return violations
    }

    // MARK: Applying

    /// `score` brought inside the envelope, and what was changed. Idempotent; never moves, adds or
    /// lengthens a note (only velocities change, and whole percussion tracks go when percussion is off).
    ///
    /// In order: percussion tracks dropped when forbidden; velocities clamped to ``maxVelocity``;
    /// without sudden dynamics, a bar whose mean velocity steps too far from the previous sounding
    /// bar's has its notes scaled toward it; CC7/CC11 clamped and, without sudden dynamics, their
    /// steps limited; the tempo map walked bar by bar, each tempo clamped into ``tempoRange`` and
    /// into a window of ``maxTempoChangePerBar`` around the tempos already in the bar and the tempo
    /// the bar starts from.
    public func apply(to score: Score) -> (Score, [EnvelopeAdjustment]) {
        var carry = Carry()
        let applied = apply(
            tracks: score.tracks, tempoChanges: score.tempoMap.changes, bars: BarIndex(score), carry: &carry)
        var result = score
        result.tracks = applied.tracks
        if applied.adjustments.contains(where: { $0.kind == .tempoClamped }) {
            result.tempoMap = TempoMap(ticksPerQuarter: score.tempoMap.ticksPerQuarter, changes: applied.tempoChanges)
        }
        return (result, applied.adjustments)
    }

    /// What the envelope carries from one bar to the next: the last sounding bar's mean velocity
    /// of each track, the last volume and expression values, the tempo in effect, all as adjusted.
    public struct Carry: Sendable, Hashable {
        /// By track (its place among the tracks kept).
        var loudness: [Int: Double] = [:]
        var controllers: [Int: [UInt8: Int]] = [:]
        var tempo: Double?

        /// Before the first bar.
        public init() {}
    }

    /// The envelope applied to the events of whole bars that follow the bars `carry` has seen (none
    /// for a new ``Carry``): `tracks`' notes and controllers and `tempoChanges`, in a score of
    /// `timeSignatures` at `ticksPerQuarter`. Applying it to a score's bars in consecutive runs,
    /// carrying `carry` from each to the next, changes the events as ``apply(to:)`` changes them
    /// all at once, and reports the same adjustments, except that whole-track ones (percussion
    /// dropped, velocities clamped) count the events of each run.
    ///
    /// Notes before `fixedBefore` have already sounded, as the envelope let them (a live session
    /// fixes its music a beat at a time): they count in their bar's mean velocity, but a loudness
    /// step is kept by changing only the notes from `fixedBefore` on (as far as they can go). With
    /// every note fixed, the carry moves on over the bars as they sounded.
    public func apply(
        tracks: [Track], tempoChanges: [TempoChange], timeSignatures: [TimeSignatureChange], ticksPerQuarter: Int,
        carry: inout Carry, fixedBefore: Int = .min
    ) -> (tracks: [Track], tempoChanges: [TempoChange], adjustments: [EnvelopeAdjustment]) {
        apply(
            tracks: tracks, tempoChanges: tempoChanges,
            bars: BarIndex(timeSignatures: timeSignatures, ticksPerQuarter: ticksPerQuarter), carry: &carry,
            fixedBefore: fixedBefore)
    }

    private func apply(
        tracks: [Track], tempoChanges: [TempoChange], bars: BarIndex, carry: inout Carry, fixedBefore: Int = .min
    ) -> (tracks: [Track], tempoChanges: [TempoChange], adjustments: [EnvelopeAdjustment]) {
        var tracks = tracks
        var adjustments: [EnvelopeAdjustment] = []

        if !percussion {
            // A silent percussion track goes too, without being reported: nothing audible changed.
            let dropped = tracks.filter { $0.isPercussion && !$0.notes.isEmpty }
            for track in dropped {
                adjustments.append(EnvelopeAdjustment(
                    kind: .percussionDropped, track: track.name, tick: nil, count: track.notes.count,
                    detail: "dropped the percussion track (\(track.notes.count) notes)"))
            }
            tracks.removeAll { $0.isPercussion }
        }

        for t in tracks.indices {
            let name = tracks[t].name
            var clamped = 0
            for n in tracks[t].notes.indices where Int(tracks[t].notes[n].velocity) > maxVelocity {
                tracks[t].notes[n].velocity = UInt8(maxVelocity)
                clamped += 1
            }
            if clamped > 0 {
                adjustments.append(EnvelopeAdjustment(
                    kind: .velocityClamped, track: name, tick: nil, count: clamped,
                    detail: "\(clamped) note velocities lowered to \(maxVelocity)"))
            }
            if !suddenDynamics {
                adjustments += limitLoudnessSteps(of: &tracks[t], bars: bars, previous: &carry.loudness[t], fixedBefore: fixedBefore)
            }
            adjustments += limitControllers(of: &tracks[t], previous: &carry.controllers[t, default: [:]])
        }

        let (changes, tempoAdjustments) = limitTempo(tempoChanges, bars: bars, current: &carry.tempo)
        adjustments += tempoAdjustments
        return (tracks, changes, adjustments)
    }

    /// Differences of mean velocity this small are rounding, not steps.
    static let meanTolerance = 1e-9

    /// `previous`: the mean velocity of the last sounding bar before `track`'s notes, as adjusted.
    /// Notes before `fixedBefore` count in their bar's mean but are not changed.
    private func limitLoudnessSteps(
        of track: inout Track, bars: BarIndex, previous: inout Double?, fixedBefore: Int = .min
    ) -> [EnvelopeAdjustment] {
        var adjustments: [EnvelopeAdjustment] = []
        let groups = bars.noteIndicesByBar(track.notes)
        for (bar, indices) in groups {
            let original = indices.map { Int(track.notes[$0].velocity) }
            let mean = Self.mean(original)
            guard let reference = previous else {
                previous = mean
                continue
            }
            let low = reference - maxLoudnessStep, high = reference + maxLoudnessStep
            let free = indices.indices.filter { track.notes[indices[$0]].tick >= fixedBefore }
            if (mean >= low - Self.meanTolerance && mean <= high + Self.meanTolerance) || free.isEmpty {
                previous = mean
                continue
            }
            // The mean of the scaled, rounded, clamped velocities is monotone in the factor and
            // rises by at most 1 at a time, so the factor bisection finds at the window's near edge
            // lands inside [low, high] (the window is at least 2 wide), when the free notes can
            // take the mean there; otherwise it takes them as far as they go.
            let maximum = maxVelocity
            func scaled(_ factor: Double) -> [Int] {
                var velocities = original
                for i in free { velocities[i] = min(max(Int((Double(original[i]) * factor).rounded()), 1), maximum) }
                return velocities
            }
            let factor: Double
            if mean > high {
                var good = 0.0, bad = 1.0  // every free velocity 1: as low as the mean goes
                for _ in 0..<64 {
                    let middle = (good + bad) / 2
                    if Self.mean(scaled(middle)) <= high + Self.meanTolerance { good = middle } else { bad = middle }
                }
                factor = good
            } else {
                var bad = 1.0, good = Double(maximum)  // every free velocity the maximum: as high as it goes
                for _ in 0..<64 {
                    let middle = (good + bad) / 2
                    if Self.mean(scaled(middle)) >= low - Self.meanTolerance { good = middle } else { bad = middle }
                }
                factor = good
            }
            let velocities = scaled(factor)
            for (index, velocity) in zip(indices, velocities) { track.notes[index].velocity = UInt8(velocity) }
            let newMean = Self.mean(velocities)
            adjustments.append(EnvelopeAdjustment(
                kind: .loudnessStepLimited, track: track.name, tick: bars.start(of: bar), count: indices.count,
                detail: "bar \(bar + 1) mean velocity \(format(mean)) → \(format(newMean)) "
                    + "(previous bar \(format(reference)), step at most \(format(maxLoudnessStep)))"))
            previous = newMean
        }
        return adjustments
    }

    /// `previous`: each controller's last value before `track`'s controllers, as adjusted.
    private func limitControllers(of track: inout Track, previous values: inout [UInt8: Int]) -> [EnvelopeAdjustment] {
        var adjustments: [EnvelopeAdjustment] = []
        let order = track.controls.indices.sorted { track.controls[$0].tick < track.controls[$1].tick }
        for controller in [ControlChange.volume, ControlChange.expression] {
            var previous = values[controller]
            defer { values[controller] = previous }
            for i in order where track.controls[i].controller == controller {
                let value = Int(track.controls[i].value)
                var allowed = 0...Int(Self.maxVolumeController)
                if !suddenDynamics, let previous {
                    let step = Int(maxLoudnessStep.rounded(.down))
                    allowed = max(previous - step, 0)...min(previous + step, Int(Self.maxVolumeController))
                }
                let newValue = min(max(value, allowed.lowerBound), allowed.upperBound)
                if newValue != value {
                    track.controls[i].value = UInt8(newValue)
                    adjustments.append(EnvelopeAdjustment(
                        kind: .controllerClamped, track: track.name, tick: track.controls[i].tick, count: 1,
                        detail: "CC\(controller) \(value) → \(newValue)"))
                }
                previous = newValue
            }
        }
        return adjustments
    }

    /// `current`: the tempo in effect before `changes`, as adjusted.
    private func limitTempo(_ changes: [TempoChange], bars: BarIndex, current: inout Double?) -> ([TempoChange], [EnvelopeAdjustment]) {
        var adjustments: [EnvelopeAdjustment] = []
        var limited: [TempoChange] = []
        let allowedMicroseconds = microsecondRange
        var bar = -1
        var low = 0.0, high = 0.0
        for change in changes {
            let changeBar = bars.bar(atTick: change.tick)
            if changeBar != bar {
                bar = changeBar
                if let current { (low, high) = (current, current) }
            }
            var microseconds = min(max(change.microsecondsPerQuarter, allowedMicroseconds.lowerBound), allowedMicroseconds.upperBound)
            var bpm = 60_000_000 / Double(microseconds)
            if current != nil {
                let windowLow = high - maxTempoChangePerBar, windowHigh = low + maxTempoChangePerBar
                if bpm < windowLow - Self.tempoTolerance || bpm > windowHigh + Self.tempoTolerance {
                    bpm = min(max(bpm, windowLow), windowHigh)
                    microseconds = min(
                        max(Int((60_000_000 / bpm).rounded()), allowedMicroseconds.lowerBound), allowedMicroseconds.upperBound)
                    bpm = 60_000_000 / Double(microseconds)
                }
                low = min(low, bpm)
                high = max(high, bpm)
            } else {
                (low, high) = (bpm, bpm)
            }
            current = bpm
            if microseconds != change.microsecondsPerQuarter {
                adjustments.append(EnvelopeAdjustment(
                    kind: .tempoClamped, track: nil, tick: change.tick, count: 1,
                    detail: "tempo \(format(change.bpm)) → \(format(bpm)) BPM in bar \(changeBar + 1)"))
            }
            limited.append(TempoChange(tick: change.tick, microsecondsPerQuarter: microseconds))
        }
        return (limited, adjustments)
    }

    /// Microseconds per quarter of the tempo range's ends, rounded as ``TempoChange/init(tick:bpm:)``
    /// rounds, so a tempo written at the range's end is inside it.
    var microsecondRange: ClosedRange<Int> {
        Int((60_000_000 / tempoRange.upperBound).rounded())...Int((60_000_000 / tempoRange.lowerBound).rounded())
    }

    static func mean(_ values: [Int]) -> Double { Double(values.reduce(0, +)) / Double(values.count) }
}

/// Bars of a score as ``Score/barStartTicks`` counts them (a time signature takes effect at the
/// first bar line at or after its tick), continued past ``Score/endTick`` for events after it.
struct BarIndex {
    /// Runs of bars of one length: where a run starts, its first bar's number, and its bars' length.
    private let runs: [(tick: Int, bar: Int, length: Int)]

    init(timeSignatures: [TimeSignatureChange], ticksPerQuarter: Int) {
        var runs: [(tick: Int, bar: Int, length: Int)] = []
        var tick = 0, bar = 0, index = 0
        while true {
            while index + 1 < timeSignatures.count && timeSignatures[index + 1].tick <= tick { index += 1 }
            let meter = timeSignatures.isEmpty ? Meter.commonTime : timeSignatures[index].meter
            let length = ticksPerQuarter * 4 * meter.beatsPerBar / meter.beatUnit
            runs.append((tick, bar, length))
            guard index + 1 < timeSignatures.count, length > 0 else { break }
            // Bars of this length up to the first bar line at or after the next signature.
            let bars = (timeSignatures[index + 1].tick - tick + length - 1) / length
            tick += bars * length
            bar += bars
        }
        self.runs = runs
    }

    init(_ score: Score) {
        self.init(timeSignatures: score.timeSignatures, ticksPerQuarter: score.ticksPerQuarter)
    }

    /// The 0-based bar containing `tick` (bar 0 for a tick before the start).
    func bar(atTick tick: Int) -> Int {
        guard tick > 0, let run = runs.last(where: { $0.tick <= tick }), run.length > 0 else { return 0 }
        return run.bar + (tick - run.tick) / run.length
    }

    /// The tick at which bar `bar` starts.
    func start(of bar: Int) -> Int {
        let run = runs.last { $0.bar <= bar } ?? runs[0]
        return run.tick + (bar - run.bar) * run.length
    }

    /// Indices of `notes` by the bar they start in, for bars with notes, in bar order.
    func noteIndicesByBar(_ notes: [Note]) -> [(bar: Int, indices: [Int])] {
        var groups: [Int: [Int]] = [:]
        for (index, note) in notes.enumerated() { groups[bar(atTick: note.tick), default: []].append(index) }
        return groups.keys.sorted().map { ($0, groups[$0]!) }
    }

    /// Mean velocity of the notes starting in each bar that has notes, in bar order.
    func meanVelocities(of notes: [Note]) -> [(bar: Int, mean: Double)] {
        noteIndicesByBar(notes).map { ($0.bar, SafetyEnvelope.mean($0.indices.map { Int(notes[$0].velocity) })) }
    }

    /// For each bar with a tempo change: the tempo it starts from (the previous bar's last tempo,
    /// except in the first bar) and every tempo set in it.
    func tempoSets(_ map: TempoMap) -> [(bar: Int, tempos: [Double])] {
        var result: [(bar: Int, tempos: [Double])] = []
        var current: Double?
        for change in map.changes {
            let b = bar(atTick: change.tick)
            if result.last?.bar != b { result.append((b, current.map { [$0] } ?? [])) }
            result[result.count - 1].tempos.append(change.bpm)
            current = change.bpm
        }
        return result
    }
}

func format(_ x: Double) -> String {
    let rounded = (x * 100).rounded() / 100
    return rounded == rounded.rounded() && abs(rounded) < 1e15 ? "\(Int(rounded))" : "\(rounded)"
}
