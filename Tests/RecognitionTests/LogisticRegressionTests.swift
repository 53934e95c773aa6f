import EmoMusikCore
import Foundation
import Recognition
import Testing

@Suite("Logistic-regression baseline")
struct LogisticRegressionTests {
    /// Three Gaussian clusters in 4-D, one per class, seeded.
    static func clusters(count: Int, seed: UInt64) -> (inputs: [[Float]], labels: [Int]) {
        var random = SplitMix64(seed: seed)
        func uniform() -> Double { random.nextUnit() }
        func normal() -> Double { (-2 * log(max(uniform(), 1e-300))).squareRoot() * cos(2 * .pi * uniform()) }
        let centres: [[Double]] = [[2, 0, 0, 1], [0, 2, 0, -1], [0, 0, 2, 0]]
        var inputs: [[Float]] = [], labels: [Int] = []
        for i in 0..<count {
            let label = i % 3
            inputs.append(centres[label].map { Float($0 + 0.6 * normal()) })
            labels.append(label)
        }
        return (inputs, labels)
    }

    @Test("separates three clusters; probabilities sum to 1; deterministic")
    func separatesClusters() {
        let train = Self.clusters(count: 300, seed: 1), test = Self.clusters(count: 300, seed: 2)
        let model = LogisticRegression(inputs: train.inputs, labels: train.labels, classes: 3)
        let correct = zip(test.inputs, test.labels).filter { model.predict($0) == $1 }.count
        #expect(Double(correct) / 300 > 0.95, "accuracy \(Double(correct) / 300)")
        let p = model.probabilities(test.inputs[0])
        #expect(abs(p.reduce(0, +) - 1) < 1e-12)
        let again = LogisticRegression(inputs: train.inputs, labels: train.labels, classes: 3)
        #expect(again.weights == model.weights)
    }

    @Test("a constant feature (zero variance) does not break standardisation")
    func constantFeature() {
        let inputs: [[Float]] = [[1, 5], [2, 5], [-1, 5], [-2, 5]]
        let model = LogisticRegression(inputs: inputs, labels: [0, 0, 1, 1], classes: 2)
        #expect(model.predict([3, 5]) == 0 && model.predict([-3, 5]) == 1)
        #expect(model.probabilities([0, 5]).allSatisfy { $0.isFinite })
    }
}
