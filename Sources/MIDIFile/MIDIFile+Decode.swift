import EmoMusikCore

extension StandardMIDIFile {
    /// Parses the bytes of a type 0 or type 1 Standard MIDI File into a ``Score``.
    ///
    /// Rules:
    /// - Tempo (FF 51), time signature (FF 58), key signature (FF 59) and marker (FF 06) events are
    ///   taken from every track chunk. A key signature becomes an ionian (major) or aeolian (minor)
    ///   ``Key`` whose tonic follows from the accidentals and the minor flag (2 sharps + minor →
    ///   B aeolian), unless an FF 01 `EmoMusik key: …` text at the same tick in the same chunk names
    ///   a key with that signature and family (as ``encode(_:)`` writes), which is then used exactly.
    /// - With no time signature at tick 0, 4/4 is assumed there (the MIDI default); with no tempo at
    ///   tick 0, 120 BPM.
    /// - Each channel used by a track chunk becomes one ``Track`` (a type 0 file is thus split by
    ///   channel), in chunk order, then in order of the channel's first event. Its name is the chunk's
    ///   FF 03 name (or `track N`), followed by ` (channel C)` (1-based) if the chunk uses several
    ///   channels. Chunks without channel events (such as the conductor track) give no ``Track``.
    /// - Notes pair a note-on with the earliest unmatched note-on of the same channel and pitch
    ///   (first in, first out); a note-on with velocity 0 is a note-off. A note still sounding at
    ///   the end of its chunk ends there. A note-off at its note-on's tick gives a 1-tick note.
    ///   Notes are sorted by onset, then pitch.
    /// - The first program change, if at tick 0, is the track's ``Track/program`` (0 otherwise); later
    ///   ones are ``Track/programChanges``. Names, markers and texts are read as UTF-8, or as Latin-1
///   if they are not valid UTF-8. Controllers are kept in file order. Pitch bend, aftertouch,
    ///   system exclusive and other meta events are skipped.
    /// - ``Score/endTick`` is the latest end-of-track tick.
    ///
    /// - Parameter file: the name used in error messages.
    /// - Throws: ``EmoMusikError`` `.malformedFile` naming `file` and the byte offset of the problem,
    ///   for a wrong magic number, a truncated file, a chunk longer than the file, a bad event, or
    ///   an unsupported file (type 2, SMPTE time division).
    public static func decode(_ bytes: [UInt8], file: String = "<memory>") throws -> Score {
        var parser = Parser(bytes: bytes, file: file)
        return try parser.parse()
    }
}

private struct Parser {
    let bytes: [UInt8]
    let file: String

    struct PendingNote { var tick: Int; var velocity: UInt8 }
    struct Voice {
        var channel: UInt8
        var notes: [(order: Int, note: Note)] = []
        var pending: [UInt8: [PendingNote]] = [:]
        var programs: [ProgramChange] = []
        var controls: [ControlChange] = []
    }
    struct KeySignature { var tick: Int; var accidentals: Int; var minor: Bool; var chunk: Int }

    var tempos: [TempoChange] = []
    var meters: [TimeSignatureChange] = []
    var keySignatures: [KeySignature] = []
    var keyTexts: [(tick: Int, chunk: Int, text: String)] = []
    var markers: [Marker] = []
    var tracks: [Track] = []
    var endTick = 0

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    func fail(_ message: String, at offset: Int, hint: String? = nil) -> EmoMusikError {
        EmoMusikError(.malformedFile, message, hint: hint, location: SourceLocation(file: file, field: "byte \(offset)"))
    }

    func uint(at offset: Int, count: Int) -> Int {
        (offset..<offset + count).reduce(0) { $0 << 8 | Int(bytes[$1]) }
    }

    mutating func parse() throws -> Score {
        let magic = Array(bytes.prefix(4))
        guard magic == Array("MThd".utf8) else {
            let shown = magic.map { String($0, radix: 16, uppercase: true) }.joined(separator: " ")
            throw fail(
                "not a Standard MIDI File: it starts with [\(shown)], not 'MThd'", at: 0,
                hint: "give a .mid file (type 0 or 1)")
        }
        guard bytes.count >= 14 else {
            throw fail("the file ends inside its header (\(bytes.count) bytes)", at: bytes.count, hint: "the file is truncated")
        }
        let headerLength = uint(at: 4, count: 4)
        guard headerLength >= 6 else { throw fail("header chunk length \(headerLength) is less than 6", at: 4) }
        guard headerLength <= bytes.count - 8 else {
            throw fail("header chunk length \(headerLength) runs past the end of the file", at: 4, hint: "the file is truncated")
        }
        let format = uint(at: 8, count: 2)
        let declaredTracks = uint(at: 10, count: 2)
        let division = uint(at: 12, count: 2)
        switch format {
        case 0, 1: break
        case 2: throw fail("type 2 (sequential patterns) files are not supported", at: 8, hint: "convert the file to type 1")
        default: throw fail("unknown file type \(format) (expected 0 or 1)", at: 8)
        }
        guard division & 0x8000 == 0 else {
            throw fail("SMPTE time division is not supported", at: 12, hint: "convert the file to ticks per quarter note")
        }
        guard division > 0 else { throw fail("time division of 0 ticks per quarter note", at: 12) }

        var offset = 8 + headerLength
        var trackChunks = 0
        while offset < bytes.count {
            guard bytes.count - offset >= 8 else {
                throw fail("the file ends inside a chunk header", at: offset, hint: "the file is truncated")
            }
            let type = bytes[offset..<offset + 4]
            let length = uint(at: offset + 4, count: 4)
            let start = offset + 8
            guard length <= bytes.count - start else {
                throw fail(
                    "chunk length \(length) runs past the end of the file (\(bytes.count - start) bytes left)",
                    at: offset + 4, hint: "the file is truncated or the chunk length is wrong")
            }
            if Array(type) == Array("MTrk".utf8) {
                try parseTrack(from: start, to: start + length, chunk: trackChunks)
                trackChunks += 1
            }  // other chunk types are skipped, as the specification asks
            offset = start + length
        }
        guard trackChunks >= declaredTracks else {
            throw fail(
                "the header announces \(declaredTracks) tracks but the file holds \(trackChunks)", at: bytes.count,
                hint: "the file is truncated")
        }

        // Of two tempo events at one tick, the later in the file wins.
        let map = TempoMap(ticksPerQuarter: division, changes: stableSorted(tempos, by: \.tick))
        var timeSignatures = stableSorted(meters, by: \.tick)
        if timeSignatures.first?.tick != 0 { timeSignatures.insert(TimeSignatureChange(tick: 0, meter: .commonTime), at: 0) }
        let keys = stableSorted(keySignatures, by: \.tick).map { signature in
            KeyChange(tick: signature.tick, key: key(for: signature))
        }
        return Score(
            ticksPerQuarter: division, tempoMap: map, timeSignatures: timeSignatures, keyChanges: keys,
            markers: stableSorted(markers, by: \.tick), tracks: tracks, endTick: endTick)
    }

    func key(for signature: KeySignature) -> Key {
        for text in keyTexts where text.tick == signature.tick && text.chunk == signature.chunk {
            let words = text.text.dropFirst(StandardMIDIFile.keyTextPrefix.count).split(separator: " ")
            if words.count == 2, let tonic = PitchClass(name: String(words[0])), let mode = Mode(rawValue: String(words[1])) {
                let key = Key(tonic: tonic, mode: mode)
                if key.midiKeySignature == (signature.accidentals, signature.minor) {
                    return key
                }
            }
        }
        let major = PitchClass(signature.accidentals * 7)  // each sharp a fifth up from C
        return signature.minor ? Key(tonic: PitchClass(major.rawValue + 9), mode: .aeolian) : Key(tonic: major, mode: .ionian)
    }

    mutating func parseTrack(from start: Int, to end: Int, chunk: Int) throws {
        var position = start
        var tick = 0
        var runningStatus: UInt8?
        var name: String?
        var voices: [Voice] = []
        var order = 0
        let label = "track \(chunk + 1)"

        func readByte(_ what: String) throws -> UInt8 {
            guard position < end else {
                throw fail("\(label) ends inside \(what)", at: position, hint: "the file is truncated or a chunk length is wrong")
            }
            defer { position += 1 }
            return bytes[position]
        }
        func readVariableLength(_ what: String) throws -> Int {
            let first = position
            var value = 0
            for _ in 0..<4 {
                let byte = try readByte(what)
                value = value << 7 | Int(byte & 0x7F)
                if byte & 0x80 == 0 { return value }
            }
            throw fail("\(label): \(what) is a variable-length quantity longer than 4 bytes", at: first)
        }

        var ended = false
        while position < end && !ended {
            tick += try readVariableLength("a delta time")
            let statusOffset = position
            var status = try readByte("an event")
            if status < 0x80 {
                guard let running = runningStatus else {
                    throw fail(
                        "\(label): data byte 0x\(String(status, radix: 16, uppercase: true)) where a status byte was expected",
                        at: statusOffset)
                }
                status = running
                position -= 1  // the byte is the first data byte
            }
            switch status {
            case 0xFF:
                runningStatus = nil
                let type = try readByte("a meta event")
                let length = try readVariableLength("a meta event's length")
                guard length <= end - position else {
                    throw fail("\(label): meta event length \(length) runs past the end of the track", at: statusOffset)
                }
                let data = Array(bytes[position..<position + length])
                position += length
                switch type {
                case 0x2F:
                    ended = true
                case 0x51:
                    guard length == 3 else { throw fail("\(label): tempo event of \(length) bytes (expected 3)", at: statusOffset) }
                    let µs = Int(data[0]) << 16 | Int(data[1]) << 8 | Int(data[2])
                    guard µs > 0 else { throw fail("\(label): tempo of 0 microseconds per quarter note", at: statusOffset) }
                    tempos.append(TempoChange(tick: tick, microsecondsPerQuarter: µs))
                case 0x58:
                    guard length >= 2 else { throw fail("\(label): time signature of \(length) bytes (expected 4)", at: statusOffset) }
                    guard data[0] > 0, data[1] <= 7 else {
                        throw fail("\(label): time signature \(data[0])/2^\(data[1]) is not valid", at: statusOffset)
                    }
                    meters.append(TimeSignatureChange(tick: tick, meter: Meter(beatsPerBar: Int(data[0]), beatUnit: 1 << Int(data[1]))))
                case 0x59:
                    guard length == 2 else { throw fail("\(label): key signature of \(length) bytes (expected 2)", at: statusOffset) }
                    let accidentals = Int(Int8(bitPattern: data[0]))
                    guard (-7...7).contains(accidentals), data[1] <= 1 else {
                        throw fail("\(label): key signature \(accidentals) accidentals, mode \(data[1]) is not valid", at: statusOffset)
                    }
                    keySignatures.append(KeySignature(tick: tick, accidentals: accidentals, minor: data[1] == 1, chunk: chunk))
                case 0x06:
                    markers.append(Marker(tick: tick, text: text(data)))
                case 0x03 where name == nil:
                    name = text(data)
                case 0x01:
                    let content = text(data)
                    if content.hasPrefix(StandardMIDIFile.keyTextPrefix) { keyTexts.append((tick, chunk, content)) }
                default:
                    break
                }
            case 0xF0, 0xF7:
                runningStatus = nil
                let length = try readVariableLength("a system exclusive event's length")
                guard length <= end - position else {
                    throw fail("\(label): system exclusive length \(length) runs past the end of the track", at: statusOffset)
                }
                position += length
            case 0xF1...0xFE:
                throw fail(
                    "\(label): status byte 0x\(String(status, radix: 16, uppercase: true)) is not allowed in a MIDI file",
                    at: statusOffset)
            default:
                runningStatus = status
                let kind = status & 0xF0
                let channel = status & 0x0F
                let dataCount = kind == 0xC0 || kind == 0xD0 ? 1 : 2
                var data: [UInt8] = []
                for _ in 0..<dataCount {
                    let byteOffset = position
                    let byte = try readByte("a channel message")
                    guard byte < 0x80 else {
                        throw fail(
                            "\(label): data byte 0x\(String(byte, radix: 16, uppercase: true)) has its high bit set",
                            at: byteOffset)
                    }
                    data.append(byte)
                }
                let index: Int
                if let existing = voices.firstIndex(where: { $0.channel == channel }) {
                    index = existing
                } else {
                    voices.append(Voice(channel: channel))
                    index = voices.count - 1
                }
                switch kind {
                case 0x90 where data[1] > 0:
                    voices[index].pending[data[0], default: []].append(PendingNote(tick: tick, velocity: data[1]))
                case 0x80, 0x90:
                    if var queue = voices[index].pending[data[0]], !queue.isEmpty {
                        let on = queue.removeFirst()
                        voices[index].pending[data[0]] = queue
                        let note = Note(tick: on.tick, duration: max(1, tick - on.tick), pitch: data[0], velocity: on.velocity)
                        voices[index].notes.append((order, note))
                        order += 1
                    }  // a note-off without a note-on is ignored
                case 0xB0:
                    voices[index].controls.append(ControlChange(tick: tick, controller: data[0], value: data[1]))
                case 0xC0:
                    voices[index].programs.append(ProgramChange(tick: tick, program: data[0]))
                default:
                    break  // aftertouch, channel pressure, pitch bend
                }
            }
        }
        endTick = max(endTick, tick)

        for var voice in voices {
            for (pitch, queue) in voice.pending.sorted(by: { $0.key < $1.key }) {
                for on in queue {
                    let note = Note(tick: on.tick, duration: max(1, tick - on.tick), pitch: pitch, velocity: on.velocity)
                    voice.notes.append((order, note))
                    order += 1
                }
            }
            let notes = voice.notes.sorted {
                ($0.note.tick, $0.note.pitch, $0.order) < ($1.note.tick, $1.note.pitch, $1.order)
            }.map(\.note)
            var program: UInt8 = 0
            var programChanges = voice.programs
            if let first = programChanges.first, first.tick == 0 {
                program = first.program
                programChanges.removeFirst()
            }
            let base = name ?? label
            tracks.append(Track(
                name: voices.count > 1 ? "\(base) (channel \(voice.channel + 1))" : base,
                channel: voice.channel, program: program, programChanges: programChanges, notes: notes,
                controls: voice.controls))
        }
    }

    /// Meta-event text: UTF-8 when valid (what ``StandardMIDIFile/encode(_:)`` writes), else Latin-1.
    func text(_ data: [UInt8]) -> String {
        String(validating: data, as: UTF8.self) ?? String(String.UnicodeScalarView(data.map { Unicode.Scalar($0) }))
    }

    func stableSorted<T>(_ values: [T], by tick: KeyPath<T, Int>) -> [T] {
        values.enumerated().sorted { ($0.element[keyPath: tick], $0.offset) < ($1.element[keyPath: tick], $1.offset) }
            .map(\.element)
    }
}
