import EmoMusikCore

/// One MIDI event stamped with the frame at which it takes effect: fixed size, no references,
/// so it can cross to the audio thread through a preallocated ring.
public struct ScheduledEvent: Sendable, Hashable {
    /// What the event does. The raw value is the order among events at the same frame:
    /// controllers, then program changes, then note-offs, then note-ons (so a bank select or
    /// volume precedes the program, and a repeated note is released before it is struck again).
    public enum Kind: UInt8, Sendable, Hashable, Comparable {
        /// `data1` controller number, `data2` value.
        case controlChange = 0
        /// `data1` program (0-based), `data2` unused (0).
        case programChange = 1
        /// `data1` key, `data2` unused (0).
        case noteOff = 2
        /// `data1` key, `data2` velocity 1...127.
        case noteOn = 3

        public static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
    }

    /// Frames from the start of the render; always a multiple of ``EventSchedule/blockSize``.
    public var sampleTime: Int64
    /// MIDI channel 0...15.
    public var channel: UInt8
    public var kind: Kind
    public var data1: UInt8
    public var data2: UInt8

    public init(sampleTime: Int64, channel: UInt8, kind: Kind, data1: UInt8, data2: UInt8) {
        self.sampleTime = sampleTime
        self.channel = channel
        self.kind = kind
        self.data1 = data1
        self.data2 = data2
    }
}

/// A score flattened into sample-stamped events on FluidSynth's 64-frame block grid, sorted
/// deterministically.
///
/// [control] Built on a control thread. Reading it (``events``, ``Cursor``) never allocates, so the
/// same schedule can later be fed to the audio thread through a lock-free ring.
public struct EventSchedule: Sendable, Hashable {
    /// FluidSynth renders and applies events in blocks of this many frames (`FLUID_BUFSIZE`).
    public static let blockSize: Int64 = 64

    public let sampleRate: Int
    /// Sorted by (sampleTime, kind, channel, data1), ties kept in score order.
    public let events: [ScheduledEvent]
    /// The score's `endTick` on the grid, in frames (the render adds its tail after this).
    public let endSample: Int64

    /// Flattens `score`. Each time is `tempoMap` seconds × `sampleRate`, rounded to a frame, then
    /// to the nearest 64-frame block boundary (halfway goes later). A note-off is kept at least one
    /// block after its note-on, so a very short note still sounds and is released.
    public init(score: Score, sampleRate: Int) {
        precondition(sampleRate > 0, "sample rate must be positive")
        self.sampleRate = sampleRate
        // The tempo map's time at each change, so each event's time costs a binary search.
        let clocks = TempoMap.Clocks(score.tempoMap)
        func frame(atTick tick: Int) -> Int64 {
            Self.quantise(Int64((clocks.microseconds(atTick: max(tick, 0)) * Double(sampleRate) / 1_000_000).rounded()))
        }
        var events: [ScheduledEvent] = []
        events.reserveCapacity(score.tracks.reduce(0) { $0 + 1 + $1.programChanges.count + $1.controls.count + 2 * $1.notes.count })
        for track in score.tracks {
            let channel = track.channel
            events.append(ScheduledEvent(sampleTime: 0, channel: channel, kind: .programChange, data1: track.program & 0x7F, data2: 0))
            for change in track.programChanges {
                events.append(ScheduledEvent(
                    sampleTime: frame(atTick: change.tick), channel: channel, kind: .programChange,
                    data1: change.program & 0x7F, data2: 0))
            }
            for control in track.controls {
                events.append(ScheduledEvent(
                    sampleTime: frame(atTick: control.tick), channel: channel, kind: .controlChange,
                    data1: control.controller & 0x7F, data2: control.value & 0x7F))
            }
            for note in track.notes {
                let on = frame(atTick: note.tick)
                let off = max(frame(atTick: note.endTick), on + Self.blockSize)
                events.append(ScheduledEvent(sampleTime: on, channel: channel, kind: .noteOn, data1: note.pitch, data2: note.velocity))
                events.append(ScheduledEvent(sampleTime: off, channel: channel, kind: .noteOff, data1: note.pitch, data2: 0))
            }
        }
        // Sort by key, then by position in the score so equal keys (e.g. two values of one
        // controller at one time) keep their written order: the last written wins.
        let order = events.indices.sorted { a, b in
            let x = events[a], y = events[b]
            if x.sampleTime != y.sampleTime { return x.sampleTime < y.sampleTime }
            if x.kind != y.kind { return x.kind < y.kind }
            if x.channel != y.channel { return x.channel < y.channel }
            if x.data1 != y.data1 { return x.data1 < y.data1 }
            return a < b
        }
        self.events = order.map { events[$0] }
        self.endSample = frame(atTick: score.endTick)
    }

    /// `frame` moved to the nearest multiple of ``blockSize`` (halfway goes later).
    public static func quantise(_ frame: Int64) -> Int64 {
        (frame + blockSize / 2) / blockSize * blockSize
    }

    /// Frames rendered for this schedule with `tailSeconds` after the end, rounded up to whole blocks.
    public func frameCount(tailSeconds: Double) -> Int64 {
        let tail = Int64((max(tailSeconds, 0) * Double(sampleRate)).rounded(.up))
        let total = endSample + tail
        return (total + Self.blockSize - 1) / Self.blockSize * Self.blockSize
    }

    /// A read position in a schedule. [audio] ``next(before:in:)`` never allocates or locks.
    public struct Cursor: Sendable {
        public private(set) var index = 0
        public init() {}

        /// The next event whose ``ScheduledEvent/sampleTime`` is before `frame`, advancing past
        /// it, or nil if there is none yet.
        public mutating func next(before frame: Int64, in schedule: EventSchedule) -> ScheduledEvent? {
            guard index < schedule.events.count, schedule.events[index].sampleTime < frame else { return nil }
            defer { index += 1 }
            return schedule.events[index]
        }

        /// The time of the next unread event, or nil at the end.
        public func nextTime(in schedule: EventSchedule) -> Int64? {
            index < schedule.events.count ? schedule.events[index].sampleTime : nil
        }
    }
}
