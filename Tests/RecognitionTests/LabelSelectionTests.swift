import EmoMusikCore
import Foundation
@testable import Recognition
import Testing

@Suite("Which children get the labels: a random sample of each class, or the least certain")
struct LabelSelectionTests {
    @Test("margin sampling takes the rows whose two most likely classes are closest, in a seeded order")
    func smallestMargins() {
        let probabilities: [[Double]] = [
            [0.90, 0.05, 0.05],  // margin 0.85
            [0.40, 0.35, 0.25],  // 0.05
            [0.10, 0.60, 0.30],  // 0.30
            [0.34, 0.33, 0.33],  // 0.01
            [0.20, 0.20, 0.60],  // 0.40
            [0.45, 0.10, 0.45],  // 0.00: a tie between the two most likely
        ]
        let chosen = TransferExperiment.labelledBySmallestMargin(probabilities, count: 3, seed: 5)
        #expect(Set(chosen) == [5, 3, 1])
        #expect(chosen == TransferExperiment.labelledBySmallestMargin(probabilities, count: 3, seed: 5))
        #expect(Set(TransferExperiment.labelledBySmallestMargin(probabilities, count: 4, seed: 9)) == [5, 3, 1, 2])
        // In turn from each predicted class: class 0 (rows 5, 3, 1, 0 by margin; row 5's tie goes
        // to the first class), class 1 (row 2), class 2 (row 4); with 4, class 0's second is next.
        #expect(Set(TransferExperiment.labelledBySmallestMargin(probabilities, count: 3, perPredictedClass: true, seed: 5)) == [5, 2, 4])
        #expect(Set(TransferExperiment.labelledBySmallestMargin(probabilities, count: 4, perPredictedClass: true, seed: 5)) == [5, 2, 4, 3])
        // More than the pool holds: all of it, once.
        #expect(TransferExperiment.labelledBySmallestMargin(probabilities, count: 9, perPredictedClass: true, seed: 5).sorted() == Array(0...5))
        // Equal margins go to the earlier row.
        #expect(TransferExperiment.labelledBySmallestMargin([[0.5, 0.5], [0.5, 0.5], [0.9, 0.1]], count: 1, seed: 1) == [0])
    }

    @Test("the margin split labels as many pool sequences as the random one, the least certain, and keeps the test set")
    func marginSplit() {
        var c = RecognitionSamplesTests.tinyExperiment()
        c.labelFraction = 0.2
        let random = TransferExperiment.targetSplit(c)
        // A made-up network that is least sure about every pool sequence whose index is a multiple of 3.
        let probabilities = random.pool.indices.map { $0 % 3 == 0 ? [0.3, 0.29, 0.1, 0.1, 0.1, 0.1, 0.01] : [0.9, 0.02, 0.02, 0.02, 0.02, 0.01, 0.01] }
        let margin = random.labellingLeastCertain(poolProbabilities: probabilities, perPredictedClass: false, seed: 5)
        #expect(margin.labelledIndices.count == random.labelledIndices.count)
        #expect(margin.labelledIndices.count < random.pool.indices.filter { $0 % 3 == 0 }.count)
        #expect(margin.validationCount == random.validationCount)
        #expect(margin.labelledIndices.allSatisfy { $0 % 3 == 0 })
        #expect(margin.pool == random.pool && margin.test == random.test)
        #expect(Set(margin.unlabelledIndices).isDisjoint(with: margin.labelledIndices))
    }

    @Test("an experiment with margin sampling gives every arm the chosen labels and says how many per class", .timeLimit(.minutes(5)))
    func experimentWithMargins() {
        var c = RecognitionSamplesTests.quickVariantExperiment()
        c.runTargetOnly = true
        c.labelSelection = .smallestMargin
        var lines: [String] = []
        let arms = TransferExperiment(configuration: c).run { lines.append($0) }
        #expect(arms.map(\.name) == ["(a) target only", "(b) pre-trained + fine-tuned", "(c) logistic regression, apex landmarks"])
        let chosen = lines.firstIndex { $0.hasPrefix("labels chosen by the pre-trained network's smallest margins") }
        let target = lines.firstIndex { $0.hasPrefix("target: ") }
        let targetOnly = lines.firstIndex { $0.hasPrefix("(a) target only: ") }
        // Pre-training (here: one epoch) comes before the labels are chosen, and they before arm (a).
        #expect(chosen != nil && target != nil && targetOnly != nil)
        if let chosen, let target, let targetOnly {
            #expect(lines.prefix(chosen).contains { $0.hasPrefix("(b) pre-training on posed adults: ") })
            #expect(chosen < target && target < targetOnly)
        }
        #expect(arms.allSatisfy { (0...1).contains($0.report.macroF1.value) })
    }
}
