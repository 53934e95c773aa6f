/// A tempo change: from `tick` on, one quarter note lasts `microsecondsPerQuarter`.
/// Stored in microseconds, exactly as a Standard MIDI File stores it, so a score and the MIDI file
/// exported from it time every note identically.
public struct TempoChange: Hashable, Sendable, Codable {
    public var tick: Int
    public var microsecondsPerQuarter: Int

    public init(tick: Int, microsecondsPerQuarter: Int) {
        precondition(microsecondsPerQuarter > 0 && microsecondsPerQuarter < 1 << 24, "tempo must fit 24 bits")
        self.tick = tick
        self.microsecondsPerQuarter = microsecondsPerQuarter
    }

    /// A change to `bpm` quarter notes per minute, rounded to the nearest microsecond.
    public init(tick: Int, bpm: Double) {
        self.init(tick: tick, microsecondsPerQuarter: Int((60_000_000 / bpm).rounded()))
    }

    public var bpm: Double { 60_000_000 / Double(microsecondsPerQuarter) }
}

/// The piecewise-constant tempo of a score, and conversions between ticks and seconds.
public struct TempoMap: Hashable, Sendable, Codable {
    /// Sorted by tick, first at tick 0, no two at the same tick.
    public private(set) var changes: [TempoChange]
    public let ticksPerQuarter: Int

    /// `changes` may be in any order; a missing change at tick 0 means 120 BPM (the MIDI default);
    /// of two changes at one tick the later in the array wins.
    public init(ticksPerQuarter: Int = Score.defaultTicksPerQuarter, changes: [TempoChange]) {
        self.ticksPerQuarter = ticksPerQuarter
        var byTick: [Int: TempoChange] = [:]
        for change in changes { byTick[change.tick] = change }
        var sorted = byTick.values.sorted { $0.tick < $1.tick }
        if sorted.first?.tick != 0 { sorted.insert(TempoChange(tick: 0, microsecondsPerQuarter: 500_000), at: 0) }
        self.changes = sorted
    }

    public init(ticksPerQuarter: Int = Score.defaultTicksPerQuarter, bpm: Double) {
        self.init(ticksPerQuarter: ticksPerQuarter, changes: [TempoChange(tick: 0, bpm: bpm)])
    }

    /// Appends or replaces the change at `change.tick`, which must not precede the last change.
    public mutating func append(_ change: TempoChange) {
        precondition(change.tick >= changes.last!.tick, "tempo changes must be appended in time order")
        if changes.last!.tick == change.tick { changes.removeLast() }
        if changes.last?.microsecondsPerQuarter != change.microsecondsPerQuarter || changes.isEmpty {
            changes.append(change)
        }
    }

    private func index(atTick tick: Int) -> Int {
        var low = 0, high = changes.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if changes[mid].tick <= tick { low = mid } else { high = mid - 1 }
        }
        return low
    }

    /// The tempo in effect at `tick`.
    public func bpm(atTick tick: Int) -> Double { changes[index(atTick: tick)].bpm }

    /// Seconds from the start to `tick`, exact to the microsecond arithmetic of a MIDI player.
    public func seconds(atTick tick: Int) -> Double {
        Double(microseconds(atTick: tick)) / 1_000_000
    }

    /// Microseconds from the start to `tick` (fractional; no rounding between tempo segments).
    public func microseconds(atTick tick: Int) -> Double {
        var total = 0.0
        let last = index(atTick: tick)
        for i in 0...last {
            let start = changes[i].tick
            let end = i == last ? tick : changes[i + 1].tick
            total += Double(end - start) * Double(changes[i].microsecondsPerQuarter) / Double(ticksPerQuarter)
        }
        return total
    }

    /// The tick at `seconds` (fractional ticks truncated).
    public func tick(atSeconds seconds: Double) -> Int {
        var elapsed = 0.0
        for (i, change) in changes.enumerated() {
            let secondsPerTick = Double(change.microsecondsPerQuarter) / Double(ticksPerQuarter) / 1_000_000
            if i + 1 < changes.count {
                let span = Double(changes[i + 1].tick - change.tick) * secondsPerTick
                if elapsed + span > seconds { return change.tick + Int((seconds - elapsed) / secondsPerTick) }
                elapsed += span
            } else {
                return change.tick + Int((seconds - elapsed) / secondsPerTick)
            }
        }
        return 0
    }
}
