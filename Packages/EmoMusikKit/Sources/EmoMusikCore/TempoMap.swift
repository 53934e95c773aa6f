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
        var clock = TempoClock(ticksPerQuarter: ticksPerQuarter, first: changes[0])
        for change in changes[1..<index(atTick: tick) + 1] { clock.append(change) }
        return clock.microseconds(atTick: tick)
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

/// A tempo map read as it is written: the time of any tick from the latest change on, for changes
/// that arrive in time order, without keeping the changes before the latest. It sums the segments
/// one by one in the order ``TempoMap/microseconds(atTick:)`` does (that function is this clock
/// run through the map), so both give the same `Double` to the last bit.
public struct TempoClock: Hashable, Sendable {
    public let ticksPerQuarter: Int
    /// The latest change: the tempo from its tick on.
    public private(set) var latest: TempoChange
    /// Microseconds from the start to ``latest``'s tick.
    public private(set) var microsecondsAtLatest: Double

    /// A clock at the start of a map whose first change is `first` (at tick 0 in a ``TempoMap``).
    public init(ticksPerQuarter: Int = Score.defaultTicksPerQuarter, first: TempoChange) {
        self.ticksPerQuarter = ticksPerQuarter
        latest = first
        microsecondsAtLatest = 0
    }

    /// Runs the clock on to `change`, which must not precede ``latest``.
    public mutating func append(_ change: TempoChange) {
        precondition(change.tick >= latest.tick, "tempo changes must arrive in time order")
        microsecondsAtLatest = microseconds(atTick: change.tick)
        latest = change
    }

    /// Microseconds from the start to `tick` (at or after ``latest``'s tick).
    public func microseconds(atTick tick: Int) -> Double {
        microsecondsAtLatest + Double(tick - latest.tick) * Double(latest.microsecondsPerQuarter) / Double(ticksPerQuarter)
    }

    /// Seconds from the start to `tick` (at or after ``latest``'s tick), as ``TempoMap/seconds(atTick:)``.
    public func seconds(atTick tick: Int) -> Double {
        microseconds(atTick: tick) / 1_000_000
    }

    /// The tempo from ``latest`` on, in quarter notes per minute.
    public var bpm: Double { latest.bpm }
}

extension TempoMap {
    /// The map's ``TempoClock`` at each of its changes, for many lookups: the time of a tick is
    /// then a binary search away instead of a sum over the changes before it, and the same
    /// `Double` as ``microseconds(atTick:)`` gives.
    public struct Clocks: Sendable {
        private let clocks: [TempoClock]

        public init(_ map: TempoMap) {
            var clock = TempoClock(ticksPerQuarter: map.ticksPerQuarter, first: map.changes[0])
            var clocks = [clock]
            clocks.reserveCapacity(map.changes.count)
            for change in map.changes.dropFirst() {
                clock.append(change)
                clocks.append(clock)
            }
            self.clocks = clocks
        }

        /// Microseconds from the start to `tick`, as ``TempoMap/microseconds(atTick:)``.
        public func microseconds(atTick tick: Int) -> Double {
            var low = 0, high = clocks.count - 1
            while low < high {
                let mid = (low + high + 1) / 2
                if clocks[mid].latest.tick <= tick { low = mid } else { high = mid - 1 }
            }
            return clocks[low].microseconds(atTick: tick)
        }
    }
}
