/// Accuracy, macro-F1, one-vs-rest macro AUC and stability of a classifier, each with a bootstrap
/// confidence interval, plus the confusion matrix and per-class figures.
///
/// Every metric is bootstrapped with the same seed over the same samples, so the i-th replicate of
/// each metric comes from the same resample.
public struct ClassificationReport: Sendable, Codable {
    public let classNames: [String]
    public let samples: Int
    public let accuracy: Estimate
    public let macroF1: Estimate
    /// nil when no probabilities were given or no class had both positives and negatives.
    public let macroAUC: Estimate?
    /// Classes left out of the AUC: no positive or no negative sample in the full data.
    public let aucSkippedClasses: [String]
    /// Agreement between predictions on original and perturbed inputs; nil when not given.
    public let stability: Estimate?
    public let confusion: ConfusionMatrix
    public let perClass: [ClassMetrics]
    /// Classes absent from both truth and predictions, left out of macro-F1.
    public let absentClasses: [String]
    public let resamples: Int
    public let seed: UInt64
    /// Whether resampling was by cluster (e.g. subject) rather than by sample.
    public let clustered: Bool

    /// - Parameters:
    ///   - truth, predicted: class indices into `classNames`, one per sample.
    ///   - probabilities: per sample, one score per class (for the AUC), or nil.
    ///   - perturbedPredictions: predictions on perturbed copies of the same inputs, or nil.
    ///   - clusters: per sample, the cluster (e.g. subject id) to resample by, or nil for samples.
    ///   - method: the interval reported for every metric (BCa falls back to percentile when it
    ///     cannot be formed; each estimate's `method` says which it is).
    public init(
        classNames: [String], truth: [Int], predicted: [Int],
        probabilities: [[Double]]? = nil, perturbedPredictions: [Int]? = nil,
        clusters: [String]? = nil,
        bootstrap: Bootstrap = Bootstrap(), method: IntervalMethod = .bca
    ) {
        precondition(!truth.isEmpty, "a classification report needs at least one sample")
        precondition(truth.count == predicted.count,
                     "truth has \(truth.count) labels but predicted has \(predicted.count)")
        if let probabilities {
            precondition(probabilities.count == truth.count, "one probability row per sample is needed")
            precondition(probabilities.allSatisfy { $0.count == classNames.count },
                         "every probability row needs \(classNames.count) classes")
        }
        if let perturbedPredictions {
            precondition(perturbedPredictions.count == truth.count, "one perturbed prediction per sample is needed")
        }
        if let clusters { precondition(clusters.count == truth.count, "one cluster per sample is needed") }

        func boot(_ statistic: ([Int]) -> Double) -> BootstrapResult {
            if let clusters { return bootstrap.run(clusters: clusters, statistic: statistic) }
            return bootstrap.run(count: truth.count, statistic: statistic)
        }

        let confusion = ConfusionMatrix(classNames: classNames, truth: truth, predicted: predicted)
        self.classNames = classNames
        self.samples = truth.count
        self.confusion = confusion
        self.perClass = confusion.perClass
        self.absentClasses = confusion.absentClasses
        self.resamples = bootstrap.resamples
        self.seed = bootstrap.seed
        self.clustered = clusters != nil

        accuracy = boot { idx in
            var hits = 0
            for i in idx where truth[i] == predicted[i] { hits += 1 }
            return Double(hits) / Double(idx.count)
        }.interval(method)
        macroF1 = boot { idx in
            ConfusionMatrix(classNames: classNames, truth: truth, predicted: predicted, indices: idx).macroF1
        }.interval(method)

        if let probabilities {
            let full = ClassificationMetrics.macroAUC(truth: truth, probabilities: probabilities)
            aucSkippedClasses = full.skipped.map { classNames[$0] }
            if full.value.isFinite {
                macroAUC = boot { idx in
                    ClassificationMetrics.macroAUC(truth: truth, probabilities: probabilities, indices: idx).value
                }.interval(method)
            } else {
                macroAUC = nil
            }
        } else {
            aucSkippedClasses = []
            macroAUC = nil
        }

        if let perturbedPredictions {
            stability = boot { idx in
                var same = 0
                for i in idx where predicted[i] == perturbedPredictions[i] { same += 1 }
                return Double(same) / Double(idx.count)
            }.interval(method)
        } else {
            stability = nil
        }
    }
}
