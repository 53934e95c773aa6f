import Statistics
import Testing

@Suite struct ReportTests {
    @Test func classificationReportBundlesMetricsWithIntervals() {
        // 60 samples of 3 classes: class c is predicted right except every fifth sample.
        let truth = (0..<60).map { $0 % 3 }
        let predicted = truth.enumerated().map { i, t in i % 5 == 0 ? (t + 1) % 3 : t }
        let probabilities = truth.indices.map { i -> [Double] in
            var row = [0.1, 0.1, 0.1]
            row[predicted[i]] = 0.8
            return row
        }
        let perturbed = predicted.enumerated().map { i, p in i % 12 == 0 ? (p + 2) % 3 : p }
        let report = ClassificationReport(
            classNames: ["a", "b", "c"], truth: truth, predicted: predicted, probabilities: probabilities,
            perturbedPredictions: perturbed, bootstrap: Bootstrap(resamples: 400, seed: 2))
        #expect(report.accuracy.value == 48.0 / 60)
        #expect(report.accuracy.lower < 0.8 && report.accuracy.upper > 0.8 && report.accuracy.upper <= 1)
        expectClose(report.macroF1.value, ConfusionMatrix(classNames: ["a", "b", "c"], truth: truth, predicted: predicted).macroF1,
                    absolute: 1e-15, "macro-F1")
        let auc = report.macroAUC!
        #expect(auc.value == ClassificationMetrics.macroAUC(truth: truth, probabilities: probabilities).value)
        #expect(auc.lower <= auc.value && auc.value <= auc.upper)
        #expect(report.stability!.value == 55.0 / 60)
        #expect(report.aucSkippedClasses.isEmpty && report.absentClasses.isEmpty)
        #expect(report.accuracy.method == .bca)

        // Without probabilities or perturbed predictions those estimates are absent.
        let bare = ClassificationReport(classNames: ["a", "b", "c"], truth: truth, predicted: predicted,
                                        bootstrap: Bootstrap(resamples: 100, seed: 2), method: .percentile)
        #expect(bare.macroAUC == nil && bare.stability == nil)
        #expect(bare.accuracy.method == .percentile)
    }

    @Test func clusteredReportResamplesSubjects() {
        let truth = (0..<40).map { $0 % 2 }
        let predicted = truth.enumerated().map { i, t in i < 8 ? 1 - t : t }  // subjects s0 and s1 all wrong
        let subjects = (0..<40).map { "s\($0 / 4)" }
        let byCluster = ClassificationReport(classNames: ["no", "yes"], truth: truth, predicted: predicted,
                                             clusters: subjects, bootstrap: Bootstrap(resamples: 500, seed: 8))
        let bySample = ClassificationReport(classNames: ["no", "yes"], truth: truth, predicted: predicted,
                                            bootstrap: Bootstrap(resamples: 500, seed: 8))
        #expect(byCluster.clustered && !bySample.clustered)
        #expect(byCluster.accuracy.value == 0.8)
        // Errors concentrated in two subjects: resampling subjects gives a wider interval.
        let widthCluster = byCluster.accuracy.upper - byCluster.accuracy.lower
        let widthSample = bySample.accuracy.upper - bySample.accuracy.lower
        #expect(widthCluster > widthSample)
    }

    @Test func matchingAccuracyOverallAndPerGroup() {
        // 4 raters × 6 clips; clips c1–c3 are "calm" and always matched except by rater r4,
        // clips c4–c6 are "happy" and matched by r1 and r2 only.
        var ratings: [MatchingRating] = []
        for r in 1...4 {
            for c in 1...6 {
                let intended = c <= 3 ? "calm" : "happy"
                let matched = c <= 3 ? r != 4 : r <= 2
                ratings.append(MatchingRating(rater: "r\(r)", clip: "c\(c)", intended: intended,
                                              chosen: matched ? intended.uppercased() : "sad", group: intended))
            }
        }
        let byRater = MatchingAccuracy.analyze(ratings, resampling: .raters, bootstrap: Bootstrap(resamples: 500, seed: 1))
        #expect(byRater.overall.ratings == 24 && byRater.overall.matches == 15)
        #expect(byRater.overall.accuracy.value == 15.0 / 24)
        #expect(byRater.overall.units == 4)
        #expect(byRater.groups.map(\.group) == ["calm", "happy"])
        #expect(byRater.groups[0].accuracy.value == 0.75 && byRater.groups[1].accuracy.value == 0.5)
        let byClip = MatchingAccuracy.analyze(ratings, resampling: .clips, bootstrap: Bootstrap(resamples: 500, seed: 1))
        #expect(byClip.overall.units == 6 && byClip.groups[0].units == 3)
        // Within "calm" every clip has the same score (3 of 4), so resampling clips gives no spread,
        // while resampling raters does.
        #expect(byClip.groups[0].accuracy.lower == 0.75 && byClip.groups[0].accuracy.upper == 0.75)
        #expect(byRater.groups[0].accuracy.lower < 0.75)
    }
}
