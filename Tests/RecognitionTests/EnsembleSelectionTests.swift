import EmoMusikCore
import EmotionNet
import FaceLandmarks
import Foundation
import Statistics
@testable import Recognition
import Testing

@Suite("Arm (b)'s ensemble members chosen on the labelled validation split")
struct EnsembleSelectionTests {
    typealias Score = EnsembleSelection.Score

    @Test("a member's validation figures: macro-F1 of its argmax and the mean log-probability of the true class")
    func validationScore() {
        let probabilities: [[Double]] = [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]]
        let score = Score(probabilities: probabilities, truth: [0, 1, 1, 1], classNames: ["a", "b"])
        // Predicted 0, 1, 0, 1. Class a: precision 1/2, recall 1, F1 2/3; class b: precision 1,
        // recall 2/3, F1 4/5.
        #expect(abs(score.macroF1 - (2.0 / 3.0 + 0.8) / 2) < 1e-12)
        #expect(abs(score.logLikelihood - (log(0.9) + log(0.8) + log(0.4) + log(0.7)) / 4) < 1e-12)
        // A zero probability for the true class counts as 1e-12, not as minus infinity.
        let certain = Score(probabilities: [[1, 0]], truth: [1], classNames: ["a", "b"])
        #expect(abs(certain.logLikelihood - log(1e-12)) < 1e-9)
    }

    @Test("the weakest member on validation is dropped, and the kept ones share the weight equally")
    func weakestDropped() {
        let scores = [
            Score(macroF1: 0.80, logLikelihood: -0.5), Score(macroF1: 0.60, logLikelihood: -0.1),
            Score(macroF1: 0.85, logLikelihood: -0.9),
        ]
        let selection = EnsembleSelection(keep: 2)
        #expect(EnsembleSelection.ranking(scores) == [2, 0, 1])
        #expect(selection.kept(scores) == [0, 2])
        #expect(selection.weights(scores) == [0.5, 0, 0.5])
        #expect(EnsembleSelection(keep: 1).kept(scores) == [2])
    }

    @Test("weights sum to 1 for every number kept; keeping all is the uniform ensemble")
    func weightsSumToOne() {
        let scores = [0.7, 0.9, 0.8, 0.6, 0.75, 0.85].map { Score(macroF1: $0, logLikelihood: -$0) }
        for keep in 1...scores.count {
            let weights = EnsembleSelection(keep: keep).weights(scores)
            #expect(abs(weights.reduce(0, +) - 1) < 1e-12)
            #expect(weights.filter { $0 > 0 }.count == keep)
        }
        #expect(EnsembleSelection(keep: 6).weights(scores).allSatisfy { abs($0 - 1.0 / 6) < 1e-15 })
        #expect(EnsembleSelection(keep: 3).kept(scores) == [1, 2, 5])
    }

    @Test("ties on macro-F1 go to the higher log-likelihood, then to the earlier member in the pool")
    func ties() {
        let scores = [
            Score(macroF1: 0.8, logLikelihood: -0.6), Score(macroF1: 0.8, logLikelihood: -0.4),
            Score(macroF1: 0.8, logLikelihood: -0.6), Score(macroF1: 0.7, logLikelihood: -0.1),
        ]
        #expect(EnsembleSelection.ranking(scores) == [1, 0, 2, 3])
        #expect(EnsembleSelection(keep: 2).kept(scores) == [0, 1])
        let same = Array(repeating: Score(macroF1: 0.5, logLikelihood: -1), count: 4)
        #expect(EnsembleSelection.ranking(same) == [0, 1, 2, 3])
        #expect(EnsembleSelection(keep: 2).kept(same) == [0, 1])
    }

    @Test("a NaN figure ranks below every number")
    func notANumber() {
        let scores = [Score(macroF1: .nan, logLikelihood: 0), Score(macroF1: 0.1, logLikelihood: -5), Score(macroF1: 0.1, logLikelihood: .nan)]
        #expect(EnsembleSelection.ranking(scores) == [1, 2, 0])
    }

    @Test("an ensemble report from stored outputs equals the one that runs the networks")
    func reportFromOutputs() {
        let (first, second) = EnsembleTests.twoNetworks()
        let sequences = SyntheticExpressions(domain: .child, frames: 40).generate(count: 14, seed: 9).sequences
        let evaluation = RecognitionEvaluation(seed: 3, resamples: 20)
        let direct = evaluation.report(ensemble: [first, second], on: sequences)
        let stored = evaluation.report(sequences, ensembleOf: [first, second].map { evaluation.outputs($0, on: sequences) })
        #expect(stored.confusion.counts == direct.confusion.counts)
        #expect(stored.macroF1 == direct.macroF1)
        #expect(stored.macroAUC == direct.macroAUC)
        #expect(stored.stability == direct.stability)
    }

    @Test("the experiment keeps the members best on validation and reports every member", .timeLimit(.minutes(5)))
    func experimentSelects() throws {
        var c = RecognitionSamplesTests.tinyExperiment()
        c.pretrainEpochs = 1
        c.fineTuneEpochs = 2
        c.runTargetOnly = false
        c.resamples = 20
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("select-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for seed: UInt64 in [7, 8] {
            var other = c
            other.seed = seed
            // The same start for both added members (the key records the network's own seed);
            // their fine-tunings differ by data order.
            let model = EmotionNetModel(config: c.network, adjacency: FaceGraph.standard.normalisedAdjacency)
            let path = directory.appendingPathComponent("pre-\(seed).safetensors").path
            try model.save(to: URL(fileURLWithPath: path), extraMetadata: ["pretraining_key": TransferExperiment.pretrainingKey(other)])
            c.ensembleCaches.append(path)
        }
        c.ensembleSelect = 2
        // Interpolated all the way to the fine-tuned members: the same ensemble, chosen alike.
        c.interpolationFractions = [1]
        var lines: [String] = []
        let arms = TransferExperiment(configuration: c).run { lines.append($0) }
        #expect(arms.map(\.name) == [
            "(b) ensemble of 2 of 3 pre-trained + fine-tuned",
            "(b) ensemble of 2 of 3, weights 1.00 of the way from pre-trained to fine-tuned",
            "(c) logistic regression, apex landmarks",
        ])
        #expect(arms[1].ensemble == arms[0].ensemble)
        #expect(arms[1].report.macroF1 == arms[0].report.macroF1 && arms[1].versusPlainB?.disagreements == 0)
        #expect((1...3).allSatisfy { member in
            lines.contains { $0.hasPrefix("(b) interpolated 1.00: ensemble member \(member) (source seed ") && $0.contains(" interpolated 1.00, alone on") }
        })
        let summary = try #require(arms[0].ensemble)
        #expect(summary.members.map(\.sourceSeed) == [c.seed, 7, 8])
        #expect(summary.members[0].source == "this run's pre-training")
        #expect(summary.members[1].source == c.ensembleCaches[0])
        let weights = summary.members.map(\.weight)
        #expect(abs(weights.reduce(0, +) - 1) < 1e-12)
        #expect(weights.filter { $0 > 0 }.count == 2)
        let expected = EnsembleSelection(keep: 2).weights(summary.members.map(\.validation))
        #expect(weights == expected)
        #expect(summary.rule.contains("the 2 of 3 networks best on the"))
        #expect(lines.contains { $0.hasPrefix("(b) for the record (test labels, not used to choose)") })
        #expect(arms[2].ensemble == nil)
    }
}
