import Statistics
import Testing

@Suite("Paired comparison of two classifiers on the same samples")
struct PairedComparisonTests {
    static let classes = ["a", "b", "c", "d"]

    /// 240 samples of 40 subjects (6 each), four classes. Subjects differ in difficulty, as
    /// children do: the reference gets 0, 1, 2 or 3 of a subject's six samples wrong (by the
    /// subject's number), 60 in all. The variant repairs the errors `repaired` selects.
    static func data(repaired: (Int) -> Bool) -> (truth: [Int], reference: [Int], variant: [Int], subjects: [String]) {
        let truth = (0..<240).map { $0 % 4 }
        let reference = truth.indices.map { $0 % 6 < ($0 / 6) % 4 ? (truth[$0] + 1) % 4 : truth[$0] }
        let variant = truth.indices.map { reference[$0] != truth[$0] && repaired($0) ? truth[$0] : reference[$0] }
        return (truth, reference, variant, truth.indices.map { "s\($0 / 6)" })
    }

    @Test("identical predictions differ by exactly nothing")
    func identical() {
        let d = Self.data { _ in false }
        let same = PairedComparison(
            classNames: Self.classes, truth: d.truth, reference: d.reference, variant: d.reference, clusters: d.subjects,
            bootstrap: Bootstrap(resamples: 200, seed: 3))
        #expect(same.difference.value == 0 && same.difference.lower == 0 && same.difference.upper == 0)
        #expect(same.shareOfResamplesAbove == 0)
        #expect(same.disagreements == 0 && same.onlyVariantRight == 0 && same.onlyReferenceRight == 0)
        #expect(same.clustered && same.resamples == 200 && same.seed == 3)
    }

    @Test("a variant that repairs five errors is above beyond doubt, though the two separate intervals overlap")
    func pairedIsNarrower() {
        // The first sample of each subject numbered 1, 9, 17, 25 or 33: each has one error, there.
        let d = Self.data { $0 % 6 == 0 && ($0 / 6) % 8 == 1 }
        let bootstrap = Bootstrap(resamples: 2000, seed: 7)
        let paired = PairedComparison(
            classNames: Self.classes, truth: d.truth, reference: d.reference, variant: d.variant, clusters: d.subjects,
            bootstrap: bootstrap)
        let reference = ClassificationReport(
            classNames: Self.classes, truth: d.truth, predicted: d.reference, clusters: d.subjects, bootstrap: bootstrap)
        let variant = ClassificationReport(
            classNames: Self.classes, truth: d.truth, predicted: d.variant, clusters: d.subjects, bootstrap: bootstrap)
        #expect(paired.disagreements == 5 && paired.onlyVariantRight == 5 && paired.onlyReferenceRight == 0)
        // The point estimate is the difference of the two reports' macro-F1.
        #expect(abs(paired.difference.value - (variant.macroF1.value - reference.macroF1.value)) < 1e-12)
        #expect(paired.difference.value > 0.01)
        // Separately, the intervals overlap widely: which subjects are drawn moves both alike.
        #expect(variant.macroF1.lower < reference.macroF1.value && reference.macroF1.upper > variant.macroF1.value)
        // Paired, the variant is never below (it gets no sample wrong that the reference gets
        // right) and above unless a resample misses all five subjects.
        #expect(paired.difference.lower > 0)
        #expect(paired.shareOfResamplesAbove > 0.98)
        #expect(paired.difference.upper - paired.difference.lower < (variant.macroF1.upper - variant.macroF1.lower) / 2)

        // The other way round: the same difference, negative.
        let reversed = PairedComparison(
            classNames: Self.classes, truth: d.truth, reference: d.variant, variant: d.reference, clusters: d.subjects,
            bootstrap: bootstrap)
        #expect(abs(reversed.difference.value + paired.difference.value) < 1e-12)
        #expect(reversed.difference.upper < 0 && reversed.shareOfResamplesAbove == 0)
        #expect(reversed.onlyVariantRight == 0 && reversed.onlyReferenceRight == 5)
    }

    @Test("a variant that trades errors evenly is not above: its interval holds zero")
    func evenTrade() throws {
        // The variant repairs every error on an even-numbered sample and breaks as many samples
        // the reference gets right.
        let d = Self.data { $0 % 2 == 0 }
        let repairs = zip(d.reference, d.variant).filter { $0 != $1 }.count
        var variant = d.variant
        var broken = 0
        for i in d.truth.indices where d.reference[i] == d.truth[i] && i % 3 == 1 && broken < repairs {
            variant[i] = (d.truth[i] + 2) % 4
            broken += 1
        }
        try #require(broken == repairs)
        let paired = PairedComparison(
            classNames: Self.classes, truth: d.truth, reference: d.reference, variant: variant, clusters: d.subjects,
            bootstrap: Bootstrap(resamples: 1000, seed: 11))
        #expect(paired.onlyVariantRight == repairs && paired.onlyReferenceRight == repairs && paired.disagreements == 2 * repairs)
        #expect(paired.difference.lower < 0 && paired.difference.upper > 0)
        #expect(paired.shareOfResamplesAbove > 0.05 && paired.shareOfResamplesAbove < 0.95)
        // Without clusters it resamples single samples; the estimate is the same.
        let unclustered = PairedComparison(
            classNames: Self.classes, truth: d.truth, reference: d.reference, variant: variant,
            bootstrap: Bootstrap(resamples: 200, seed: 11))
        #expect(!unclustered.clustered && unclustered.difference.value == paired.difference.value)
    }
}
