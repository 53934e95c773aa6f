import Foundation
@testable import Recognition
import Testing

@Suite("Class-prior alignment on unlabelled sequences")
struct ClassPriorAlignmentTests {
    /// 300 unlabelled sequences, 100 of each of three classes: class 0 read well, class 1 shown so
    /// weakly that the classifier leans to class 0 (the child domain's weak expressions read as
    /// neutral), class 2 read well.
    static let leaning: (probabilities: [[Double]], truth: [Int]) = (
        Array(repeating: [0.7, 0.2, 0.1], count: 100) + Array(repeating: [0.55, 0.4, 0.05], count: 100)
            + Array(repeating: [0.1, 0.1, 0.8], count: 100),
        Array(repeating: 0, count: 100) + Array(repeating: 1, count: 100) + Array(repeating: 2, count: 100))

    @Test("the aligned mean prediction matches the class shares, and a classifier leaning to one class is set right")
    func alignsALeaningClassifier() {
        let data = Self.leaning
        let alignment = ClassPriorAlignment(probabilities: data.probabilities, shares: [1.0 / 3, 1.0 / 3, 1.0 / 3])
        // Before: class 0 takes 0.45 of the probability mass, class 1 0.23.
        #expect(abs(alignment.meanBefore[0] - 0.45) < 1e-12 && abs(alignment.meanBefore[1] - 0.7 / 3) < 1e-12)
        #expect(alignment.meanAfter.allSatisfy { abs($0 - 1.0 / 3) <= 1e-6 })
        #expect(alignment.iterations > 0)
        // Class 0 is weighed down, class 1 up.
        #expect(alignment.logMultipliers[0] < 0 && alignment.logMultipliers[1] > 0)
        let before = data.probabilities.map(RecognitionEvaluation.argmax)
        let after = data.probabilities.map { RecognitionEvaluation.argmax(alignment.apply($0)) }
        #expect(zip(before, data.truth).filter { $0 == $1 }.count == 200)
        #expect(after == data.truth)
        // Every aligned row is still a probability distribution.
        for row in data.probabilities {
            let aligned = alignment.apply(row)
            #expect(abs(aligned.reduce(0, +) - 1) < 1e-12 && aligned.allSatisfy { $0 > 0 })
        }
    }

    @Test("a classifier whose mean prediction already matches the shares is left as it is")
    func balancedIsUntouched() {
        let probabilities: [[Double]] = [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.6, 0.3, 0.1], [0.3, 0.6, 0.1], [0.1, 0.1, 0.8]]
        let alignment = ClassPriorAlignment(probabilities: probabilities, shares: [1.0 / 3, 1.0 / 3, 1.0 / 3])
        #expect(alignment.iterations == 0)
        #expect(alignment.logMultipliers == [0, 0, 0])
        #expect(alignment.apply([0.2, 0.5, 0.3]) == [0.2, 0.5, 0.3])
    }

    @Test("a class no sequence is given any probability cannot pull its multiplier past the bound")
    func unreachableClassIsBounded() {
        let alignment = ClassPriorAlignment(
            probabilities: [[0.5, 0.5, 0], [0.9, 0.1, 0]], shares: [0.4, 0.4, 0.2], maximumIterations: 50)
        #expect(alignment.iterations == 50)
        #expect(alignment.logMultipliers[2] == ClassPriorAlignment.maximumLogMultiplier)
        #expect(alignment.meanAfter[2] == 0)
        #expect(alignment.logMultipliers.allSatisfy { $0.isFinite })
    }

    @Test("class shares come from the labels, each class counted at least once")
    func sharesFromLabels() {
        #expect(ClassPriorAlignment.shares(ofLabels: [0, 0, 1, 2], classes: 3) == [0.5, 0.25, 0.25])
        // A class without a label still gets a share (of one), so it can be predicted.
        #expect(ClassPriorAlignment.shares(ofLabels: [0, 0, 0, 1], classes: 3) == [0.6, 0.2, 0.2])
    }

    @Test("the experiment adds (b) with aligned priors, compared with (b) on the same test sequences", .timeLimit(.minutes(5)))
    func experimentRow() throws {
        var c = RecognitionSamplesTests.quickVariantExperiment()
        c.alignClassPriors = true
        var lines: [String] = []
        let arms = TransferExperiment(configuration: c).run { lines.append($0) }
        #expect(arms.map(\.name) == [
            "(b) pre-trained + fine-tuned", "(b) pre-trained + fine-tuned, class priors aligned on the unlabelled pool",
            "(c) logistic regression, apex landmarks",
        ])
        let alignment = try #require(arms[1].alignment)
        let split = TransferExperiment.targetSplit(c)
        let shares = ClassPriorAlignment.shares(ofLabels: RecognitionSamples.labels(split.labelled), classes: 7)
        #expect(zip(alignment.meanAfter, shares).allSatisfy { abs($0 - $1) <= 1e-6 })
        let versus = try #require(arms[1].versusPlainB)
        #expect(abs(versus.difference.value - (arms[1].report.macroF1.value - arms[0].report.macroF1.value)) < 1e-12)
        #expect(arms[0].alignment == nil && arms[0].versusPlainB == nil)
        #expect(lines.contains { $0.hasPrefix("(b) class priors aligned on \(split.unlabelledIndices.count) unlabelled pool sequences in ") })
    }
}
