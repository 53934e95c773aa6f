import EmoMusikCore
import EmotionNet
import FaceLandmarks
import Foundation
import Statistics
@testable import Recognition
import Testing

@Suite("Arm (b) as a prediction ensemble of pre-trained networks")
struct EnsembleTests {
    /// Two untrained networks of the shipped architecture that differ only in their seed (1, 2).
    static func twoNetworks() -> (EmotionNetModel, EmotionNetModel) {
        var network = RecognitionTraining.defaultNetwork
        let adjacency = FaceGraph.standard.normalisedAdjacency
        network.seed = 1
        let first = EmotionNetModel(config: network, adjacency: adjacency)
        network.seed = 2
        return (first, EmotionNetModel(config: network, adjacency: adjacency))
    }

    @Test("the ensemble's probabilities are the members' mean, and its prediction can differ from each member's")
    func averaging() {
        let a: [Double] = [0.6, 0.3, 0.1]
        let b: [Double] = [0.0, 0.5, 0.5]
        let c: [Double] = [0.3, 0.4, 0.3]
        let mean = RecognitionEvaluation.averageProbabilities([a, b, c])
        let expected: [Double] = [0.3, 0.4, 0.3]
        #expect(mean.count == 3)
        for k in 0..<3 { #expect(abs(mean[k] - expected[k]) < 1e-12) }
        #expect(abs(mean.reduce(0, +) - 1) < 1e-12)
        // a alone says class 0, b alone says 1 (first of a tie); together, class 1.
        #expect(RecognitionEvaluation.argmax(a) == 0)
        #expect(RecognitionEvaluation.argmax(b) == 1)
        #expect(RecognitionEvaluation.argmax(RecognitionEvaluation.averageProbabilities([a, b])) == 1)
        #expect(RecognitionEvaluation.averageProbabilities([a]) == a)
    }

    @Test("an ensemble of one network reports what the network reports; of two, the argmax of their mean")
    func ensembleReport() {
        let (first, second) = Self.twoNetworks()
        let sequences = SyntheticExpressions(domain: .child, frames: 40).generate(count: 21, seed: 9).sequences
        let evaluation = RecognitionEvaluation(seed: 3, resamples: 20)
        let single = evaluation.report(first, on: sequences)
        let alone = evaluation.report(ensemble: [first], on: sequences)
        #expect(alone.confusion.counts == single.confusion.counts)
        #expect(alone.macroF1.value == single.macroF1.value)
        #expect(alone.macroAUC?.value == single.macroAUC?.value)
        #expect(alone.stability?.value == single.stability?.value)

        let pair = evaluation.report(ensemble: [first, second], on: sequences)
        let predicted = sequences.map { sequence -> Int in
            let window = RecognitionSamples.window(sequence)
            let p1 = first.probabilities(sequence: window.values, validFrames: window.mask)
            let p2 = second.probabilities(sequence: window.values, validFrames: window.mask)
            return RecognitionEvaluation.argmax(p1.indices.map { Double(p1[$0]) + Double(p2[$0]) })
        }
        let expected = ConfusionMatrix(
            classNames: Emotion.allCases.map(\.rawValue), truth: RecognitionSamples.labels(sequences), predicted: predicted)
        #expect(pair.confusion.counts == expected.counts)
    }

    @Test("an ensemble member must come from the same pre-training, whatever its seed")
    func memberCheck() throws {
        var c = TransferExperiment.Configuration()
        c.seed = 2026
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ensemble-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = EmotionNetModel(config: c.network, adjacency: FaceGraph.standard.normalisedAdjacency)

        var other = c
        other.seed = 2027
        let path = directory.appendingPathComponent("pre-2027.safetensors").path
        try model.save(to: URL(fileURLWithPath: path), extraMetadata: ["pretraining_key": TransferExperiment.pretrainingKey(other)])
        let member = try TransferExperiment.ensembleMember(path, for: c)
        #expect(member.seed == 2027)
        let x = [Float](repeating: 0.01, count: 4 * 68 * 6)
        #expect(member.model.forward(sequence: x) == model.forward(sequence: x))

        other.sourceCount = 1400
        let wrong = directory.appendingPathComponent("pre-1400.safetensors").path
        try model.save(to: URL(fileURLWithPath: wrong), extraMetadata: ["pretraining_key": TransferExperiment.pretrainingKey(other)])
        #expect(throws: TransferExperiment.EnsembleMemberError.self) { try TransferExperiment.ensembleMember(wrong, for: c) }
        let plain = directory.appendingPathComponent("plain.safetensors").path
        try model.save(to: URL(fileURLWithPath: plain))
        #expect(throws: TransferExperiment.EnsembleMemberError.self) { try TransferExperiment.ensembleMember(plain, for: c) }
        #expect(throws: TransferExperiment.EnsembleMemberError.self) {
            try TransferExperiment.ensembleMember(directory.appendingPathComponent("missing").path, for: c)
        }
    }
}
