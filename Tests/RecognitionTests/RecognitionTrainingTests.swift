import EmotionNet
import FaceLandmarks
import Foundation
import Recognition
import Testing

@Suite("emomusik train and evaluate: which children the target stage trains on, which weights it keeps, two models compared")
struct RecognitionTrainingTests {
    /// Target-only training of a tiny network for two epochs.
    static func quickTraining(_ checkpoint: CheckpointRule, holdOutValidation: Bool = false) -> RecognitionTraining {
        var training = RecognitionTraining()
        training.network = EmotionNetConfig(gcnWidths: [8], dModel: 16, heads: 2, layers: 1, ffWidth: 16)
        training.fineTuneEpochs = 2
        training.checkpoint = checkpoint
        training.holdOutValidation = holdOutValidation
        return training
    }

    static let children = SyntheticExpressions(domain: .child).generate(count: 40, seed: 5)

    @Test("the validation subjects train unless held out or choosing the epoch; the log and the data hash say which trained")
    func validationSubjects() {
        let target = Self.children
        let held = Self.quickTraining(.averageOfLastEpochs(2), holdOutValidation: true)
        let (train, validation) = target.split(byFraction: 0.9, seed: held.seed &+ 2)
        #expect(!validation.samples.isEmpty && train.samples.count + validation.samples.count == 40)

        var lines: [String] = []
        let (_, heldHash) = held.train(source: nil, target: target) { lines.append($0) }
        #expect(lines.first == "training on \(train.samples.count) sequences (\(validation.samples.count) held out, scored each epoch; keeps the mean of the last 2 epochs' weights)")
        #expect(lines.filter { $0.hasPrefix("training: epoch") }.count == 2)
        #expect(heldHash == TrainingSample.fingerprint(train.sequences.map(RecognitionSamples.sample)))

        lines = []
        let all = Self.quickTraining(.averageOfLastEpochs(2))
        let (_, allHash) = all.train(source: nil, target: target) { lines.append($0) }
        #expect(lines.first == "training on 40 sequences (including \(validation.samples.count) validation ones, scored each epoch as trained on; keeps the mean of the last 2 epochs' weights)")
        #expect(allHash == TrainingSample.fingerprint(target.sequences.map(RecognitionSamples.sample)))
        #expect(allHash != heldHash)

        lines = []
        _ = Self.quickTraining(.bestValidation).train(source: nil, target: target) { lines.append($0) }
        #expect(lines.first == "training on \(train.samples.count) sequences (\(validation.samples.count) to choose the epoch)")
    }

    @Test("an average over more epochs than run is the average over all of them; it differs from the last epoch's weights")
    func averageClamped() {
        let x = Self.children.sequences.prefix(3).map(RecognitionSamples.sample)
        func outputs(_ rule: CheckpointRule) -> [[Float]] {
            let (model, _) = Self.quickTraining(rule).train(source: nil, target: Self.children)
            return x.map { model.forward(sequence: $0.features, validFrames: $0.validFrames) }
        }
        let longer = outputs(.averageOfLastEpochs(20))
        #expect(longer == outputs(.averageOfLastEpochs(2)))
        #expect(longer != outputs(.averageOfLastEpochs(1)))
    }

    @Test("the defaults: the mean of the last 20 epochs, the validation subjects training, fine-tuning at the rates of training from scratch")
    func defaults() {
        let training = RecognitionTraining()
        #expect(training.checkpoint == .averageOfLastEpochs(20) && training.trainsOnValidation)
        #expect(training.graphRateWhileFineTuning == 1 && training.fineTuneLearningRate == TrainerConfig().learningRate)
        #expect(Self.quickTraining(.averageOfLastEpochs(1)).trainsOnValidation)
        #expect(!Self.quickTraining(.averageOfLastEpochs(1), holdOutValidation: true).trainsOnValidation)
        #expect(!Self.quickTraining(.bestValidation).trainsOnValidation)  // best chooses by them
    }

    @Test("two models compared on the same children: the difference of their macro-F1, paired, and the sequences they disagree on")
    func comparison() {
        let (first, second) = EnsembleTests.twoNetworks()
        let children = Array(Self.children.sequences.prefix(30))
        let evaluation = RecognitionEvaluation(seed: 3, resamples: 100)
        let versus = evaluation.compare(first, against: second, on: children)
        let difference = evaluation.report(first, on: children).macroF1.value - evaluation.report(second, on: children).macroF1.value
        #expect(abs(versus.difference.value - difference) < 1e-12)
        let a = RecognitionEvaluation.predictions(RecognitionEvaluation.probabilities(first, on: children))
        let b = RecognitionEvaluation.predictions(RecognitionEvaluation.probabilities(second, on: children))
        let truth = RecognitionSamples.labels(children)
        #expect(versus.disagreements == zip(a, b).filter { $0 != $1 }.count && versus.disagreements > 0)
        #expect(versus.onlyVariantRight == zip(zip(a, b), truth).filter { $0.0 == $1 && $0.1 != $1 }.count)
        #expect(versus.clustered)
        let reversed = evaluation.compare(second, against: first, on: children)
        #expect(abs(reversed.difference.value + versus.difference.value) < 1e-12)
        #expect(reversed.onlyVariantRight == versus.onlyReferenceRight)
    }
}
