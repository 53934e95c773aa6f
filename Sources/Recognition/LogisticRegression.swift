import Foundation

/// Multinomial logistic regression (softmax regression) with L2 regularisation, fitted by full-batch
/// gradient descent with Adam steps on standardised features: the simple baseline the network
/// must beat (on normalised apex-frame landmarks).
///
/// Loss: mean over samples of −log softmax(W x + b)[y], plus `l2 / 2 · ‖W‖²` (the bias is not
/// penalised). Features are standardised with the training set's mean and standard deviation,
/// which the model keeps and applies at prediction.
public struct LogisticRegression: Sendable {
    public let classes: Int
    public let features: Int
    /// Row-major [classes × features].
    public private(set) var weights: [Double]
    public private(set) var bias: [Double]
    public private(set) var mean: [Double]
    public private(set) var scale: [Double]

    /// Fits the model. `inputs` are rows of `features` values, `labels` in `0..<classes`.
    public init(
        inputs: [[Float]], labels: [Int], classes: Int, l2: Double = 1e-3, iterations: Int = 500,
        learningRate: Double = 0.05
    ) {
        precondition(!inputs.isEmpty && inputs.count == labels.count, "one label per input, at least one input")
        precondition(labels.allSatisfy { (0..<classes).contains($0) }, "labels must be in 0..<\(classes)")
        let n = inputs.count, d = inputs[0].count
        precondition(inputs.allSatisfy { $0.count == d }, "every input must have \(d) features")
        self.classes = classes
        self.features = d

        // Standardise.
        var mean = [Double](repeating: 0, count: d), scale = [Double](repeating: 0, count: d)
        for row in inputs { for j in 0..<d { mean[j] += Double(row[j]) / Double(n) } }
        for row in inputs { for j in 0..<d { scale[j] += (Double(row[j]) - mean[j]) * (Double(row[j]) - mean[j]) / Double(n) } }
        scale = scale.map { $0 > 1e-12 ? $0.squareRoot() : 1 }
        self.mean = mean
        self.scale = scale
        let x = inputs.map { row in (0..<d).map { (Double(row[$0]) - mean[$0]) / scale[$0] } }

        var w = [Double](repeating: 0, count: classes * d), b = [Double](repeating: 0, count: classes)
        var mW = w, vW = w, mB = b, vB = b
        let beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8
        var probabilities = [Double](repeating: 0, count: classes)
        for step in 1...max(1, iterations) {
            var gW = [Double](repeating: 0, count: classes * d), gB = [Double](repeating: 0, count: classes)
            for (row, label) in zip(x, labels) {
                Self.softmax(weights: w, bias: b, x: row, classes: classes, into: &probabilities)
                for k in 0..<classes {
                    let error = (probabilities[k] - (k == label ? 1 : 0)) / Double(n)
                    gB[k] += error
                    for j in 0..<d { gW[k * d + j] += error * row[j] }
                }
            }
            for i in gW.indices { gW[i] += l2 * w[i] }
            let correction1 = 1 - pow(beta1, Double(step)), correction2 = 1 - pow(beta2, Double(step))
            for i in w.indices {
                mW[i] = beta1 * mW[i] + (1 - beta1) * gW[i]
                vW[i] = beta2 * vW[i] + (1 - beta2) * gW[i] * gW[i]
                w[i] -= learningRate * (mW[i] / correction1) / ((vW[i] / correction2).squareRoot() + epsilon)
            }
            for k in b.indices {
                mB[k] = beta1 * mB[k] + (1 - beta1) * gB[k]
                vB[k] = beta2 * vB[k] + (1 - beta2) * gB[k] * gB[k]
                b[k] -= learningRate * (mB[k] / correction1) / ((vB[k] / correction2).squareRoot() + epsilon)
            }
        }
        weights = w
        bias = b
    }

    /// Class probabilities for one input.
    public func probabilities(_ input: [Float]) -> [Double] {
        precondition(input.count == features, "expected \(features) features, got \(input.count)")
        let x = (0..<features).map { (Double(input[$0]) - mean[$0]) / scale[$0] }
        var result = [Double](repeating: 0, count: classes)
        Self.softmax(weights: weights, bias: bias, x: x, classes: classes, into: &result)
        return result
    }

    /// The most probable class for one input.
    public func predict(_ input: [Float]) -> Int {
        let p = probabilities(input)
        return p.indices.max { p[$0] < p[$1] }!
    }

    private static func softmax(weights: [Double], bias: [Double], x: [Double], classes: Int, into result: inout [Double]) {
        let d = x.count
        var largest = -Double.infinity
        for k in 0..<classes {
            var z = bias[k]
            for j in 0..<d { z += weights[k * d + j] * x[j] }
            result[k] = z
            largest = max(largest, z)
        }
        var total = 0.0
        for k in 0..<classes {
            result[k] = exp(result[k] - largest)
            total += result[k]
        }
        for k in 0..<classes { result[k] /= total }
    }
}
