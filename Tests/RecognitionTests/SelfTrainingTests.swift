import EmoMusikCore
import EmotionNet
import FaceLandmarks
import Foundation
@testable import Recognition
import Testing

@Suite("Self-training of arm (b) on the unlabelled children of the training pool")
struct SelfTrainingTests {
    typealias Choice = PseudoLabelRule.Choice

    @Test("a candidate is kept with its most likely class when that class's probability reaches the threshold")
    func threshold() {
        let rule = PseudoLabelRule(confidence: 0.9, perClass: 10)
        let probabilities: [[Double]] = [
            [0.05, 0.95, 0.0],  // kept: class 1
            [0.89, 0.11, 0.0],  // below the threshold
            [0.0, 0.1, 0.9],  // exactly at the threshold: kept
            [0.5, 0.0, 0.5],  // a tie at 0.5: below
            [1.0, 0.0, 0.0],  // kept: class 0
            [Double.nan, 0.99, 0.0],  // not a probability row: never kept
        ]
        #expect(rule.select(probabilities) == [
            Choice(index: 0, label: 1, confidence: 0.95), Choice(index: 2, label: 2, confidence: 0.9),
            Choice(index: 4, label: 0, confidence: 1.0),
        ])
        // A lower threshold keeps the first class of a tie.
        #expect(PseudoLabelRule(confidence: 0.5, perClass: 10).select(probabilities).map(\.index) == [0, 1, 2, 3, 4])
        #expect(PseudoLabelRule(confidence: 0.5, perClass: 10).select(probabilities)[3].label == 0)
    }

    @Test("each class keeps at most its cap, the most confident first, so one class cannot swamp the others")
    func classBalance() {
        let rule = PseudoLabelRule(confidence: 0.6, perClass: 2)
        // Six confident "class 0" rows (the over-predicted class), two of class 1, one of class 2.
        let probabilities: [[Double]] = [
            [0.70, 0.20, 0.10], [0.97, 0.02, 0.01], [0.10, 0.85, 0.05], [0.90, 0.05, 0.05],
            [0.97, 0.02, 0.01], [0.80, 0.10, 0.10], [0.10, 0.10, 0.80], [0.20, 0.65, 0.15], [0.95, 0.04, 0.01],
        ]
        let chosen = rule.select(probabilities)
        // Class 0 keeps rows 1 and 4 (both 0.97), not 8 (0.95), 3, 5 or 0; classes 1 and 2 keep all.
        #expect(chosen.map(\.index) == [1, 2, 4, 6, 7])
        #expect(chosen.map(\.label) == [0, 1, 0, 2, 1])
        let perClass = Dictionary(grouping: chosen, by: \.label).mapValues(\.count)
        #expect(perClass == [0: 2, 1: 2, 2: 1])
        // Ties at the cap go to the earlier candidate.
        let tied = PseudoLabelRule(confidence: 0.6, perClass: 1).select([[0.9, 0.1], [0.9, 0.1], [0.2, 0.8]])
        #expect(tied.map(\.index) == [0, 2])
        #expect(PseudoLabelRule(confidence: 0.99, perClass: 5).select(probabilities).isEmpty)
        #expect(PseudoLabelRule().select([]).isEmpty)
    }

    @Test("the candidates are the training pool minus every labelled sequence, and no test subject is in the pool")
    func candidatesExcludeLabelledAndTest() {
        let c = RecognitionSamplesTests.tinyExperiment()
        let split = TransferExperiment.targetSplit(c)
        let candidates = split.unlabelledIndices
        let labelled = Set(split.labelledIndices)
        #expect(labelled.count == split.labelledIndices.count)
        #expect(Set(candidates).isDisjoint(with: labelled))
        #expect(Set(candidates).union(labelled) == Set(split.pool.indices))
        #expect(candidates == candidates.sorted())
        // The validation sequences are labelled ones, so never candidates either.
        #expect(split.validation == Array(split.labelledIndices.prefix(split.validationCount)).map { split.pool[$0] })
        let poolSubjects = Set(split.pool.compactMap(\.subject))
        #expect(!split.test.isEmpty && split.test.allSatisfy { !poolSubjects.contains($0.subject ?? "") })
        #expect(split.pool.count + split.test.count == c.targetCount)
    }

    @Test("pseudo-labelled samples carry the pseudo-label (or, in the control, the generator's) on one window or on every window holding the apex")
    func pseudoLabelledSamples() throws {
        var c = RecognitionSamplesTests.tinyExperiment()
        let split = TransferExperiment.targetSplit(c)
        let candidates = split.unlabelledIndices.map { split.pool[$0] }
        let truth = RecognitionSamples.labels(candidates)
        // Every third candidate, each given a label the generator did not: the next class.
        let chosen = stride(from: 0, to: candidates.count, by: 3).map {
            Choice(index: $0, label: (truth[$0] + 1) % Emotion.allCases.count, confidence: 0.95)
        }
        try #require(chosen.count >= 5)

        // The default: one apex-centred window each, with the pseudo-label.
        let plain = TransferExperiment.pseudoLabelledSamples(chosen, of: candidates, c)
        #expect(plain.map(\.label) == chosen.map(\.label))
        for (sample, choice) in zip(plain, chosen) {
            let window = RecognitionSamples.window(candidates[choice.index])
            #expect(sample.features == window.values && sample.validFrames == window.mask && sample.frames == window.frames)
        }

        // The control: the same windows with the generator's labels, none of them the pseudo-label.
        c.pseudoLabelsFromGenerator = true
        let control = TransferExperiment.pseudoLabelledSamples(chosen, of: candidates, c)
        #expect(control.map(\.label) == chosen.map { truth[$0.index] })
        #expect(zip(control, plain).allSatisfy { $0.features == $1.features && $0.label != $1.label })

        // Every window holding the apex, as a labelled sequence gives them: more than one for
        // some, each with its sequence's pseudo-label.
        c.pseudoLabelsFromGenerator = false
        c.pseudoLabelAllWindows = true
        let all = TransferExperiment.pseudoLabelledSamples(chosen, of: candidates, c)
        var expected: [Int] = []
        for choice in chosen {
            var relabelled = candidates[choice.index]
            relabelled.label = Emotion.allCases[choice.label]
            let windows = RecognitionSamples.samples(relabelled, stride: c.fineTuneWindowStride)
            expected += windows.map(\.label)
            #expect(windows.allSatisfy { $0.label == choice.label })
        }
        #expect(all.map(\.label) == expected)
        #expect(all.count > chosen.count)
        // Without windows for labelled sequences (stride 0) there are none for pseudo-labels either.
        c.fineTuneWindowStride = 0
        #expect(TransferExperiment.pseudoLabelledSamples(chosen, of: candidates, c).count == chosen.count)
    }

    @Test("the control run names its rounds as controls and records the labels it trained on",
          .timeLimit(.minutes(5)))
    func controlRun() throws {
        var c = RecognitionSamplesTests.quickVariantExperiment()
        c.selfTrainRounds = 1
        c.pseudoLabelRule = PseudoLabelRule(confidence: 0.14, perClass: 3)
        c.pseudoLabelsFromGenerator = true
        c.pseudoLabelAllWindows = true
        var lines: [String] = []
        let arms = TransferExperiment(configuration: c).run { lines.append($0) }
        #expect(arms.map(\.name) == [
            "(b) pre-trained + fine-tuned", "(b) control: the same sequences with generator labels, round 1 of 1",
            "(c) logistic regression, apex landmarks",
        ])
        let summary = try #require(arms[1].selfTraining)
        #expect(summary.trainedOn == "generator labels (control)")
        #expect(summary.windows == "every window holding the apex")
        let kept = summary.pseudoLabels.reduce(0, +)
        #expect(lines.contains { $0.hasPrefix("(b) self-training 1/1: ") && $0.contains("CONTROL: trained on their generator labels") })
        #expect(lines.contains { $0.hasPrefix("(b) self-training 1/1: fine-tuning on children + \(kept) with their generator labels: epoch 1 ") })
    }

    @Test("a run with self-training reports each round as a variant of (b), and (b) itself as without it",
          .timeLimit(.minutes(5)))
    func experimentSelfTrains() throws {
        var c = RecognitionSamplesTests.quickVariantExperiment()
        let plain = TransferExperiment(configuration: c).run()

        c.selfTrainRounds = 2
        // Every argmax of seven probabilities is at least 1/7, so a threshold of 0.14 keeps every
        // candidate but for the cap: the cap alone decides the counts.
        c.pseudoLabelRule = PseudoLabelRule(confidence: 0.14, perClass: 3)
        var lines: [String] = []
        let arms = TransferExperiment(configuration: c).run { lines.append($0) }
        #expect(arms.map(\.name) == [
            "(b) pre-trained + fine-tuned", "(b) self-trained, round 1 of 2", "(b) self-trained, round 2 of 2",
            "(c) logistic regression, apex landmarks",
        ])
        // Without the option nothing changes: (b) and (c) are those of the run without it.
        #expect(arms[0].report.macroF1 == plain[0].report.macroF1)
        #expect(arms[0].report.accuracy == plain[0].report.accuracy)
        #expect(arms[3].report.macroF1 == plain[1].report.macroF1)
        #expect(arms[0].selfTraining == nil && arms[3].selfTraining == nil)
        #expect(arms[0].versusPlainB == nil && arms[3].versusPlainB == nil)

        let candidates = TransferExperiment.targetSplit(c).unlabelledIndices.count
        for (round, arm) in zip(1...2, arms[1...2]) {
            let summary = try #require(arm.selfTraining)
            #expect(summary.round == round && summary.rounds == 2)
            #expect(summary.predictedBy == (round == 1 ? "arm (b)" : "round 1"))
            #expect(summary.candidates == candidates)
            #expect(summary.confidence == 0.14 && summary.perClass == 3)
            #expect(summary.classes == Emotion.allCases.map(\.rawValue))
            #expect(summary.windows == "apex-centred" && summary.trainedOn == nil)
            #expect(summary.pseudoLabels.allSatisfy { (0...3).contains($0) })
            #expect(summary.pseudoLabels.reduce(0, +) > 0)
            #expect(zip(summary.correctForTheRecord, summary.pseudoLabels).allSatisfy { $0 <= $1 })
            let kept = summary.pseudoLabels.reduce(0, +)
            let accuracy = try #require(summary.accuracyForTheRecord)
            #expect(abs(accuracy - Double(summary.correctForTheRecord.reduce(0, +)) / Double(kept)) < 1e-12)
            #expect((0...1).contains(arm.report.macroF1.value))
            // Against (b) on the same test sequences: the difference of the two reports' macro-F1.
            let versus = try #require(arm.versusPlainB)
            #expect(abs(versus.difference.value - (arm.report.macroF1.value - arms[0].report.macroF1.value)) < 1e-12)
            #expect(versus.clustered && versus.resamples == c.resamples)
            #expect(versus.onlyVariantRight + versus.onlyReferenceRight <= versus.disagreements)
            #expect(lines.contains { $0.hasPrefix("(b) self-training \(round)/2: against (b) on the same ") })
            #expect(lines.contains { $0.hasPrefix("(b) self-training \(round)/2: fine-tuning on children + \(kept) pseudo-labelled: epoch 1 ") })
        }
        #expect(lines.contains { $0.hasPrefix("(b) self-training 1/2: ") && $0.contains("of \(candidates) unlabelled pool sequences pseudo-labelled by arm (b)") })
    }
}
