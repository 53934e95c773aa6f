import Foundation

/// Per-class multipliers on a classifier's probabilities that make its mean prediction over
/// unlabelled sequences match known class shares ("distribution alignment").
///
/// A network fine-tuned on few child faces can lean towards one class on the whole target domain
/// (weak expressions read as neutral). When the class shares of the target domain are known
/// (from the labelled sample, drawn class by class), the leaning shows on the unlabelled
/// sequences as a mean probability above its share for that class. `fit` finds the multipliers
/// `w_k = exp(b_k)` for which the re-normalised probabilities `p_k w_k / Σ_j p_j w_j`, averaged
/// over the unlabelled sequences, equal the shares: the fixed point of
/// `b_k ← b_k + log(share_k / mean_k)`, iterated until no class's mean is more than `tolerance`
/// from its share. It uses no label of the unlabelled sequences; with a classifier whose mean
/// prediction already matches the shares, every multiplier is 1.
public struct ClassPriorAlignment: Sendable, Equatable, Codable {
    /// The log multipliers, one per class.
    public var logMultipliers: [Double]
    /// The unlabelled sequences' mean probability per class before and after alignment.
    public var meanBefore: [Double]
    public var meanAfter: [Double]
    public var iterations: Int

    /// The largest |log multiplier|: a class nobody predicts cannot pull its weight to infinity.
    public static let maximumLogMultiplier = 10.0

    /// Fits the multipliers to `probabilities` (`[sequences][classes]`, rows summing to 1) and
    /// `shares` (one per class, positive, summing to 1).
    public init(probabilities: [[Double]], shares: [Double], tolerance: Double = 1e-6, maximumIterations: Int = 10_000) {
        precondition(!probabilities.isEmpty, "alignment needs at least one unlabelled sequence")
        precondition(shares.allSatisfy { $0 > 0 } && abs(shares.reduce(0, +) - 1) < 1e-9,
                     "the class shares must be positive and sum to 1, not \(shares)")
        precondition(probabilities.allSatisfy { $0.count == shares.count }, "every probability row needs \(shares.count) classes")
        var bias = [Double](repeating: 0, count: shares.count)
        meanBefore = Self.mean(probabilities, logMultipliers: bias)
        var mean = meanBefore
        var iterations = 0
        while iterations < maximumIterations, zip(mean, shares).contains(where: { abs($0 - $1) > tolerance }) {
            for k in bias.indices {
                let step = log(shares[k] / max(mean[k], .leastNormalMagnitude))
                bias[k] = min(max(bias[k] + step, -Self.maximumLogMultiplier), Self.maximumLogMultiplier)
            }
            mean = Self.mean(probabilities, logMultipliers: bias)
            iterations += 1
        }
        logMultipliers = bias
        meanAfter = mean
        self.iterations = iterations
    }

    /// The class shares of labelled sequences' class indices (`classes` classes; each class
    /// counted at least once, so no share is zero).
    public static func shares(ofLabels labels: [Int], classes: Int) -> [Double] {
        var counts = [Double](repeating: 0, count: classes)
        for label in labels { counts[label] += 1 }
        let smoothed = counts.map { max($0, 1) }
        let total = smoothed.reduce(0, +)
        return smoothed.map { $0 / total }
    }

    /// `probabilities` with the multipliers applied, re-normalised.
    public func apply(_ probabilities: [Double]) -> [Double] {
        Self.adjust(probabilities, logMultipliers: logMultipliers)
    }

    static func adjust(_ p: [Double], logMultipliers: [Double]) -> [Double] {
        let weighted = zip(p, logMultipliers).map { $0 * exp($1) }
        let total = weighted.reduce(0, +)
        return total > 0 ? weighted.map { $0 / total } : p
    }

    static func mean(_ probabilities: [[Double]], logMultipliers: [Double]) -> [Double] {
        var sum = [Double](repeating: 0, count: logMultipliers.count)
        for row in probabilities {
            for (k, value) in adjust(row, logMultipliers: logMultipliers).enumerated() { sum[k] += value }
        }
        return sum.map { $0 / Double(probabilities.count) }
    }
}
