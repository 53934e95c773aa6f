/// Counts of true against predicted classes: `counts[t][p]` is how many samples of true class t
/// were predicted as class p (rows true, columns predicted).
public struct ConfusionMatrix: Sendable, Equatable, Codable {
    public let classNames: [String]
    public let counts: [[Int]]

    /// Counts `truth[i]` against `predicted[i]`; labels are indices into `classNames`.
    public init(classNames: [String], truth: [Int], predicted: [Int]) {
        self.init(classNames: classNames, truth: truth, predicted: predicted, indices: Array(truth.indices))
    }

    /// Counts only the samples at `indices` (with repeats, as a bootstrap resample gives them).
    public init(classNames: [String], truth: [Int], predicted: [Int], indices: [Int]) {
        precondition(truth.count == predicted.count,
                     "truth has \(truth.count) labels but predicted has \(predicted.count)")
        let k = classNames.count
        precondition(k >= 1, "a confusion matrix needs at least one class")
        var counts = Array(repeating: Array(repeating: 0, count: k), count: k)
        for i in indices {
            let t = truth[i]
            let p = predicted[i]
            precondition(t >= 0 && t < k, "true label \(t) at sample \(i) is not a class index 0..<\(k)")
            precondition(p >= 0 && p < k, "predicted label \(p) at sample \(i) is not a class index 0..<\(k)")
            counts[t][p] += 1
        }
        self.classNames = classNames
        self.counts = counts
    }

    /// A matrix from counts already made (rows true, columns predicted).
    public init(classNames: [String], counts: [[Int]]) {
        precondition(counts.count == classNames.count && counts.allSatisfy { $0.count == classNames.count },
                     "counts must be \(classNames.count) × \(classNames.count)")
        self.classNames = classNames
        self.counts = counts
    }

    public var classCount: Int { classNames.count }
    public var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }
    public var correct: Int { (0..<classCount).reduce(0) { $0 + counts[$1][$1] } }

    /// Correct over total; NaN for an empty matrix.
    public var accuracy: Double { total == 0 ? .nan : Double(correct) / Double(total) }

    /// Each row divided by its sum (a row with no samples stays all zeros).
    public var rowNormalized: [[Double]] {
        counts.map { row in
            let sum = row.reduce(0, +)
            return row.map { sum == 0 ? 0 : Double($0) / Double(sum) }
        }
    }

    /// Precision, recall and F1 of every class.
    public var perClass: [ClassMetrics] {
        (0..<classCount).map { c in
            let tp = counts[c][c]
            let support = counts[c].reduce(0, +)
            let predicted = (0..<classCount).reduce(0) { $0 + counts[$1][c] }
            return ClassMetrics(name: classNames[c], truePositives: tp, support: support, predicted: predicted)
        }
    }

    /// The unweighted mean F1 over the classes that occur in the truth or in the predictions.
    ///
    /// A class absent from both has no defined F1 and is left out of the mean (so a bootstrap
    /// resample that happens to miss a rare class is averaged over the classes it has). A class in
    /// the truth but never predicted, or predicted but never true, has F1 = 0 and counts.
    /// NaN when no class occurs at all (an empty matrix).
    public var macroF1: Double {
        let values = perClass.compactMap(\.f1)
        return values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
    }

    /// The classes left out of ``macroF1``: absent from both truth and predictions.
    public var absentClasses: [String] { perClass.filter { $0.f1 == nil }.map(\.name) }
}

/// Precision, recall and F1 of one class, one-vs-rest.
public struct ClassMetrics: Sendable, Equatable, Codable {
    public let name: String
    public let truePositives: Int
    /// Samples whose true class is this one.
    public let support: Int
    /// Samples predicted as this class.
    public let predicted: Int

    public init(name: String, truePositives: Int, support: Int, predicted: Int) {
        self.name = name
        self.truePositives = truePositives
        self.support = support
        self.predicted = predicted
    }

    /// TP / predicted; nil when nothing was predicted as this class.
    public var precision: Double? { predicted == 0 ? nil : Double(truePositives) / Double(predicted) }
    /// TP / support; nil when the class never occurs in the truth.
    public var recall: Double? { support == 0 ? nil : Double(truePositives) / Double(support) }
    /// 2 TP / (2 TP + FP + FN) = 2 TP / (support + predicted): the harmonic mean of precision and
    /// recall when both exist, 0 when the class is true but never predicted or predicted but never
    /// true, nil when the class is absent from both.
    public var f1: Double? {
        support + predicted == 0 ? nil : 2 * Double(truePositives) / Double(support + predicted)
    }
}

/// Area under the ROC curve, one class against the rest, averaged over classes.
public struct MacroAUC: Sendable, Equatable, Codable {
    /// The unweighted mean over the classes that have both positives and negatives; NaN if none has.
    public let value: Double
    /// Per class; nil for a skipped class.
    public let perClass: [Double?]
    /// Indices of classes skipped because they had no positive or no negative sample.
    public let skipped: [Int]
}

/// Metrics on label arrays: labels are class indices 0..<k.
public enum ClassificationMetrics {
    /// The fraction of samples with `truth[i] == predicted[i]`.
    public static func accuracy(truth: [Int], predicted: [Int]) -> Double {
        precondition(truth.count == predicted.count, "truth and predicted differ in length")
        guard !truth.isEmpty else { return .nan }
        return Double(zip(truth, predicted).filter { $0 == $1 }.count) / Double(truth.count)
    }

    /// Stability: the fraction of samples whose prediction on the perturbed input equals the
    /// prediction on the original input (the truth plays no part).
    public static func stability(original: [Int], perturbed: [Int]) -> Double {
        precondition(original.count == perturbed.count,
                     "original has \(original.count) predictions but perturbed has \(perturbed.count)")
        return accuracy(truth: original, predicted: perturbed)
    }

    /// AUC of `scores` for separating positives from negatives: the Mann–Whitney U of the
    /// positives' ranks over nPos · nNeg, with tied scores given their mid-rank (so a tie between a
    /// positive and a negative counts one half). nil without positives or without negatives.
    public static func binaryAUC(scores: [Double], positive: [Bool]) -> Double? {
        precondition(scores.count == positive.count, "scores and labels differ in length")
        let nPos = positive.filter { $0 }.count
        let nNeg = positive.count - nPos
        guard nPos > 0, nNeg > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSumPositive = 0.0
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && scores[order[end + 1]] == scores[order[start]] { end += 1 }
            // Ranks start+1 ... end+1 share their mean.
            let midRank = Double(start + end + 2) / 2
            for j in start...end where positive[order[j]] { rankSumPositive += midRank }
            start = end + 1
        }
        let u = rankSumPositive - Double(nPos) * Double(nPos + 1) / 2
        return u / (Double(nPos) * Double(nNeg))
    }

    /// One-vs-rest macro AUC: for each class c, the AUC of `probabilities[i][c]` for separating
    /// samples of class c from the others; classes with no positive or no negative sample are
    /// skipped and listed. `indices` selects (with repeats) the samples to use; nil means all.
    public static func macroAUC(truth: [Int], probabilities: [[Double]], indices: [Int]? = nil) -> MacroAUC {
        precondition(truth.count == probabilities.count,
                     "truth has \(truth.count) labels but there are \(probabilities.count) probability rows")
        let k = probabilities.first?.count ?? 0
        precondition(probabilities.allSatisfy { $0.count == k }, "every probability row needs \(k) classes")
        let rows = indices ?? Array(truth.indices)
        var perClass: [Double?] = []
        var skipped: [Int] = []
        for c in 0..<k {
            let auc = binaryAUC(scores: rows.map { probabilities[$0][c] }, positive: rows.map { truth[$0] == c })
            perClass.append(auc)
            if auc == nil { skipped.append(c) }
        }
        let values = perClass.compactMap { $0 }
        return MacroAUC(
            value: values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count),
            perClass: perClass, skipped: skipped)
    }
}
