import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Statistics
import Testing

@Suite struct ClassificationMetricsTests {
    // Worked by hand:
    //            predicted 0  1  2
    //   true 0            2  1  1   support 4
    //   true 1            1  2  0   support 3
    //   true 2            0  1  2   support 3
    // accuracy 6/10; precision 2/3, 2/4, 2/3; recall 2/4, 2/3, 2/3;
    // F1 = 2TP/(support + predicted) = 4/7, 4/7, 4/6; macro-F1 = 38/63.
    let names = ["happy", "sad", "calm"]
    let truth = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    let predicted = [0, 0, 1, 2, 1, 1, 0, 2, 2, 1]

    @Test func threeClassConfusionMatrixByHand() {
        let m = ConfusionMatrix(classNames: names, truth: truth, predicted: predicted)
        #expect(m.counts == [[2, 1, 1], [1, 2, 0], [0, 1, 2]])
        #expect(m.total == 10)
        #expect(m.accuracy == 0.6)
        let per = m.perClass
        #expect(per.map(\.support) == [4, 3, 3])
        #expect(per.map(\.predicted) == [3, 4, 3])
        expectClose(per[0].precision!, 2.0 / 3, absolute: 1e-15, "precision happy")
        expectClose(per[1].precision!, 0.5, absolute: 1e-15, "precision sad")
        expectClose(per[0].recall!, 0.5, absolute: 1e-15, "recall happy")
        expectClose(per[2].recall!, 2.0 / 3, absolute: 1e-15, "recall calm")
        expectClose(per[0].f1!, 4.0 / 7, absolute: 1e-15, "F1 happy")
        expectClose(per[1].f1!, 4.0 / 7, absolute: 1e-15, "F1 sad")
        expectClose(per[2].f1!, 2.0 / 3, absolute: 1e-15, "F1 calm")
        expectClose(m.macroF1, 38.0 / 63, absolute: 1e-15, "macro-F1")
        #expect(ClassificationMetrics.accuracy(truth: truth, predicted: predicted) == 0.6)
        let rows = m.rowNormalized
        #expect(rows[0] == [0.5, 0.25, 0.25])
    }

    @Test func absentClassesAreLeftOutOfMacroF1() {
        // Class 2 never occurs; class 3 is predicted once but never true.
        let m = ConfusionMatrix(classNames: ["a", "b", "c", "d"], truth: [0, 0, 1, 1], predicted: [0, 0, 1, 3])
        let per = m.perClass
        #expect(per[2].f1 == nil && per[2].precision == nil && per[2].recall == nil)
        #expect(per[3].f1 == 0 && per[3].precision == 0 && per[3].recall == nil)
        #expect(m.absentClasses == ["c"])
        // F1: a = 1, b = 2·1/(2+1) = 2/3, d = 0 → mean over 3 classes.
        expectClose(m.macroF1, (1 + 2.0 / 3 + 0) / 3, absolute: 1e-15, "macro-F1 without the absent class")
    }

    @Test func aucHandlesTiesConstantAndPerfectScores() {
        // Positives at 0.4 and 0.8, negatives at 0.1 and 0.4: pairs won 1 + 0.5 + 1 + 1 = 3.5 of 4.
        #expect(ClassificationMetrics.binaryAUC(scores: [0.1, 0.4, 0.4, 0.8], positive: [false, false, true, true]) == 0.875)
        #expect(ClassificationMetrics.binaryAUC(scores: [0.3, 0.3, 0.3, 0.3, 0.3], positive: [true, false, true, false, false]) == 0.5)
        #expect(ClassificationMetrics.binaryAUC(scores: [0.1, 0.2, 0.7, 0.9], positive: [false, false, true, true]) == 1)
        #expect(ClassificationMetrics.binaryAUC(scores: [0.1, 0.2, 0.7, 0.9], positive: [true, true, false, false]) == 0)
        #expect(ClassificationMetrics.binaryAUC(scores: [0.1, 0.2], positive: [true, true]) == nil)
    }

    @Test func macroAUCSkipsClassesWithoutPositivesOrNegatives() {
        // Three classes, class 2 never occurs: it is skipped and reported.
        let truth = [0, 0, 1, 1]
        let probabilities: [[Double]] = [[0.9, 0.1, 0], [0.6, 0.4, 0], [0.2, 0.8, 0], [0.55, 0.45, 0]]
        let auc = ClassificationMetrics.macroAUC(truth: truth, probabilities: probabilities)
        #expect(auc.skipped == [2])
        #expect(auc.perClass[2] == nil)
        // Class 0: positives 0.9, 0.6 vs negatives 0.2, 0.55 → 4/4. Class 1: positives 0.8, 0.45 vs 0.1, 0.4 → 4/4.
        #expect(auc.perClass[0] == 1 && auc.perClass[1] == 1)
        #expect(auc.value == 1)
        let constant = ClassificationMetrics.macroAUC(truth: [0, 1, 2, 0], probabilities: Array(repeating: [1.0 / 3, 1.0 / 3, 1.0 / 3], count: 4))
        #expect(constant.value == 0.5 && constant.skipped.isEmpty)
    }

    @Test func stabilityIsAgreementBetweenTwoPredictionRuns() {
        #expect(ClassificationMetrics.stability(original: [0, 1, 2, 2, 1], perturbed: [0, 1, 1, 2, 1]) == 0.8)
        #expect(ClassificationMetrics.stability(original: [3, 3], perturbed: [3, 3]) == 1)
    }

    @Test func confusionMatrixSVGIsLabelledAndAccessible() throws {
        let m = ConfusionMatrix(classNames: ["happy", "sad", "a<b"], truth: truth, predicted: predicted)
        let svg = m.svg(title: "Test set")
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.contains("role=\"img\""))
        #expect(svg.contains("<title id=\"cm-title\">Test set</title>"))
        #expect(svg.contains("Predicted class") && svg.contains("True class"))
        #expect(svg.contains("a&lt;b") && !svg.contains("a<b"))
        #expect(svg.contains("<title>True happy, predicted happy: 2 (50.0% of true happy)</title>"))
        #expect(svg.contains("accuracy 60.0% over 10 samples"))
        // The diagonal cell of 'sad' (2 of 3, 66.7 %) is dark with white ink; 'happy'→'sad' (25 %) light with black.
        #expect(svg.contains(">66.7%</text>"))
        #expect(svg.contains("fill=\"#ffffff\">2</text>"))
        #expect(svg.contains("fill=\"#000000\">1</text>"))
        // Well-formed XML.
        _ = try XMLDocument(xmlString: svg)
    }
}
