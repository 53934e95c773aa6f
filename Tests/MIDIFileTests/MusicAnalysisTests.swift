import EmoMusikCore
import MusicAnalysis
import Testing

/// Builds notes from (beat, beats long, pitches) triples at 480 ticks per quarter.
private func notes(_ events: [(beat: Double, length: Double, pitches: [Int])], velocity: UInt8 = 80) -> [Note] {
    events.flatMap { event in
        event.pitches.map {
            Note(tick: Int(event.beat * 480), duration: Int(event.length * 480), pitch: UInt8($0), velocity: velocity)
        }
    }
}

private func score(_ notes: [Note], bpm: Double = 120, channel: UInt8 = 0) -> Score {
    Score(tempoMap: TempoMap(bpm: bpm), tracks: [Track(name: "piano", channel: channel, program: 0, notes: notes)])
}

private func transposed(_ notes: [Note], by semitones: Int) -> [Note] {
    notes.map { Note(tick: $0.tick, duration: $0.duration, pitch: UInt8(Int($0.pitch) + semitones), velocity: $0.velocity) }
}

/// C major scale up and down, then I–IV–V–I in close position.
private let cMajorMaterial: [Note] = {
    let scale = [60, 62, 64, 65, 67, 69, 71, 72, 71, 69, 67, 65, 64, 62, 60]
    var events = scale.enumerated().map { (beat: Double($0.offset), length: 1.0, pitches: [$0.element]) }
    let cadence = [[48, 60, 64, 67], [53, 60, 65, 69], [55, 59, 62, 67], [48, 60, 64, 67]]
    for (i, chord) in cadence.enumerated() { events.append((beat: Double(16 + 2 * i), length: 2, pitches: chord)) }
    return notes(events)
}()

/// A harmonic minor scale (with G#) up and down, then i–iv–V–i.
private let aMinorMaterial: [Note] = {
    let scale = [57, 59, 60, 62, 64, 65, 68, 69, 68, 65, 64, 62, 60, 59, 57]
    var events = scale.enumerated().map { (beat: Double($0.offset), length: 1.0, pitches: [$0.element]) }
    let cadence = [[45, 57, 60, 64], [50, 57, 62, 65], [52, 56, 59, 64], [45, 57, 60, 64]]
    for (i, chord) in cadence.enumerated() { events.append((beat: Double(16 + 2 * i), length: 2, pitches: chord)) }
    return notes(events)
}()

@Suite("Key estimation")
struct KeyEstimationTests {
    @Test func cMajorScaleAndCadenceIsCMajor() throws {
        let key = try #require(MusicAnalyzer.analyze(score(cMajorMaterial)).key)
        #expect(key.name == "C major")
        #expect(key.tonic == PitchClass(0) && key.family == .major)
        #expect(key.correlation > 0.8)
    }

    @Test func aHarmonicMinorIsAMinor() throws {
        let key = try #require(MusicAnalyzer.analyze(score(aMinorMaterial)).key)
        #expect(key.name == "A minor")
        #expect(key.tonic == PitchClass(9) && key.family == .minor)
    }

    @Test(arguments: 0..<12)
    func transpositionMovesOnlyTheTonic(semitones: Int) throws {
        let major = try #require(MusicAnalyzer.analyze(score(transposed(cMajorMaterial, by: semitones))).key)
        let reference = try #require(MusicAnalyzer.analyze(score(cMajorMaterial)).key)
        #expect(major.tonic == PitchClass(semitones) && major.family == .major)
        #expect(abs(major.correlation - reference.correlation) < 1e-12)

        let minor = try #require(MusicAnalyzer.analyze(score(transposed(aMinorMaterial, by: semitones))).key)
        #expect(minor.tonic == PitchClass(9 + semitones) && minor.family == .minor)
        #expect(minor.name == "\(PitchClass(9 + semitones)) minor")
    }

    @Test func weightsAreDurationsInSeconds() throws {
        // A long A and short C/E: the long note dominates only if durations are weighed.
        let weights = [1.0, 0, 0, 0, 1, 0, 0, 0, 0, 6, 0, 0]
        let key = try #require(MusicAnalyzer.estimateKey(pitchClassWeights: weights))
        #expect(key.name == "A minor")
    }

    @Test func noPitchedNotesGivesNoKey() {
        #expect(MusicAnalyzer.estimateKey(pitchClassWeights: Array(repeating: 0, count: 12)) == nil)
        #expect(MusicAnalyzer.estimateKey(pitchClassWeights: Array(repeating: 2, count: 12)) == nil)
        let drums = notes([(0, 1, [36]), (1, 1, [38])])
        #expect(MusicAnalyzer.analyze(score(drums, channel: Track.percussionChannel)).key == nil)
        #expect(MusicAnalyzer.analyze(Score(tempoMap: TempoMap(bpm: 90))).key == nil)
    }

    @Test func percussionDoesNotSwayTheKey() throws {
        let drums = Track(name: "drums", channel: 9, program: 0, notes: notes((0..<24).map { (Double($0), 1, [37, 42]) }))
        var piece = score(aMinorMaterial)
        piece.tracks.append(drums)
        let analysis = MusicAnalyzer.analyze(piece)
        #expect(analysis.key?.name == "A minor")
        #expect(analysis.pitchedNoteCount == aMinorMaterial.count)
        #expect(analysis.percussionNoteCount == 48)
        #expect(analysis.noteCount == aMinorMaterial.count + 48)
    }

    @Test func keySignatureEventsAreNamedByFamily() {
        var piece = score(cMajorMaterial)
        piece.keyChanges = [
            KeyChange(tick: 0, key: Key(tonic: PitchClass(0), mode: .ionian)),
            KeyChange(tick: 4 * 480, key: Key(tonic: PitchClass(2), mode: .dorian)),
            KeyChange(tick: 16 * 480, key: Key(tonic: PitchClass(7), mode: .lydian)),
        ]
        #expect(MusicAnalyzer.analyze(piece).keyChanges == ["C major", "D minor", "G major"])
        // 120 BPM: beat 4 = 2 s, beat 16 = 8 s. A window from 3 s to 5 s sees only D.
        #expect(MusicAnalyzer.analyze(piece, window: 3...5).keyChanges == ["D minor"])
        #expect(MusicAnalyzer.analyze(piece, window: 1...9).keyChanges == ["C major", "D minor", "G major"])
    }
}

@Suite("Tempo, density, articulation, register")
struct ScoreAnalysisTests {
    @Test func tempoIsTimeWeightedMean() {
        // 4 beats at 120 BPM (2 s), then 4 beats at 60 BPM (4 s): (120·2 + 60·4) / 6 = 80.
        let map = TempoMap(changes: [TempoChange(tick: 0, bpm: 120), TempoChange(tick: 1920, bpm: 60)])
        let piece = Score(tempoMap: map, tracks: [Track(name: "p", channel: 0, program: 0,
            notes: notes((0..<8).map { (Double($0), 1, [60]) }))])
        let analysis = MusicAnalyzer.analyze(piece)
        #expect(abs(analysis.durationSeconds - 6) < 1e-9)
        #expect(abs(analysis.tempo - 80) < 1e-9)
        #expect(analysis.tempoMin == 60 && analysis.tempoMax == 120)
        // 8 notes in 8 beats.
        #expect(abs(analysis.notesPerBeat - 1) < 1e-9)
        #expect(abs(analysis.notesPerSecond - 8.0 / 6) < 1e-9)

        let first = MusicAnalyzer.analyze(piece, window: 0...2)
        #expect(abs(first.tempo - 120) < 1e-9 && first.tempoMin == 120 && first.tempoMax == 120)
        // 1 s at 120 then 2 s at 60: (120 + 120) / 3 = 80 too; 1...4 s.
        let middle = MusicAnalyzer.analyze(piece, window: 1...4)
        #expect(abs(middle.tempo - 80) < 1e-9 && middle.tempoMin == 60 && middle.tempoMax == 120)
        let late = MusicAnalyzer.analyze(piece, window: 3...6)
        #expect(abs(late.tempo - 60) < 1e-9 && late.tempoMin == 60 && late.tempoMax == 60)
    }

    @Test func staccatoShareOfShortAndLegatoNotes() {
        let short = notes((0..<8).map { (Double($0), 0.25, [60 + $0]) })
        let legato = notes((0..<8).map { (Double($0), 1, [60 + $0]) })
        #expect(MusicAnalyzer.analyze(score(short)).staccatoShare == 1)
        #expect(MusicAnalyzer.analyze(score(legato)).staccatoShare == 0)
        // Long inter-onset intervals but notes of a beat or longer are not staccato.
        let sparseLong = notes((0..<4).map { (Double($0 * 4), 1, [60]) })
        #expect(MusicAnalyzer.analyze(score(sparseLong)).staccatoShare == 0)
        // Half short, half legato; chords share an onset and look at the next later one.
        let mixed = notes([(0, 0.25, [60, 64]), (1, 1, [62, 65])])
        let analysis = MusicAnalyzer.analyze(score(mixed))
        #expect(analysis.staccatoShare == 0.5)
        #expect(analysis.tracks[0].staccatoShare == 0.5)
    }

    @Test func windowRestrictsToNotesStartingInside() {
        // One note per second (120 BPM, every 2 beats) for 10 s, pitches rising.
        let rising = notes((0..<10).map { (Double($0 * 2), 1, [60 + $0]) }, velocity: 90)
        let piece = score(rising)
        let whole = MusicAnalyzer.analyze(piece)
        #expect(whole.noteCount == 10)
        let window = MusicAnalyzer.analyze(piece, window: 2.5...5.5)
        #expect(window.noteCount == 3)  // onsets at 3, 4, 5 s
        #expect(window.tracks[0].noteCount == 3)
        #expect(window.tracks[0].lowestPitch == 63 && window.tracks[0].highestPitch == 65)
        #expect(window.meanPitch == 64)
        #expect(abs(window.durationSeconds - 3) < 1e-9)
        #expect(abs(window.notesPerSecond - 1) < 1e-9)
        // The window is clipped to the score.
        let tail = MusicAnalyzer.analyze(piece, window: 9...100)
        #expect(tail.noteCount == 1 && abs(tail.durationSeconds - 0.5) < 1e-9)
        #expect(MusicAnalyzer.analyze(piece, window: 50...60).noteCount == 0)
    }

    @Test func registerAndDynamics() {
        // Pitches 60...80, one note each: percentiles 62 and 78.
        let run = notes((0...20).map { (Double($0), 1, [60 + $0]) }, velocity: 100)
        let analysis = MusicAnalyzer.analyze(score(run))
        #expect(abs(analysis.pitchRange.lowerBound - 62) < 1e-9)
        #expect(abs(analysis.pitchRange.upperBound - 78) < 1e-9)
        #expect(abs(analysis.pitchSpan - 16) < 1e-9)
        #expect(analysis.meanPitch == 70 && analysis.meanVelocity == 100)
        let empty = MusicAnalyzer.analyze(Score(tempoMap: TempoMap(bpm: 100), endTick: 960))
        #expect(empty.pitchRange == 0...0 && empty.noteCount == 0 && empty.staccatoShare == 0)
        #expect(abs(empty.tempo - 100) < 1e-9)
    }
}
