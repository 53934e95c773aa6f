import Composer
import EmoMusikCore
import MusicAnalysis
import Testing

/// The independent analyser (`MusicAnalysis`) hears what the composer intended.
@Suite struct AnalyzerAgreementTests {
    @Test(arguments: AffectGrid.all.map(\.1))
    func analyzerHearsIntendedKeyAndTempo(_ affect: Affect) {
        let intent = AffectMapping().intent(for: affect)
        let analysis = MusicAnalyzer.analyze(compose16(affect).score)
        #expect(analysis.key?.tonic == intent.key.tonic, "\(affect) \(intent.key): heard \(analysis.key?.name ?? "nothing")")
        #expect(analysis.key?.family == intent.key.mode.family, "\(affect) \(intent.key): heard \(analysis.key?.name ?? "nothing")")
        #expect(abs(analysis.tempo - intent.tempo) <= 2)
    }

    @Test func analyzerHearsArousalInDensityAndLoudness() {
        for v in AffectGrid.steps {
            let analyses = AffectGrid.steps.map { MusicAnalyzer.analyze(compose16(Affect(valence: v, arousal: $0)).score) }
            for (low, high) in zip(analyses, analyses.dropFirst()) {
                #expect(high.tempo > low.tempo)
                #expect(high.notesPerSecond > low.notesPerSecond)
                #expect(high.meanVelocity > low.meanVelocity)
            }
        }
    }
}
