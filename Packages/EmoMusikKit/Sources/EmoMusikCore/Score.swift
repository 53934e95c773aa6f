/// A note: onset and length in ticks, MIDI pitch and velocity.
public struct Note: Hashable, Sendable, Codable {
    public var tick: Int
    public var duration: Int
    public var pitch: UInt8
    public var velocity: UInt8

    public init(tick: Int, duration: Int, pitch: UInt8, velocity: UInt8) {
        precondition(duration > 0, "a note must last at least one tick")
        precondition(pitch < 128 && velocity > 0 && velocity < 128, "pitch 0...127, velocity 1...127")
        self.tick = tick
        self.duration = duration
        self.pitch = pitch
        self.velocity = velocity
    }

    public var endTick: Int { tick + duration }
}

/// A controller change (volume CC7, pan CC10, expression CC11, reverb send CC91, ...).
public struct ControlChange: Hashable, Sendable, Codable {
    public var tick: Int
    public var controller: UInt8
    public var value: UInt8

    public init(tick: Int, controller: UInt8, value: UInt8) {
        self.tick = tick
        self.controller = controller
        self.value = value
    }

    public static let volume: UInt8 = 7
    public static let pan: UInt8 = 10
    public static let expression: UInt8 = 11
    public static let reverbSend: UInt8 = 91
    public static let chorusSend: UInt8 = 93
}

/// A program (instrument) change within a track, for voices that change instrument mid-piece.
public struct ProgramChange: Hashable, Sendable, Codable {
    public var tick: Int
    public var program: UInt8

    public init(tick: Int, program: UInt8) {
        self.tick = tick
        self.program = program
    }
}

/// One voice of the arrangement on one MIDI channel.
public struct Track: Hashable, Sendable, Codable {
    public var name: String
    /// MIDI channel 0...15; channel 9 is General MIDI percussion.
    public var channel: UInt8
    /// The General MIDI program at tick 0 (ignored for percussion beyond selecting the kit).
    public var program: UInt8
    public var programChanges: [ProgramChange]
    public var notes: [Note]
    public var controls: [ControlChange]

    public init(
        name: String, channel: UInt8, program: UInt8, programChanges: [ProgramChange] = [], notes: [Note] = [],
        controls: [ControlChange] = []
    ) {
        precondition(channel < 16, "MIDI channels are 0...15")
        self.name = name
        self.channel = channel
        self.program = program
        self.programChanges = programChanges
        self.notes = notes
        self.controls = controls
    }

    public static let percussionChannel: UInt8 = 9
    public var isPercussion: Bool { channel == Self.percussionChannel }
}

public struct TimeSignatureChange: Hashable, Sendable, Codable {
    public var tick: Int
    public var meter: Meter
    public init(tick: Int, meter: Meter) {
        self.tick = tick
        self.meter = meter
    }
}

public struct KeyChange: Hashable, Sendable, Codable {
    public var tick: Int
    public var key: Key
    public init(tick: Int, key: Key) {
        self.tick = tick
        self.key = key
    }
}

/// A text marker on the timeline (rehearsal marks, "key change to A aeolian", ...).
public struct Marker: Hashable, Sendable, Codable {
    public var tick: Int
    public var text: String
    public init(tick: Int, text: String) {
        self.tick = tick
        self.text = text
    }
}

/// The event timeline: everything needed to write a Standard MIDI File or render audio.
/// Times are in ticks; ``tempoMap`` turns them into seconds.
public struct Score: Hashable, Sendable, Codable {
    public static let defaultTicksPerQuarter = 480

    public var ticksPerQuarter: Int
    public var tempoMap: TempoMap
    /// Sorted by tick; the first is at tick 0.
    public var timeSignatures: [TimeSignatureChange]
    /// Sorted by tick; may be empty if the key is unknown (e.g. a file read from disk without one).
    public var keyChanges: [KeyChange]
    public var markers: [Marker]
    public var tracks: [Track]
    /// Where the piece ends (after the last note's release is allowed to ring, if the composer wants).
    public var endTick: Int

    public init(
        ticksPerQuarter: Int = Score.defaultTicksPerQuarter, tempoMap: TempoMap,
        timeSignatures: [TimeSignatureChange] = [TimeSignatureChange(tick: 0, meter: .commonTime)],
        keyChanges: [KeyChange] = [], markers: [Marker] = [], tracks: [Track] = [], endTick: Int? = nil
    ) {
        precondition(ticksPerQuarter > 0 && ticksPerQuarter < 0x8000, "ticks per quarter must fit 15 bits")
        self.ticksPerQuarter = ticksPerQuarter
        self.tempoMap = tempoMap
        self.timeSignatures = timeSignatures
        self.keyChanges = keyChanges
        self.markers = markers
        self.tracks = tracks
        self.endTick = endTick ?? tracks.flatMap(\.notes).map(\.endTick).max() ?? 0
    }

    /// Length in seconds, to ``endTick``.
    public var duration: Double { tempoMap.seconds(atTick: endTick) }

    public var noteCount: Int { tracks.reduce(0) { $0 + $1.notes.count } }

    /// Ticks at which bars start, from the time signatures, up to ``endTick``.
    public var barStartTicks: [Int] {
        var starts: [Int] = []
        var tick = 0
        var index = 0
        while tick < max(endTick, 1) {
            while index + 1 < timeSignatures.count && timeSignatures[index + 1].tick <= tick { index += 1 }
            let meter = timeSignatures.isEmpty ? Meter.commonTime : timeSignatures[index].meter
            starts.append(tick)
            tick += ticksPerQuarter * 4 * meter.beatsPerBar / meter.beatUnit
        }
        return starts
    }
}
