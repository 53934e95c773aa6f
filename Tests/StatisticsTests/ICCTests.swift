import EmoMusikCore
import Foundation
import Statistics
import Testing

/// Shrout & Fleiss (1979), Table 2: six targets rated by four judges.
let shroutFleiss: [[Double]] = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]

/// Compares every form with pingouin 0.7.0 (ICC, F, df, p) and with the unrounded CI bounds from
/// the published formulas (scripts/reference_stats.py checks them against pingouin's rounded CI95).
func expectMatchesReference(_ analysis: ICCAnalysis, _ key: String) {
    let ref = reference[key] as! [String: Any]
    expectClose(analysis.msr, double(ref, "msr"), relative: 1e-12, "MSR")
    expectClose(analysis.msc, double(ref, "msc"), relative: 1e-12, "MSC")
    expectClose(analysis.mse, double(ref, "mse"), relative: 1e-12, "MSE")
    expectClose(analysis.msw, double(ref, "msw"), relative: 1e-12, "MSW")
    let forms = ref["forms"] as! [[String: Any]]
    #expect(analysis.results.map(\.form.rawValue) == forms.map { $0["form"] as! String })
    for (result, expected) in zip(analysis.results, forms) {
        let name = result.form.rawValue
        #expect(result.form.label == expected["pingouinType"] as! String)
        expectClose(result.icc, double(expected, "icc"), relative: 1e-10, "\(name) ICC")
        expectClose(result.f, double(expected, "f"), relative: 1e-10, "\(name) F")
        #expect(result.df1 == double(expected, "df1") && result.df2 == double(expected, "df2"), "\(name) df")
        expectClose(result.pValue, double(expected, "p"), relative: 1e-7, "\(name) p")
        let ci = expected["ci95"] as! [Double]
        expectClose(result.lower, ci[0], absolute: 1e-7, "\(name) CI lower")
        expectClose(result.upper, ci[1], absolute: 1e-7, "\(name) CI upper")
        let rounded = expected["ci95Pingouin"] as! [Double]
        #expect((result.lower * 100).rounded() / 100 == rounded[0], "\(name) CI lower as pingouin prints it")
        #expect((result.upper * 100).rounded() / 100 == rounded[1], "\(name) CI upper as pingouin prints it")
    }
}

@Suite struct ICCTests {
    @Test func shroutFleissPublishedValues() throws {
        let analysis = try IntraclassCorrelation.analyze(RatingMatrix(values: shroutFleiss))
        let published: [(ICCForm, Double)] = [
            (.icc1, 0.17), (.icc2, 0.29), (.icc3, 0.71), (.icc1k, 0.44), (.icc2k, 0.62), (.icc3k, 0.91),
        ]
        for (form, value) in published {
            #expect((analysis[form].icc * 100).rounded() / 100 == value, "\(form.rawValue) = \(analysis[form].icc)")
        }
        #expect(analysis.targets == 6 && analysis.raters == 4)
        #expect(analysis[.icc1].df1 == 5 && analysis[.icc1].df2 == 18)
        #expect(analysis[.icc2].df1 == 5 && analysis[.icc2].df2 == 15)
    }

    @Test func shroutFleissMatchesPingouin() throws {
        expectMatchesReference(try IntraclassCorrelation.analyze(RatingMatrix(values: shroutFleiss)), "iccShroutFleiss")
        // The same through the long-format CSV reader.
        let fromCSV = try RatingMatrix.loadLongCSV(path: fixturePath("shrout_fleiss.csv"))
        #expect(fromCSV.values == shroutFleiss)
        #expect(fromCSV.targets.first == "t1" && fromCSV.raters == ["judge1", "judge2", "judge3", "judge4"])
        expectMatchesReference(try IntraclassCorrelation.analyze(fromCSV), "iccShroutFleiss")
    }

    @Test func randomTwentyByFiveMatchesPingouin() throws {
        let ratings = try RatingMatrix.loadLongCSV(path: fixturePath("random_20x5.csv"))
        #expect(ratings.targets.count == 20 && ratings.raters.count == 5)
        expectMatchesReference(try IntraclassCorrelation.analyze(ratings), "iccRandom20x5")
    }

    @Test func ratingsInAnyOrderAndExtraColumns() throws {
        let csv = """
            rating,Rater,Target,comment
            3,b,x,"fine, really"
            4,a,x,
            5,a,y,
            2,b,y,ok

            """
        let m = try RatingMatrix.parseLongCSV(csv, file: "mixed.csv")
        #expect(m.targets == ["x", "y"] && m.raters == ["b", "a"])
        #expect(m.values == [[3, 4], [2, 5]])
    }

    @Test func missingCellNamesTargetAndRater() {
        let csv = "target,rater,rating\nt1,r1,3\nt1,r2,4\nt2,r1,5\nt3,r1,2\nt3,r2,2\n"
        let error = #expect(throws: EmoMusikError.self) { try RatingMatrix.parseLongCSV(csv, file: "gaps.csv") }
        #expect(error?.code == .incompleteDesign)
        #expect(error?.message == "incomplete design: target 't2' has no rating from rater 'r2'")
        #expect(error?.location?.file == "gaps.csv")
    }

    @Test func nonNumericRatingNamesFileLineAndField() {
        let csv = "target,rater,rating\nt1,r1,3\nt1,r2,four\n"
        let error = #expect(throws: EmoMusikError.self) { try RatingMatrix.parseLongCSV(csv, file: "words.csv") }
        #expect(error?.location == SourceLocation(file: "words.csv", line: 3, column: 3, field: "rating"))
        #expect(error?.description.hasPrefix("words.csv:3:3 (rating): 'rating' value 'four' is not a number") == true)
    }

    @Test func missingColumnIsNamedWithTheClosestOne() {
        let csv = "target,rater,ratng\nt1,r1,3\n"
        let error = #expect(throws: EmoMusikError.self) { try RatingMatrix.parseLongCSV(csv, file: "typo.csv") }
        #expect(error?.message == "no column 'rating' in the header")
        #expect(error?.location == SourceLocation(file: "typo.csv", line: 1, field: "rating"))
        #expect(error?.hint == "did you mean 'ratng'? The header has: target, rater, ratng")
    }

    @Test func duplicatesShortRowsAndTooSmallDesignsAreRefused() {
        let duplicate = "target,rater,rating\nt1,r1,3\nt1,r2,4\nt1,r1,5\n"
        let error = #expect(throws: EmoMusikError.self) { try RatingMatrix.parseLongCSV(duplicate, file: "d.csv") }
        #expect(error?.message == "target 't1' is rated by rater 'r1' twice (first on line 2)")
        #expect(error?.location?.line == 4)

        let short = "target,rater,rating\nt1,r1\n"
        let shortError = #expect(throws: EmoMusikError.self) { try RatingMatrix.parseLongCSV(short, file: "s.csv") }
        #expect(shortError?.location == SourceLocation(file: "s.csv", line: 2, field: "rating"))

        let oneRater = "target,rater,rating\nt1,r1,3\nt2,r1,4\n"
        let smallError = #expect(throws: EmoMusikError.self) { try RatingMatrix.parseLongCSV(oneRater, file: "o.csv") }
        #expect(smallError?.message.contains("at least 2 targets and 2 raters") == true)

        let empty = #expect(throws: EmoMusikError.self) { try RatingMatrix.parseLongCSV("\n\n", file: "e.csv") }
        #expect(empty?.message == "'e.csv' is empty: a header row is needed")
    }
}

@Suite struct ReportingTests {
    @Test func ratingsWithoutResidualVarianceAreRefusedNotCrashed() {
        // Raters who differ only by a constant, and ratings that are all equal: no F test exists.
        let shifted = [[3.0, 4.0], [5.0, 6.0], [2.0, 3.0]]
        let constant = [[4.0, 4.0], [4.0, 4.0], [4.0, 4.0]]
        for (values, message) in [(shifted, "no residual variance"), (constant, "are equal")] {
            do {
                _ = try IntraclassCorrelation.analyze(RatingMatrix(values: values))
                Issue.record("\(values) was analysed")
            } catch let error as EmoMusikError {
                #expect(error.code == .invalidValue && error.message.contains(message), "\(error.message)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        // Nearly degenerate but real residual variance still works, and F prints in its column.
        let table = try? IntraclassCorrelation.analyze(RatingMatrix(values: [[3.0, 4.0], [5.0, 6.001], [2.0, 3.0]])).table()
        #expect(table?.contains("e+") == true, "a huge F prints in scientific notation: \(table ?? "")")
    }

    @Test func iccTableShowsEveryFormWithItsTestAndInterval() throws {
        let table = try IntraclassCorrelation.analyze(RatingMatrix(values: shroutFleiss)).table()
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines.count == 8)
        #expect(lines[0] == "Intraclass correlation: 6 targets × 4 raters (MSR 11.2417, MSC 32.4861, MSE 1.0194, MSW 6.2639)")
        #expect(lines[1].hasPrefix("Form  Type      Description") && lines[1].hasSuffix("p  CI95"))
        #expect(lines[2].hasPrefix("ICC1  ICC(1,1)  Single rater, absolute agreement, one-way random raters"))
        #expect(lines[2].hasSuffix("0.166     1.795     5    18     0.1648  [-0.133, 0.723]"))
        #expect(lines[3].hasSuffix("0.290    11.027     5    15   1.35e-04  [0.019, 0.761]"))
        #expect(lines[7].hasPrefix("ICC3k ICC(C,k)  Mean of k raters, consistency, two-way fixed raters"))
        #expect(lines[7].hasSuffix("0.909    11.027     5    15   1.35e-04  [0.676, 0.986]"))
    }

    @Test func bootstrapSummaryNamesBothIntervals() {
        let x: [Double] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 30]
        let result = Bootstrap(resamples: 500, seed: 3).run(count: x.count) { SampleStatistic.mean(x, $0) }
        let text = result.summary(statistic: "mean of 'x'")
        #expect(text.hasPrefix("mean of 'x': 7.5000  (10 observations, 500 resamples, seed 3)\n"))
        #expect(text.contains("95% percentile interval: ["))
        #expect(text.contains("95% BCa interval:        ["))
        #expect(text.contains("acceleration a = "))
    }
}
