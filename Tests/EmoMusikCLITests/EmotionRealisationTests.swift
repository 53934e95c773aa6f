import Composer
import EmoMusikCore
import MIDIFile
import MusicAnalysis
import Testing

/// The composer's music, written to a Standard MIDI File and read back, must carry the cues its
/// intent asks for, as an independent analysis (Krumhansl–Schmuckler key finding, the tempo map,
/// note counts) hears them.
@Suite("Emotion realisation through MIDI and the analyzer")
struct EmotionRealisationTests {
    static let grid: [Double] = [-1, -0.5, 0, 0.5, 1]
    static let gridPoints: [Affect] = grid.flatMap { v in grid.map { a in Affect(valence: v, arousal: a) } }

    /// Composes 16 bars, round-trips them through a MIDI file and analyses the result.
    static func realise(_ affect: Affect, seed: UInt64 = 1) throws -> (intent: MusicalIntent, analysis: ScoreAnalysis) {
        let configuration = ComposerConfiguration(seed: seed)
        let composition = Composer(configuration: configuration).compose(affect: affect, bars: 16)
        let decoded = try StandardMIDIFile.decode(StandardMIDIFile.encode(composition.score))
        return (configuration.mapping.intent(for: affect), MusicAnalyzer.analyze(decoded))
    }

    static func checkKeyAndTempo(_ affect: Affect, label: String) throws {
        let (intent, analysis) = try realise(affect)
        let key = try #require(analysis.key, "\(label): no key found")
        #expect(key.family == intent.key.mode.family, "\(label): intended \(intent.key), heard \(key.name)")
        #expect(key.tonic == intent.key.tonic, "\(label): intended \(intent.key), heard \(key.name)")
        #expect(abs(analysis.tempo - intent.tempo) <= 2, "\(label): intended \(intent.tempo) BPM, heard \(analysis.tempo)")
    }

    @Test("each emotion's intended tonic, mode and tempo are what the analyzer finds", arguments: Emotion.allCases)
    func emotions(_ emotion: Emotion) throws {
        try Self.checkKeyAndTempo(emotion.affect, label: emotion.rawValue)
    }

    @Test("each point of a 5×5 valence/arousal grid gets its intended tonic, mode and tempo", arguments: gridPoints)
    func gridPoint(_ affect: Affect) throws {
        try Self.checkKeyAndTempo(affect, label: affect.description)
    }

    @Test("tempo and note density rise with arousal; register rises with valence")
    func cueDirections() throws {
        var tempo: [[Double]] = [], density: [[Double]] = [], pitch: [[Double]] = []
        for v in Self.grid {
            var tempoRow: [Double] = [], densityRow: [Double] = [], pitchRow: [Double] = []
            for a in Self.grid {
                let analysis = try Self.realise(Affect(valence: v, arousal: a)).analysis
                tempoRow.append(analysis.tempo)
                densityRow.append(analysis.notesPerSecond)
                pitchRow.append(analysis.meanPitch)
            }
            tempo.append(tempoRow)
            density.append(densityRow)
            pitch.append(pitchRow)
        }
        // tempo[v][a]: at every valence, strictly faster with each step of arousal.
        for (i, row) in tempo.enumerated() {
            #expect(zip(row, row.dropFirst()).allSatisfy { $0 < $1 }, "tempo at valence \(Self.grid[i]): \(row)")
        }
        // Density: averaged over valence, rising at every arousal step; and at each valence the most
        // aroused music is denser than the calmest.
        let meanDensity = Self.grid.indices.map { a in density.map { $0[a] }.reduce(0, +) / 5 }
        #expect(zip(meanDensity, meanDensity.dropFirst()).allSatisfy { $0 < $1 }, "mean notes per second by arousal: \(meanDensity)")
        for (i, row) in density.enumerated() {
            #expect(row.last! > row.first!, "density at valence \(Self.grid[i]): \(row)")
        }
        // Register: averaged over arousal, rising at every valence step; at each arousal the most
        // pleasant music sits higher than the least.
        let meanPitch = Self.grid.indices.map { v in pitch[v].reduce(0, +) / 5 }
        #expect(zip(meanPitch, meanPitch.dropFirst()).allSatisfy { $0 < $1 }, "mean pitch by valence: \(meanPitch)")
        for a in Self.grid.indices {
            #expect(pitch[4][a] > pitch[0][a], "pitch at arousal \(Self.grid[a]): \(pitch.map { $0[a] })")
        }
    }
}
