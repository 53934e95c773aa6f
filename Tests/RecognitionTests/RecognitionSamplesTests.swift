import EmoMusikCore
import EmotionNet
import FaceLandmarks
import Recognition
import Testing

@Suite("Recognition samples and the transfer experiment")
struct RecognitionSamplesTests {
    @Test("a sequence's window has 32 frames around the apex, and its label in Emotion order")
    func windowAroundApex() throws {
        let dataset = SyntheticExpressions(domain: .posedAdult, frames: 60).generate(count: 14, seed: 5)
        for sequence in dataset.sequences {
            let sample = RecognitionSamples.sample(sequence)
            #expect(sample.frames == 32)
            #expect(sample.features.count == 32 * 68 * 6)
            #expect(sample.label == Emotion.allCases.firstIndex(of: sequence.label!))
            // The window holds the apex: the frame farthest from the neutral face (summed point
            // distance, the displacement channels 4 and 5) is as far in the window as in the sequence.
            let full = NodeFeatures.tensor(sequence)
            func peak(_ values: [Float]) -> Float {
                stride(from: 0, to: values.count, by: 68 * 6).map { frame in
                    (0..<68).reduce(Float(0)) { sum, node in
                        let o = frame + node * 6
                        return sum + (values[o + 4] * values[o + 4] + values[o + 5] * values[o + 5]).squareRoot()
                    }
                }.max() ?? 0
            }
            if sequence.label != .neutral { #expect(peak(sample.features) == peak(full.values)) }
        }
    }

    @Test("short sequences are padded to the window")
    func shortSequencePadded() {
        let dataset = SyntheticExpressions(domain: .child, frames: 20).generate(count: 7, seed: 9)
        let window = RecognitionSamples.window(dataset.sequences[0])
        #expect(window.frames == 32 && window.mask.count == 32)
    }

    /// The transfer experiment at a size that runs in seconds: 70 source and 140 target
    /// sequences, half the target labels, two fine-tuning epochs, a tiny network.
    static func tinyExperiment() -> TransferExperiment.Configuration {
        var configuration = TransferExperiment.Configuration()
        configuration.sourceCount = 70
        configuration.targetCount = 140
        configuration.labelFraction = 0.5
        configuration.fineTuneEpochs = 2
        configuration.network = EmotionNetConfig(gcnWidths: [8], dModel: 16, heads: 2, layers: 1, ffWidth: 16)
        return configuration
    }

    /// The smallest run that still passes every stage of arm (b) and its variants: 14 posed
    /// adults, 70 children, one epoch of each training, 20 resamples, no arm (a).
    static func quickVariantExperiment() -> TransferExperiment.Configuration {
        var configuration = tinyExperiment()
        configuration.sourceCount = 14
        configuration.targetCount = 70
        configuration.pretrainEpochs = 1
        configuration.fineTuneEpochs = 1
        configuration.runTargetOnly = false
        configuration.resamples = 20
        return configuration
    }

    @Test("the experiment runs its three arms end to end and reports metrics with intervals")
    func experimentRuns() {
        var configuration = Self.tinyExperiment()
        configuration.pretrainEpochs = 2
        configuration.resamples = 50
        var lines: [String] = []
        let arms = TransferExperiment(configuration: configuration).run { lines.append($0) }
        #expect(arms.map(\.name) == ["(a) target only", "(b) pre-trained + fine-tuned", "(c) logistic regression, apex landmarks"])
        for arm in arms {
            for estimate in [arm.report.accuracy, arm.report.macroF1] {
                #expect((0...1).contains(estimate.value))
                #expect(estimate.lower <= estimate.value + 1e-12 && estimate.value <= estimate.upper + 1e-12)
            }
            #expect(arm.report.stability != nil && arm.report.macroAUC != nil)
        }
        #expect(lines.contains { $0.contains("pre-training on posed adults: epoch 2") })
        // The default fine-tuning (and arm (a)): every label trains, the mean of the last 20
        // epochs' weights, here all 2 of them.
        let split = TransferExperiment.targetSplit(configuration)
        #expect(lines.contains { $0.contains("\(split.labelled.count) labelled (all \(split.labelled.count) to train; the \(split.validationCount) validation ones") })
        #expect(lines.contains("fine-tuning keeps the mean of its last 2 epochs' weights, whatever the validation score"))
        #expect((1...2).allSatisfy { epoch in lines.contains { $0.hasPrefix("(a) target only: epoch \(epoch) ") } })
        // (b) against (a) on the same test sequences, paired: its difference is the two rows'.
        let versus = arms[1].versusTargetOnly
        #expect(versus != nil && arms[0].versusTargetOnly == nil && arms[2].versusTargetOnly == nil)
        if let versus {
            #expect(abs(versus.difference.value - (arms[1].report.macroF1.value - arms[0].report.macroF1.value)) < 1e-9)
            #expect(versus.difference.lower <= versus.difference.value + 1e-12 && versus.difference.value <= versus.difference.upper + 1e-12)
        }
        #expect(lines.contains { $0.hasPrefix("(b) against (a) on the same ") })
    }

    @Test("the fine-tuning defaults: the mean of the last 20 epochs at arm (a)'s rates, every label trains unless something chooses by it")
    func fineTuningDefaults() {
        var c = TransferExperiment.Configuration()
        #expect(c.fineTuneCheckpoint == .averageOfLastEpochs(20) && c.fineTuneRule == .averageOfLastEpochs(20))
        #expect(c.graphRateWhileFineTuning == 1 && c.fineTuneLearningRate == TrainerConfig().learningRate)
        #expect(c.trainsOnValidationLabels)
        c.fineTuneEpochs = 12
        #expect(c.fineTuneRule == .averageOfLastEpochs(12))
        c.ensembleSelect = 2
        #expect(!c.trainsOnValidationLabels)
        c.ensembleSelect = nil
        c.fineTuneCheckpoint = .bestValidation
        #expect(!c.trainsOnValidationLabels && c.fineTuneRule == .bestValidation)
        c.fineTuneCheckpoint = .averageOfLastEpochs(1)
        c.trainOnValidationLabels = false
        #expect(!c.trainsOnValidationLabels)
        #expect(TransferExperiment.heldOutValidationUse(c) == "and only scored each epoch")
        c.fineTuneCheckpoint = .bestValidation
        c.ensembleSelect = 2
        #expect(TransferExperiment.heldOutValidationUse(c) == "to choose the epoch and the networks")
    }

    @Test("checkpoint rules: the last pre-training epoch, every label trained on, the mean of the last fine-tuning epochs, and the default as a paired control")
    func checkpointRulesEndToEnd() {
        var configuration = Self.quickVariantExperiment()
        configuration.pretrainEpochs = 2
        configuration.pretrainCheckpoint = .averageOfLastEpochs(1)
        configuration.fineTuneEpochs = 3
        configuration.fineTunePatience = 1
        configuration.fineTuneCheckpoint = .averageOfLastEpochs(2)
        configuration.trainOnValidationLabels = true
        configuration.compareWithDefaultFineTuning = true
        let split = TransferExperiment.targetSplit(configuration)
        #expect(split.validationCount >= 1 && split.training.count < split.labelled.count)
        var lines: [String] = []
        let arms = TransferExperiment(configuration: configuration).run { lines.append($0) }
        #expect(arms.map(\.name) == [
            "(b) pre-trained + fine-tuned",
            "(b) control: best validation epoch, validation labels held out",
            "(c) logistic regression, apex landmarks",
        ])
        // The control row: fine-tuned on the training labels only, compared on the same test set.
        #expect(lines.contains { $0.hasPrefix("(b) best-epoch control: fine-tuning on children (\(split.training.count) labelled, the best validation epoch): epoch 1 ") })
        let versus = arms[1].versusPlainB
        #expect(versus != nil)
        if let versus {
            #expect(abs(versus.difference.value - (arms[1].report.macroF1.value - arms[0].report.macroF1.value)) < 1e-9)
        }
        #expect(lines.contains("(b) pre-trained network: the weights of epoch 2 (the last)"))
        #expect(lines.contains { $0.contains("\(split.labelled.count) labelled (all \(split.labelled.count) to train; the \(split.validationCount) validation ones") })
        #expect(lines.contains("fine-tuning keeps the mean of its last 2 epochs' weights, whatever the validation score"))
        // Every epoch runs: patience 1 stops nothing when validation chooses nothing.
        #expect((1...3).allSatisfy { epoch in lines.contains { $0.hasPrefix("(b) fine-tuning on children: epoch \(epoch) ") } })
        #expect((0...1).contains(arms[0].report.macroF1.value))
    }

    @Test("interpolated rows: at 1 the fine-tuned network, at 0 the pre-trained one, each paired with (b) and (a); (a) interpolated to its initialisation as the control")
    func interpolationTowardsThePretrainedNetwork() throws {
        var configuration = Self.quickVariantExperiment()
        configuration.runTargetOnly = true
        configuration.interpolationFractions = [1, 0, 0.5]
        var lines: [String] = []
        let arms = TransferExperiment(configuration: configuration).run { lines.append($0) }
        #expect(arms.map(\.name) == [
            "(a) target only",
            "(b) pre-trained + fine-tuned",
            "(b) weights 1.00 of the way from pre-trained to fine-tuned",
            "(b) weights 0.00 of the way from pre-trained to fine-tuned",
            "(b) weights 0.50 of the way from pre-trained to fine-tuned",
            "(a) control: weights 1.00 of the way from initialisation to trained",
            "(a) control: weights 0.00 of the way from initialisation to trained",
            "(a) control: weights 0.50 of the way from initialisation to trained",
            "(c) logistic regression, apex landmarks",
        ])
        // All the way is (b) itself: the same predictions, the same figures.
        let whole = try #require(arms[2].versusPlainB)
        #expect(whole.disagreements == 0 && whole.difference.value == 0)
        #expect(arms[2].report.macroF1 == arms[1].report.macroF1)
        // None of the way is the pre-trained network as it was before fine-tuning.
        let zeroShot = try #require(lines.first { $0.hasPrefix("(b) the pre-trained network on the target test set before fine-tuning: macro-F1 ") })
        #expect(zeroShot.contains(String(format: "macro-F1 %.3f;", arms[3].report.macroF1.value)))
        // Every interpolated row is paired with (b) and with (a) on the same test sequences.
        for arm in arms[2...4] {
            let versusB = try #require(arm.versusPlainB), versusA = try #require(arm.versusTargetOnly)
            #expect(abs(versusB.difference.value - (arm.report.macroF1.value - arms[1].report.macroF1.value)) < 1e-9)
            #expect(abs(versusA.difference.value - (arm.report.macroF1.value - arms[0].report.macroF1.value)) < 1e-9)
        }
        #expect(lines.contains { $0.hasPrefix("(b) interpolated 0.50: against (a) on the same ") })
        // The control without pre-training: (a) itself at 1, an untrained network at 0, each
        // paired with (a).
        let trained = try #require(arms[5].versusTargetOnly)
        #expect(trained.disagreements == 0 && arms[5].report.macroF1 == arms[0].report.macroF1)
        let untrained = EmotionNetModel(config: configuration.network, adjacency: FaceGraph.standard.normalisedAdjacency)
        let split = TransferExperiment.targetSplit(configuration)
        #expect(arms[6].report.macroF1 == TransferExperiment(configuration: configuration).evaluate(untrained, on: split.test).macroF1)
        for arm in arms[5...7] {
            let versusA = try #require(arm.versusTargetOnly)
            #expect(arm.versusPlainB == nil)
            #expect(abs(versusA.difference.value - (arm.report.macroF1.value - arms[0].report.macroF1.value)) < 1e-9)
        }
    }

    @Test("arm (a) as an ensemble: its networks start apart, the first is the single (a), the row is their mean's")
    func targetOnlyEnsemble() throws {
        var configuration = Self.quickVariantExperiment()
        configuration.runTargetOnly = true
        var single: [String] = []
        let one = TransferExperiment(configuration: configuration).run { single.append($0) }
        configuration.targetOnlyRuns = 3
        configuration.interpolationFractions = [0.5]
        var lines: [String] = []
        let arms = TransferExperiment(configuration: configuration).run { lines.append($0) }
        #expect(arms.map(\.name) == [
            "(a) target only, ensemble of 3",
            "(b) pre-trained + fine-tuned",
            "(b) weights 0.50 of the way from pre-trained to fine-tuned",
            "(c) logistic regression, apex landmarks",
        ])
        // The first network trains exactly as the single one; the others from other starts.
        // "loss … val F1 …" of epoch 1, without the seconds.
        func firstEpoch(_ lines: [String], _ prefix: String) -> String? {
            lines.first { $0.hasPrefix(prefix + ": epoch 1 ") }?.dropFirst(prefix.count).split(separator: "(").first.map(String.init)
        }
        #expect(firstEpoch(single, "(a) target only") != nil)
        #expect(firstEpoch(lines, "(a) target only 1 of 3") == firstEpoch(single, "(a) target only"))
        let losses = (1...3).map { firstEpoch(lines, "(a) target only \($0) of 3") }
        #expect(losses.allSatisfy { $0 != nil } && Set(losses).count == 3)
        #expect(lines.filter { $0.contains("alone on the target test set: macro-F1 ") && $0.hasPrefix("(a) target only ") }.count == 3)
        // (b) is the same run's; its pairing with (a) now uses the ensemble's predictions.
        #expect(arms[1].report.macroF1 == one[1].report.macroF1)
        let versus = try #require(arms[1].versusTargetOnly)
        #expect(abs(versus.difference.value - (arms[1].report.macroF1.value - arms[0].report.macroF1.value)) < 1e-9)
    }

    @Test("with several fine-tunings, arm (b) is the weight average of networks fine-tuned in different orders")
    func fineTuningSoup() throws {
        var configuration = Self.tinyExperiment()
        configuration.pretrainEpochs = 1
        configuration.fineTuneRuns = 3
        configuration.runTargetOnly = false
        configuration.resamples = 20
        var lines: [String] = []
        let arms = TransferExperiment(configuration: configuration).run { lines.append($0) }
        #expect(arms.map(\.name) == ["(b) pre-trained + fine-tuned", "(c) logistic regression, apex landmarks"])
        // Three fine-tunings ran, each reported alone, with their own data order (their epoch-1
        // losses differ).
        let firstEpochs = (1...3).map { run in lines.first { $0.contains("(b) fine-tuning \(run) of 3 on children: epoch 1 ") } }
        #expect(firstEpochs.allSatisfy { $0 != nil })
        #expect(Set(firstEpochs.compactMap { $0?.split(separator: " ").drop { $0 != "loss" }.dropFirst().first }).count == 3)
        #expect((1...3).allSatisfy { run in lines.contains { $0.hasPrefix("(b) fine-tuning \(run) alone on the target test set") } })
        #expect((0...1).contains(arms[0].report.macroF1.value))
    }
}
