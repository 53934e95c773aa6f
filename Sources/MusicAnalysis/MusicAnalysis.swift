import EmoMusikCore

/// The key a Krumhansl–Schmuckler analysis hears: a tonic and major or minor.
public struct KeyEstimate: Sendable, Codable, Equatable {
    public var tonic: PitchClass
    public var family: ModeFamily
    /// Pearson correlation (-1...1) of the pitch-class weights with the winning key profile.
    public var correlation: Double
    /// The tonic and family as a listener names them, e.g. `A minor`, `Eb major`.
    public var name: String

    public init(tonic: PitchClass, family: ModeFamily, correlation: Double) {
        self.tonic = tonic
        self.family = family
        self.correlation = correlation
        self.name = KeyEstimate.name(tonic: tonic, family: family)
    }

    /// `C major`, `F# minor`: the tonic's name from ``PitchClass/names`` and the family.
    public static func name(tonic: PitchClass, family: ModeFamily) -> String { "\(tonic) \(family)" }
}

/// What one track does, over the analysed window. Means are 0 and pitches 0 for a track with no
/// notes in the window.
public struct TrackAnalysis: Sendable, Codable {
    public var name: String
    public var channel: UInt8
    /// Notes starting inside the window.
    public var noteCount: Int
    public var meanVelocity: Double
    /// Plain (not duration-weighted) mean MIDI note number.
    public var meanPitch: Double
    public var lowestPitch: Int
    public var highestPitch: Int
    public var notesPerSecond: Double
    /// Share of the track's notes that are staccato, by the rule of ``ScoreAnalysis/staccatoShare``
    /// (applied to percussion tracks too, where it means little).
    public var staccatoShare: Double
}

/// What a listener hears in a score (or a window of it): tempo, key, density, dynamics, register
/// and articulation — the cues of DESIGN.md section 5, measured so tests can check the composer.
///
/// Rules:
/// - Only notes that *start* inside the window count; their full durations count even if they
///   ring past its end.
/// - "Pitched" means not on the General MIDI percussion channel (channel index 9).
/// - A beat is a quarter note, as in the tempo map's BPM.
public struct ScoreAnalysis: Sendable, Codable {
    /// Length of the analysed window: the window clipped to `0...score.duration`
    /// (the whole score when no window is given).
    public var durationSeconds: Double
    /// Time-weighted mean BPM (quarter notes per minute) of the tempo map over the window,
    /// i.e. quarter notes elapsed × 60 / seconds. The tempo at the window's start if it is empty.
    public var tempo: Double
    /// Slowest and fastest tempo in effect at any time inside the window.
    public var tempoMin: Double
    public var tempoMax: Double
    /// Krumhansl–Schmuckler estimate over the pitched notes' duration-weighted pitch classes;
    /// nil when no pitched note starts in the window.
    public var key: KeyEstimate?
    /// The score's key-signature events that apply inside the window (the one in effect at its start,
    /// then each change inside it), named by tonic and family like ``KeyEstimate/name``
    /// (`D dorian` is listed as `D minor`), so they compare directly with ``key``.
    public var keyChanges: [String]
    /// All notes starting in the window, percussion included (compare ``Score/noteCount``).
    public var noteCount: Int
    /// Pitched notes starting in the window.
    public var pitchedNoteCount: Int
    /// Percussion notes starting in the window.
    public var percussionNoteCount: Int
    /// Pitched notes per second of the window.
    public var notesPerSecond: Double
    /// Pitched notes per quarter note of the window.
    public var notesPerBeat: Double
    /// Plain mean velocity of the pitched notes (0 if none).
    public var meanVelocity: Double
    /// Plain (per note, not duration-weighted) mean MIDI note number of the pitched notes (0 if none).
    public var meanPitch: Double
    /// 10th to 90th percentile of the pitched notes' MIDI note numbers, per note, linearly
    /// interpolated between ranks (numpy's default); `0...0` if there are none.
    public var pitchRange: ClosedRange<Double>
    /// Width of ``pitchRange`` in semitones.
    public var pitchSpan: Double { pitchRange.upperBound - pitchRange.lowerBound }
    /// Share of pitched notes that are staccato. A note is staccato when it is shorter than a beat
    /// (a quarter note) and sounds for less than 60 % of the time to the next later onset in the
    /// same track; the last note of a track, having no next onset, is measured against one beat
    /// (staccato when shorter than 0.6 beat). Notes of a chord share an onset, so the next *later*
    /// onset is used. 0 when there are no pitched notes.
    public var staccatoShare: Double
    public var percussionNotesPerSecond: Double
    /// One entry per track of the score, in order (including tracks with no notes in the window).
    public var tracks: [TrackAnalysis]
}

/// Measures tempo, key, density, dynamics, register and articulation of a ``Score``.
public enum MusicAnalyzer {
    /// Krumhansl–Kessler probe-tone ratings for a major key, tonic first.
    public static let majorProfile: [Double] = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]
    /// Krumhansl–Kessler probe-tone ratings for a minor key, tonic first.
    public static let minorProfile: [Double] = [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]

    /// The staccato threshold: fraction of the inter-onset interval a note must sound to be legato.
    public static let staccatoFraction = 0.6

    /// Analyses `score`, or only the notes starting inside `window` (seconds from the start).
    public static func analyze(_ score: Score, window: ClosedRange<Double>? = nil) -> ScoreAnalysis {
        let map = score.tempoMap
        let total = score.duration
        let start = max(0, window?.lowerBound ?? 0)
        let end = max(start, min(window?.upperBound ?? total, total))
        let duration = end - start
        let inWindow: (Double) -> Bool = { seconds in
            guard let window else { return true }
            return window.contains(seconds)
        }

        // Tempo: integrate BPM over the window's seconds, segment by segment.
        let tempo = tempoStatistics(map, from: start, to: end)

        // Notes.
        var pitchClassSeconds = [Double](repeating: 0, count: 12)
        var pitched: [(note: Note, staccato: Bool)] = []
        var percussionCount = 0
        var trackAnalyses: [TrackAnalysis] = []
        for track in score.tracks {
            let onsets = Array(Set(track.notes.map(\.tick))).sorted()
            var selected: [(note: Note, staccato: Bool)] = []
            for note in track.notes {
                let onsetSeconds = map.seconds(atTick: note.tick)
                guard inWindow(onsetSeconds) else { continue }
                let staccato = isStaccato(note, nextOnset: nextOnset(after: note.tick, in: onsets),
                                          ticksPerQuarter: score.ticksPerQuarter)
                selected.append((note, staccato))
                if !track.isPercussion {
                    let seconds = map.seconds(atTick: note.endTick) - onsetSeconds
                    pitchClassSeconds[Int(note.pitch) % 12] += seconds
                }
            }
            if track.isPercussion { percussionCount += selected.count } else { pitched += selected }
            let pitches = selected.map { Int($0.note.pitch) }
            trackAnalyses.append(TrackAnalysis(
                name: track.name, channel: track.channel, noteCount: selected.count,
                meanVelocity: mean(selected.map { Double($0.note.velocity) }),
                meanPitch: mean(pitches.map(Double.init)),
                lowestPitch: pitches.min() ?? 0, highestPitch: pitches.max() ?? 0,
                notesPerSecond: rate(selected.count, per: duration),
                staccatoShare: share(selected.map(\.staccato))))
        }

        let pitches = pitched.map { Double($0.note.pitch) }.sorted()
        let range = pitches.isEmpty ? 0...0 : percentile(pitches, 0.1)...percentile(pitches, 0.9)
        let quarters = tempo.mean / 60 * duration  // quarter notes elapsed in the window

        return ScoreAnalysis(
            durationSeconds: duration,
            tempo: tempo.mean, tempoMin: tempo.min, tempoMax: tempo.max,
            key: pitched.isEmpty ? nil : estimateKey(pitchClassWeights: pitchClassSeconds),
            keyChanges: keyNames(score, from: start, to: end),
            noteCount: pitched.count + percussionCount,
            pitchedNoteCount: pitched.count,
            percussionNoteCount: percussionCount,
            notesPerSecond: rate(pitched.count, per: duration),
            notesPerBeat: quarters > 0 ? Double(pitched.count) / quarters : 0,
            meanVelocity: mean(pitched.map { Double($0.note.velocity) }),
            meanPitch: mean(pitches),
            pitchRange: range,
            staccatoShare: share(pitched.map(\.staccato)),
            percussionNotesPerSecond: rate(percussionCount, per: duration),
            tracks: trackAnalyses)
    }

    /// Krumhansl–Schmuckler key finding: the Pearson correlation of the 12 pitch-class weights
    /// (C first) with each of the 24 rotated Krumhansl–Kessler profiles; the best wins (on a tie
    /// the first in the order C major, C minor, C# major, ...).
    ///
    /// Returns nil when the weights are all zero (no pitched notes) or all equal (every key
    /// correlates equally: no key can be told).
    public static func estimateKey(pitchClassWeights weights: [Double]) -> KeyEstimate? {
        precondition(weights.count == 12, "pitch-class weights need 12 values, C first; got \(weights.count)")
        guard weights.contains(where: { $0 != 0 }), Set(weights).count > 1 else { return nil }
        var best: KeyEstimate?
        for tonic in 0..<12 {
            for (family, profile) in [(ModeFamily.major, majorProfile), (.minor, minorProfile)] {
                let rotated = (0..<12).map { profile[(($0 - tonic) % 12 + 12) % 12] }
                let r = pearson(weights, rotated)
                if best == nil || r > best!.correlation {
                    best = KeyEstimate(tonic: PitchClass(tonic), family: family, correlation: r)
                }
            }
        }
        return best
    }

    // MARK: - Helpers

    private static func tempoStatistics(_ map: TempoMap, from start: Double, to end: Double)
        -> (mean: Double, min: Double, max: Double)
    {
        var weighted = 0.0
        var low = Double.infinity, high = -Double.infinity
        let changes = map.changes
        for (i, change) in changes.enumerated() {
            let segmentStart = map.seconds(atTick: change.tick)
            let segmentEnd = i + 1 < changes.count ? map.seconds(atTick: changes[i + 1].tick) : Double.infinity
            // The segment is in effect inside the window if it overlaps it (or holds the start of an empty window).
            let overlapStart = max(segmentStart, start), overlapEnd = min(segmentEnd, end)
            let holdsStart = segmentStart <= start && start < segmentEnd
            guard overlapEnd > overlapStart || holdsStart else { continue }
            weighted += max(0, overlapEnd - overlapStart) * change.bpm
            low = min(low, change.bpm)
            high = max(high, change.bpm)
        }
        let duration = end - start
        let mean = duration > 0 ? weighted / duration : map.bpm(atTick: map.tick(atSeconds: start))
        return (mean, low.isFinite ? low : mean, high.isFinite ? high : mean)
    }

    private static func keyNames(_ score: Score, from start: Double, to end: Double) -> [String] {
        let changes = score.keyChanges.sorted { $0.tick < $1.tick }
        var names: [String] = []
        for (i, change) in changes.enumerated() {
            let begins = score.tempoMap.seconds(atTick: change.tick)
            let nextBegins = i + 1 < changes.count ? score.tempoMap.seconds(atTick: changes[i + 1].tick) : .infinity
            let applies = (begins <= start && start < nextBegins) || (begins > start && begins <= end)
            if applies { names.append(KeyEstimate.name(tonic: change.key.tonic, family: change.key.mode.family)) }
        }
        return names
    }

    private static func nextOnset(after tick: Int, in sortedOnsets: [Int]) -> Int? {
        var low = 0, high = sortedOnsets.count
        while low < high {
            let mid = (low + high) / 2
            if sortedOnsets[mid] <= tick { low = mid + 1 } else { high = mid }
        }
        return low < sortedOnsets.count ? sortedOnsets[low] : nil
    }

    private static func isStaccato(_ note: Note, nextOnset: Int?, ticksPerQuarter: Int) -> Bool {
        let interval = nextOnset.map { $0 - note.tick } ?? ticksPerQuarter
        return note.duration < ticksPerQuarter && Double(note.duration) < staccatoFraction * Double(interval)
    }

    private static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        let mx = mean(x), my = mean(y)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
            syy += (b - my) * (b - my)
        }
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : 0
    }

    private static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    private static func rate(_ count: Int, per seconds: Double) -> Double {
        seconds > 0 ? Double(count) / seconds : 0
    }

    private static func share(_ flags: [Bool]) -> Double {
        flags.isEmpty ? 0 : Double(flags.filter { $0 }.count) / Double(flags.count)
    }

    /// Linear interpolation between closest ranks of sorted values (numpy's default).
    private static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        let position = p * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }
}
