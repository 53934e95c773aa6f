/// How much a classifier's macro-F1 differs from a reference classifier's on the same samples,
/// with a paired bootstrap interval.
///
/// Both classifiers predict the same samples, so each resample draws the same samples (or
/// clusters, e.g. subjects) for both and takes the difference of their macro-F1 there. What the
/// two share (which samples are hard, which subjects are in the test set) cancels, and the
/// interval of the difference is far narrower than the two separate intervals suggest: two
/// classifiers whose intervals overlap can still differ beyond doubt, or not at all.
public struct PairedComparison: Sendable, Codable, Equatable {
    /// macro-F1 of the variant minus macro-F1 of the reference, with its interval.
    public let difference: Estimate
    /// The share of resamples in which the variant's macro-F1 is above the reference's.
    public let shareOfResamplesAbove: Double
    /// Samples whose prediction differs between the two, and of those, how many the variant gets
    /// right and the reference wrong, and the other way round.
    public let disagreements: Int
    public let onlyVariantRight: Int
    public let onlyReferenceRight: Int
    public let resamples: Int
    public let seed: UInt64
    public let clustered: Bool

    /// - Parameters:
    ///   - truth, reference, variant: class indices into `classNames`, one per sample, the two
    ///     predictions of the same samples in the same order.
    ///   - clusters: per sample, the cluster to resample by (e.g. the subject), or nil for samples.
    public init(
        classNames: [String], truth: [Int], reference: [Int], variant: [Int], clusters: [String]? = nil,
        bootstrap: Bootstrap = Bootstrap(), method: IntervalMethod = .bca
    ) {
        precondition(!truth.isEmpty, "a paired comparison needs at least one sample")
        precondition(reference.count == truth.count && variant.count == truth.count,
                     "truth has \(truth.count) labels but the predictions \(reference.count) and \(variant.count)")
        if let clusters { precondition(clusters.count == truth.count, "one cluster per sample is needed") }
        func difference(_ indices: [Int]) -> Double {
            ConfusionMatrix(classNames: classNames, truth: truth, predicted: variant, indices: indices).macroF1
                - ConfusionMatrix(classNames: classNames, truth: truth, predicted: reference, indices: indices).macroF1
        }
        let result = clusters.map { bootstrap.run(clusters: $0, statistic: difference) }
            ?? bootstrap.run(count: truth.count, statistic: difference)
        self.difference = result.interval(method)
        let finite = result.sortedReplicates
        shareOfResamplesAbove = finite.isEmpty ? 0 : Double(finite.filter { $0 > 0 }.count) / Double(finite.count)
        var disagreements = 0, onlyVariant = 0, onlyReference = 0
        for i in truth.indices where reference[i] != variant[i] {
            disagreements += 1
            if variant[i] == truth[i] { onlyVariant += 1 }
            if reference[i] == truth[i] { onlyReference += 1 }
        }
        self.disagreements = disagreements
        onlyVariantRight = onlyVariant
        onlyReferenceRight = onlyReference
        resamples = bootstrap.resamples
        seed = bootstrap.seed
        clustered = clusters != nil
    }
}
