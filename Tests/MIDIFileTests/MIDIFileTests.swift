import EmoMusikCore
import Foundation
import MIDIFile
import Testing

/// A random score in the canonical form `decode` returns: notes sorted by onset then pitch, no two
/// notes of one pitch overlapping in a track, events sorted by tick, all before `endTick`.
func randomScore(seed: UInt64) -> Score {
    var rng = SplitMix64(seed: seed)
    let ticksPerQuarter = [24, 96, 120, 384, 480, 960, 0x7FFF].randomElement(using: &rng)!
    // Sometimes a very long piece, so deltas need 3- and 4-byte variable-length quantities.
    let span = Bool.random(using: &rng) ? ticksPerQuarter * 64 : Int.random(in: 1 << 21...1 << 27, using: &rng)
    func tick() -> Int { Int.random(in: 0..<span, using: &rng) }
    func ticks(_ count: Int) -> [Int] { (0..<count).map { _ in tick() }.sorted() }

    let tempos = [0] + ticks(Int.random(in: 0...6, using: &rng))
    let map = TempoMap(
        ticksPerQuarter: ticksPerQuarter,
        changes: tempos.map { TempoChange(tick: $0, microsecondsPerQuarter: Int.random(in: 1...0xFF_FFFF, using: &rng)) })
    let meters = [Meter(beatsPerBar: 4, beatUnit: 4), Meter(beatsPerBar: 3, beatUnit: 4), Meter(beatsPerBar: 6, beatUnit: 8),
                  Meter(beatsPerBar: 5, beatUnit: 8), Meter(beatsPerBar: 2, beatUnit: 2), Meter(beatsPerBar: 12, beatUnit: 16)]
    var timeSignatureTicks = [0] + ticks(Int.random(in: 0...3, using: &rng))
    timeSignatureTicks = Array(Set(timeSignatureTicks)).sorted()
    let timeSignatures = timeSignatureTicks.map { TimeSignatureChange(tick: $0, meter: meters.randomElement(using: &rng)!) }
    let keyChanges = Array(Set(ticks(Int.random(in: 0...4, using: &rng)))).sorted().map {
        KeyChange(tick: $0, key: Key(tonic: PitchClass(Int.random(in: 0..<12, using: &rng)), mode: Mode.allCases.randomElement(using: &rng)!))
    }
    let texts = ["Intro", "A", "key change to A aeolian", "Brücke ♪", ""]
    let markers = ticks(Int.random(in: 0...3, using: &rng)).map { Marker(tick: $0, text: texts.randomElement(using: &rng)!) }

    var tracks: [Track] = []
    for index in 0..<Int.random(in: 0...5, using: &rng) {
        let channel = UInt8.random(in: 0..<16, using: &rng)
        var notes: [Note] = []
        var busyUntil = [Int](repeating: 0, count: 128)
        for onset in ticks(Int.random(in: 0...200, using: &rng)) {
            let pitch = Int.random(in: 0..<128, using: &rng)
            guard onset >= busyUntil[pitch] else { continue }
            let duration = min(Int.random(in: 1...ticksPerQuarter * 4, using: &rng), span - onset)
            guard duration > 0 else { continue }
            notes.append(Note(tick: onset, duration: duration, pitch: UInt8(pitch), velocity: UInt8.random(in: 1...127, using: &rng)))
            busyUntil[pitch] = onset + duration
        }
        notes.sort { ($0.tick, $0.pitch) < ($1.tick, $1.pitch) }
        let programChanges = ticks(Int.random(in: 0...3, using: &rng)).map {
            ProgramChange(tick: $0, program: UInt8.random(in: 0..<128, using: &rng))
        }
        let controls = ticks(Int.random(in: 0...20, using: &rng)).map {
            ControlChange(tick: $0, controller: UInt8.random(in: 0..<120, using: &rng), value: UInt8.random(in: 0..<128, using: &rng))
        }
        tracks.append(Track(
            name: ["melody", "pad", "bass", "drums", "Stimme \(index) ♫"].randomElement(using: &rng)!, channel: channel,
            program: UInt8.random(in: 0..<128, using: &rng), programChanges: programChanges, notes: notes, controls: controls))
    }
    return Score(
        ticksPerQuarter: ticksPerQuarter, tempoMap: map, timeSignatures: timeSignatures, keyChanges: keyChanges,
        markers: markers, tracks: tracks, endTick: span + Int.random(in: 0...ticksPerQuarter * 8, using: &rng))
}

/// A type 0 file with one track chunk holding `track`.
func singleTrackFile(_ track: [UInt8], ticksPerQuarter: UInt16 = 480) -> [UInt8] {
    var bytes: [UInt8] = Array("MThd".utf8)
    bytes += [0, 0, 0, 6, 0, 0, 0, 1, UInt8(ticksPerQuarter >> 8), UInt8(ticksPerQuarter & 0xFF)]
    bytes += Array("MTrk".utf8)
    bytes += [0, 0, UInt8(track.count >> 8), UInt8(track.count & 0xFF)]
    return bytes + track
}

/// A short, plain C-major score.
func sampleScore() -> Score {
    let melody = [60, 62, 64, 65, 67, 65, 64, 62, 60].enumerated().map {
        Note(tick: $0.offset * 480, duration: 400, pitch: UInt8($0.element), velocity: 90)
    }
    let bass = (0..<4).map { Note(tick: $0 * 960, duration: 960, pitch: 36, velocity: 70) }
    let drums = (0..<8).map { Note(tick: $0 * 480, duration: 120, pitch: $0 % 2 == 0 ? 36 : 38, velocity: 100) }
    return Score(
        tempoMap: TempoMap(changes: [TempoChange(tick: 0, bpm: 96), TempoChange(tick: 1920, bpm: 72)]),
        keyChanges: [KeyChange(tick: 0, key: Key(tonic: PitchClass(0), mode: .ionian))],
        markers: [Marker(tick: 1920, text: "slower")],
        tracks: [
            Track(name: "melody", channel: 0, program: 73, notes: melody, controls: [ControlChange(tick: 0, controller: 7, value: 100)]),
            Track(name: "bass", channel: 1, program: 32, notes: bass),
            Track(name: "drums", channel: 9, program: 0, notes: drums),
        ],
        endTick: 4800)
}

@Suite("Standard MIDI File: writing")
struct MIDIEncodeTests {
    @Test func variableLengthQuantitiesMatchTheSpecification() {
        // The examples table of the SMF 1.0 specification.
        let cases: [(Int, [UInt8])] = [
            (0, [0x00]), (0x40, [0x40]), (0x7F, [0x7F]), (0x80, [0x81, 0x00]), (0x2000, [0xC0, 0x00]),
            (0x3FFF, [0xFF, 0x7F]), (0x4000, [0x81, 0x80, 0x00]), (0x10_0000, [0xC0, 0x80, 0x00]),
            (0x1F_FFFF, [0xFF, 0xFF, 0x7F]), (0x20_0000, [0x81, 0x80, 0x80, 0x00]),
            (0x800_0000, [0xC0, 0x80, 0x80, 0x00]), (0xFFF_FFFF, [0xFF, 0xFF, 0xFF, 0x7F]),
        ]
        for (value, bytes) in cases {
            #expect(StandardMIDIFile.encodeVariableLength(value) == bytes, "value 0x\(String(value, radix: 16))")
        }
    }

    @Test func bytesOfASmallScore() {
        let score = Score(
            ticksPerQuarter: 96, tempoMap: TempoMap(ticksPerQuarter: 96, bpm: 120),
            timeSignatures: [TimeSignatureChange(tick: 0, meter: Meter(beatsPerBar: 6, beatUnit: 8))],
            keyChanges: [KeyChange(tick: 0, key: Key(tonic: PitchClass(9), mode: .aeolian))],
            tracks: [Track(name: "p", channel: 2, program: 5, notes: [
                Note(tick: 0, duration: 96, pitch: 69, velocity: 80),
                Note(tick: 96, duration: 200, pitch: 69, velocity: 81),  // repeated note: off before on at 96
            ])],
            endTick: 400)
        let keyText = Array("EmoMusik key: A aeolian".utf8)
        var conductor: [UInt8] = [0x00, 0xFF, 0x03, 0x08] + Array("EmoMusik".utf8)
        conductor += [0x00, 0xFF, 0x58, 0x04, 6, 3, 36, 8]  // 6/8, dotted-quarter clicks
        conductor += [0x00, 0xFF, 0x59, 0x02, 0x00, 0x01]  // no accidentals, minor
        conductor += [0x00, 0xFF, 0x01, UInt8(keyText.count)] + keyText
        conductor += [0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20]  // 500 000 µs
        conductor += [0x83, 0x10, 0xFF, 0x2F, 0x00]  // delta 400
        var voice: [UInt8] = [0x00, 0xFF, 0x03, 0x01, UInt8(ascii: "p"), 0x00, 0xC2, 0x05]
        voice += [0x00, 0x92, 69, 80]
        voice += [0x60, 0x82, 69, 0x40, 0x00, 0x92, 69, 81]
        voice += [0x81, 0x48, 0x82, 69, 0x40]  // delta 200
        voice += [0x68, 0xFF, 0x2F, 0x00]  // delta 104 to tick 400
        var expected: [UInt8] = Array("MThd".utf8) + [0, 0, 0, 6, 0, 1, 0, 2, 0, 96]
        for body in [conductor, voice] {
            expected += Array("MTrk".utf8) + [0, 0, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
        }
        #expect(StandardMIDIFile.encode(score) == expected)
    }

    @Test func writeToAMissingDirectoryNamesThePath() {
        let path = "/nonexistent-dir-\(UInt32.random(in: 0...UInt32.max))/x.mid"
        let error = #expect(throws: EmoMusikError.self) { try StandardMIDIFile.write(sampleScore(), to: path) }
        #expect(error?.code == .writeFailed)
        #expect(error?.description.contains(path) == true)
    }

    @Test func writeThenReadAFile() throws {
        let path = NSTemporaryDirectory() + "emomusik-midi-\(UInt32.random(in: 0...UInt32.max)).mid"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try StandardMIDIFile.write(sampleScore(), to: path)
        #expect(try StandardMIDIFile.read(path: path) == sampleScore())
        let error = #expect(throws: EmoMusikError.self) { try StandardMIDIFile.read(path: path + ".missing") }
        #expect(error?.code == .fileNotFound && error?.description.contains(path + ".missing") == true)
    }
}

@Suite("Standard MIDI File: round trip")
struct MIDIRoundTripTests {
    @Test(arguments: 0..<60)
    func randomScoresSurviveEncodeDecode(seed: Int) throws {
        let score = randomScore(seed: UInt64(seed))
        let decoded = try StandardMIDIFile.decode(StandardMIDIFile.encode(score))
        #expect(decoded.ticksPerQuarter == score.ticksPerQuarter)
        #expect(decoded.tempoMap == score.tempoMap)
        #expect(decoded.timeSignatures == score.timeSignatures)
        #expect(decoded.keyChanges == score.keyChanges)
        #expect(decoded.markers == score.markers)
        #expect(decoded.endTick == score.endTick)
        #expect(decoded.tracks.count == score.tracks.count)
        for (got, want) in zip(decoded.tracks, score.tracks) {
            #expect(got.name == want.name && got.channel == want.channel && got.program == want.program)
            #expect(got.programChanges == want.programChanges)
            #expect(got.controls == want.controls)
            #expect(got.notes == want.notes)
        }
        #expect(decoded == score)
    }

    @Test func keySignaturesFromOtherWritersGiveIonianOrAeolian() throws {
        // Every legal signature, without EmoMusik's key text: tonic from accidentals + minor flag.
        for accidentals in -7...7 {
            for minor in [false, true] {
                let track: [UInt8] = [0x00, 0xFF, 0x59, 0x02, UInt8(bitPattern: Int8(accidentals)), minor ? 1 : 0, 0x00, 0xFF, 0x2F, 0x00]
                let key = try #require(StandardMIDIFile.decode(singleTrackFile(track)).keyChanges.first?.key)
                let major = PitchClass(accidentals * 7)
                #expect(key.mode == (minor ? .aeolian : .ionian))
                #expect(key.tonic == (minor ? PitchClass(major.rawValue + 9) : major))
                if (-5...6).contains(accidentals) { #expect(key.signatureAccidentals == accidentals) }
            }
        }
    }

    @Test func modalKeysKeepTonicAndFamilyThroughTheSignature() throws {
        for mode in Mode.allCases {
            for tonic in 0..<12 {
                let key = Key(tonic: PitchClass(tonic), mode: mode)
                let score = Score(tempoMap: TempoMap(bpm: 100), keyChanges: [KeyChange(tick: 0, key: key)])
                let decoded = try StandardMIDIFile.decode(StandardMIDIFile.encode(score))
                #expect(decoded.keyChanges.first?.key == key)
            }
        }
    }

    @Test func overlappingRepeatedPitchesPairFirstInFirstOut() throws {
        // Same pitch struck at 0 and 240, released at 480 and 720; a third note starts as one ends.
        let notes = [
            Note(tick: 0, duration: 480, pitch: 60, velocity: 10), Note(tick: 240, duration: 480, pitch: 60, velocity: 20),
            Note(tick: 720, duration: 100, pitch: 60, velocity: 30),
        ]
        let score = Score(tempoMap: TempoMap(bpm: 120), tracks: [Track(name: "x", channel: 3, program: 1, notes: notes)])
        #expect(try StandardMIDIFile.decode(StandardMIDIFile.encode(score)).tracks[0].notes == notes)
    }
}

@Suite("Standard MIDI File: reading other files")
struct MIDIDecodeTests {
    /// A type 0 file with running status, note-on velocity 0 as note-off, two channels, a
    /// pitch bend and sysex to skip, and a note left sounding at the end of the track.
    @Test func typeZeroWithRunningStatusSplitsByChannel() throws {
        let track: [UInt8] = [
            0x00, 0xFF, 0x03, 0x04] + Array("song".utf8) + [
            0x00, 0xF0, 0x03, 0x7E, 0x7F, 0xF7,  // sysex
            0x00, 0xC0, 0x18,  // channel 1: program 24
            0x00, 0x90, 60, 100,  // on
            0x00, 64, 90,  // running status: another on
            0x83, 0x60, 60, 0,  // 480 later, velocity 0 = off
            0x00, 64, 0,
            0x00, 0xE0, 0x00, 0x40,  // pitch bend (skipped)
            0x00, 0x99, 36, 120,  // channel 10 drum
            0x60, 0x89, 36, 0x40,  // off after 96
            0x00, 0x99, 42, 80,  // left sounding
            0x81, 0x00, 0xFF, 0x2F, 0x00,  // end at 480 + 96 + 128 = 704
        ]
        let score = try StandardMIDIFile.decode(singleTrackFile(track))
        #expect(score.ticksPerQuarter == 480 && score.endTick == 704)
        #expect(score.tempoMap.changes == [TempoChange(tick: 0, microsecondsPerQuarter: 500_000)])
        #expect(score.timeSignatures == [TimeSignatureChange(tick: 0, meter: .commonTime)])
        #expect(score.tracks.count == 2)
        let piano = score.tracks[0], drums = score.tracks[1]
        #expect(piano.name == "song (channel 1)" && piano.channel == 0 && piano.program == 24)
        #expect(piano.notes == [Note(tick: 0, duration: 480, pitch: 60, velocity: 100), Note(tick: 0, duration: 480, pitch: 64, velocity: 90)])
        #expect(drums.name == "song (channel 10)" && drums.isPercussion && drums.program == 0)
        #expect(drums.notes == [Note(tick: 480, duration: 96, pitch: 36, velocity: 120), Note(tick: 576, duration: 128, pitch: 42, velocity: 80)])
    }

    @Test func namesAreUTF8OrElseLatin1() throws {
        // "Br\u{FC}cke" in Latin-1 (one byte 0xFC, invalid UTF-8) and "♪" in UTF-8.
        let track: [UInt8] = [0x00, 0xFF, 0x03, 0x06, 0x42, 0x72, 0xFC, 0x63, 0x6B, 0x65,
                              0x00, 0xFF, 0x06, 0x03, 0xE2, 0x99, 0xAA, 0x00, 0xC0, 0x00, 0x00, 0xFF, 0x2F, 0x00]
        let score = try StandardMIDIFile.decode(singleTrackFile(track))
        #expect(score.tracks.first?.name == "Br\u{FC}cke")
        #expect(score.markers == [Marker(tick: 0, text: "♪")])
    }

    @Test func laterTempoAtOneTickWins() throws {
        let track: [UInt8] = [0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20, 0x00, 0xFF, 0x51, 0x03, 0x06, 0x1A, 0x80,
                              0x60, 0xFF, 0x51, 0x03, 0x0F, 0x42, 0x40, 0x00, 0xFF, 0x2F, 0x00]
        let score = try StandardMIDIFile.decode(singleTrackFile(track, ticksPerQuarter: 96))
        #expect(score.tempoMap.changes == [TempoChange(tick: 0, microsecondsPerQuarter: 400_000),
                                           TempoChange(tick: 96, microsecondsPerQuarter: 1_000_000)])
        #expect(score.tempoMap.ticksPerQuarter == 96)
    }

    @Test func conductorOnlyTracksAreDropped() throws {
        var score = sampleScore()
        score.tracks.append(Track(name: "silent", channel: 4, program: 0))
        let decoded = try StandardMIDIFile.decode(StandardMIDIFile.encode(score))
        // The conductor track gives no Track; a voice without notes still has its program change.
        #expect(decoded.tracks.map(\.name) == ["melody", "bass", "drums", "silent"])
    }
}

@Suite("Standard MIDI File: malformed input")
struct MIDIMalformedTests {
    func expectMalformed(_ bytes: [UInt8], mentioning words: [String] = [], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        do {
            _ = try StandardMIDIFile.decode(bytes, file: "broken.mid")
            Issue.record("decoding did not fail", sourceLocation: sourceLocation)
        } catch let error as EmoMusikError {
            #expect(error.code == .malformedFile, sourceLocation: sourceLocation)
            #expect(error.description.hasPrefix("broken.mid (byte "), "\(error)", sourceLocation: sourceLocation)
            for word in words { #expect(error.description.contains(word), "\(error)", sourceLocation: sourceLocation) }
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func wrongMagic() {
        expectMalformed(Array("RIFF\u{0}\u{0}\u{0}\u{0}WAVEfmt ".utf8), mentioning: ["not a Standard MIDI File", "52 49 46 46"])
        expectMalformed([], mentioning: ["not a Standard MIDI File"])
    }

    @Test func everyTruncationFails() {
        let bytes = StandardMIDIFile.encode(sampleScore())
        for length in 0..<bytes.count { expectMalformed(Array(bytes.prefix(length))) }
    }

    @Test func badChunkLengths() {
        let bytes = StandardMIDIFile.encode(sampleScore())
        // First MTrk starts at 14; its length field at 18.
        var huge = bytes
        huge[18...21] = [0x7F, 0xFF, 0xFF, 0xFF]
        expectMalformed(huge, mentioning: ["byte 18)", "chunk length 2147483647 runs past the end"])
        var short = bytes
        short[18...21] = [0, 0, 0, 5]  // cuts the conductor's name event
        expectMalformed(short, mentioning: ["byte 23)", "track 1: meta event length 8 runs past the end of the track"])
        var header = bytes
        header[4] = 0x7F
        expectMalformed(header, mentioning: ["byte 4)", "header chunk length"])
        header = bytes
        header[7] = 200  // skips into the middle of a track: what follows is not a valid chunk
        expectMalformed(header)
    }

    @Test func unsupportedAndInvalidContents() {
        var bytes = StandardMIDIFile.encode(sampleScore())
        bytes[9] = 2
        expectMalformed(bytes, mentioning: ["type 2"])
        bytes = StandardMIDIFile.encode(sampleScore())
        bytes[12] = 0xE7
        expectMalformed(bytes, mentioning: ["SMPTE"])
        let zeroTempo: [UInt8] = [0x00, 0xFF, 0x51, 0x03, 0, 0, 0, 0x00, 0xFF, 0x2F, 0x00]
        expectMalformed(singleTrackFile(zeroTempo), mentioning: ["tempo of 0"])
        let orphanData: [UInt8] = [0x00, 0x40, 0x40, 0x00, 0xFF, 0x2F, 0x00]
        expectMalformed(singleTrackFile(orphanData), mentioning: ["byte 23)", "status byte was expected"])
    }

    /// Random byte changes must give a score or an EmoMusikError: no crash, no hang.
    @Test func corruptedFilesNeverCrash() {
        let original = StandardMIDIFile.encode(sampleScore())
        var rng = SplitMix64(seed: 7)
        var failures = 0
        for _ in 0..<3000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            do { _ = try StandardMIDIFile.decode(bytes, file: "fuzz.mid") } catch let error as EmoMusikError {
                #expect(error.code == .malformedFile)
                failures += 1
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
        #expect(failures > 0)
    }
}
