import EmoMusikCore

extension StandardMIDIFile {
    /// The bytes of a type 1 Standard MIDI File for `score` (layout in ``StandardMIDIFile``).
    ///
    /// Every tick must be zero or more, programs, controllers and their values 0...127, and a time
    /// signature's beats per bar 1...255 (programmer errors otherwise). A time signature's beat
    /// unit is written as the nearest power of two (MIDI cannot express others).
    public static func encode(_ score: Score) -> [UInt8] {
        var tracks = [conductorTrack(score)]
        for track in score.tracks { tracks.append(voiceTrack(track, endTick: score.endTick)) }

        var file: [UInt8] = Array("MThd".utf8)
        file += bigEndian(6, bytes: 4)
        file += bigEndian(1, bytes: 2)  // type 1
        file += bigEndian(tracks.count, bytes: 2)
        file += bigEndian(score.ticksPerQuarter, bytes: 2)
        for events in tracks {
            let body = trackBody(events)
            file += Array("MTrk".utf8)
            file += bigEndian(body.count, bytes: 4)
            file += body
        }
        return file
    }

    /// One event of a track before serialisation: absolute tick, an ordering rank for events at
    /// the same tick, and the bytes after the delta time.
    struct TimedEvent {
        var tick: Int
        var rank: Int
        var bytes: [UInt8]
    }

    private static func conductorTrack(_ score: Score) -> [TimedEvent] {
        var events = [TimedEvent(tick: 0, rank: 0, bytes: meta(0x03, Array(conductorTrackName.utf8)))]
        for signature in score.timeSignatures {
            let meter = signature.meter
            precondition((1...255).contains(meter.beatsPerBar) && meter.beatUnit >= 1, "time signature \(meter) cannot be written to MIDI")
            let power = beatUnitPower(meter.beatUnit)
            let compound = meter.beatsPerBar % 3 == 0 && meter.beatsPerBar > 3 && (1 << power) >= 8
            let clocksPerClick = max(1, (compound ? 3 : 1) * (96 >> power))  // MIDI clocks per metronome click
            events.append(TimedEvent(
                tick: signature.tick, rank: 1,
                bytes: meta(0x58, [UInt8(clamping: meter.beatsPerBar), UInt8(power), UInt8(clamping: clocksPerClick), 8])))
        }
        for change in score.keyChanges {
            let signature = change.key.midiKeySignature
            let accidentals = Int8(signature.accidentals)
            let minor: UInt8 = signature.minor ? 1 : 0
            events.append(TimedEvent(tick: change.tick, rank: 2, bytes: meta(0x59, [UInt8(bitPattern: accidentals), minor])))
            events.append(TimedEvent(
                tick: change.tick, rank: 3,
                bytes: meta(0x01, Array((keyTextPrefix + "\(change.key.tonic) \(change.key.mode)").utf8))))
        }
        for change in score.tempoMap.changes {
            let µs = change.microsecondsPerQuarter
            events.append(TimedEvent(
                tick: change.tick, rank: 4, bytes: meta(0x51, [UInt8(µs >> 16 & 0xFF), UInt8(µs >> 8 & 0xFF), UInt8(µs & 0xFF)])))
        }
        for marker in score.markers {
            events.append(TimedEvent(tick: marker.tick, rank: 5, bytes: meta(0x06, Array(marker.text.utf8))))
        }
        return finish(events, endTick: score.endTick)
    }

    private static func voiceTrack(_ track: Track, endTick: Int) -> [TimedEvent] {
        let channel = track.channel
        let programs = [track.program] + track.programChanges.map(\.program)
        precondition(programs.allSatisfy { $0 < 128 }, "track '\(track.name)': MIDI programs are 0...127")
        precondition(track.controls.allSatisfy { $0.controller < 128 && $0.value < 128 },
                     "track '\(track.name)': MIDI controllers and their values are 0...127")
        var events = [
            TimedEvent(tick: 0, rank: 0, bytes: meta(0x03, Array(track.name.utf8))),
            TimedEvent(tick: 0, rank: 1, bytes: [0xC0 | channel, track.program]),
        ]
        for note in track.notes {
            events.append(TimedEvent(tick: note.endTick, rank: 2, bytes: [0x80 | channel, note.pitch, 0x40]))
            events.append(TimedEvent(tick: note.tick, rank: 5, bytes: [0x90 | channel, note.pitch, note.velocity]))
        }
        for change in track.programChanges {
            events.append(TimedEvent(tick: change.tick, rank: 3, bytes: [0xC0 | channel, change.program]))
        }
        for control in track.controls {
            events.append(TimedEvent(tick: control.tick, rank: 4, bytes: [0xB0 | channel, control.controller, control.value]))
        }
        return finish(events, endTick: endTick)
    }

    /// Sorts by tick, then rank, then insertion order, and appends the end-of-track event.
    private static func finish(_ events: [TimedEvent], endTick: Int) -> [TimedEvent] {
        for event in events {
            precondition(event.tick >= 0, "MIDI events cannot precede tick 0 (got tick \(event.tick))")
        }
        var sorted = events.enumerated().sorted {
            ($0.element.tick, $0.element.rank, $0.offset) < ($1.element.tick, $1.element.rank, $1.offset)
        }.map(\.element)
        let last = max(endTick, sorted.last?.tick ?? 0)
        sorted.append(TimedEvent(tick: last, rank: .max, bytes: meta(0x2F, [])))
        return sorted
    }

    private static func trackBody(_ events: [TimedEvent]) -> [UInt8] {
        var body: [UInt8] = []
        var previous = 0
        for event in events {
            var delta = event.tick - previous
            // A delta beyond the largest variable-length quantity is split with empty text events.
            while delta > 0x0FFF_FFFF {
                body += encodeVariableLength(0x0FFF_FFFF) + meta(0x01, [])
                delta -= 0x0FFF_FFFF
            }
            body += encodeVariableLength(delta)
            body += event.bytes
            previous = event.tick
        }
        return body
    }

    private static func meta(_ type: UInt8, _ data: [UInt8]) -> [UInt8] {
        [0xFF, type] + encodeVariableLength(data.count) + data
    }

    private static func bigEndian(_ value: Int, bytes: Int) -> [UInt8] {
        (0..<bytes).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    /// log2 of the power of two nearest to `beatUnit` (1 → 0, 4 → 2, 8 → 3), at most 2^7.
    private static func beatUnitPower(_ beatUnit: Int) -> Int {
        var power = 0
        while power < 7 && abs((1 << (power + 1)) - beatUnit) < abs((1 << power) - beatUnit) { power += 1 }
        return power
    }
}
