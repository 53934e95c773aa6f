import Foundation
import Statistics
import Testing

// Agreement with scripts/reference_mmrm.py: an independent dense numpy/scipy REML fit (plain
// Cholesky parameters, BFGS then Newton polish) whose Satterthwaite df use finite differences
// only, and whose likelihood matches statsmodels MixedLM on the compound-symmetry special case.
//
// Tolerances (relative to the reference value, plus a small absolute floor for values near 0).
// Achieved agreement (scripts/reference_mmrm.py --compare .build/debug/emomusik) is about 1e-13
// for estimates and 2e-7 for df; the tolerances leave room for other platforms' rounding:
//   covariance, fixed effects, SEs, LS means, contrasts, changes, percents   1e-8 relative
//   −2 REML log-likelihood                                                    1e-8 absolute
//   Satterthwaite df                                                          1e-5 relative
//     (the reference differentiates numerically, good to about 1e-7)
//   p-values                                                                  1e-6 relative + 1e-9 absolute
//   CI bounds                                                                 1e-7 absolute

/// The reference numbers written by scripts/reference_mmrm.py.
private func mmrmReference(_ key: String) -> [String: Any] {
    let data = FileManager.default.contents(atPath: fixturePath("mmrm_reference.json"))!
    let root = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    return root[key] as! [String: Any]
}

private let estimateTolerance = 1e-8
private let dfTolerance = 1e-5

private func expectEstimate(_ actual: MMRMEstimate, _ expected: [String: Any], _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
    expectClose(actual.estimate, double(expected, "estimate"), relative: estimateTolerance, absolute: 1e-9,
                "\(what) estimate", sourceLocation: sourceLocation)
    expectClose(actual.standardError, double(expected, "se"), relative: estimateTolerance, "\(what) SE",
                sourceLocation: sourceLocation)
    expectClose(actual.df, double(expected, "df"), relative: dfTolerance, "\(what) df", sourceLocation: sourceLocation)
    expectClose(actual.t, double(expected, "t"), relative: estimateTolerance, absolute: 1e-8, "\(what) t",
                sourceLocation: sourceLocation)
    expectClose(actual.p, double(expected, "p"), relative: 1e-6, absolute: 1e-9, "\(what) p", sourceLocation: sourceLocation)
    let ci = expected["ci"] as! [Double]
    expectClose(actual.lower, ci[0], absolute: 1e-7, "\(what) CI lower", sourceLocation: sourceLocation)
    expectClose(actual.upper, ci[1], absolute: 1e-7, "\(what) CI upper", sourceLocation: sourceLocation)
}

func expectMatchesMMRMReference(_ analysis: MMRMAnalysis, _ key: String) {
    let ref = mmrmReference(key)
    #expect(analysis.groups == ref["groups"] as! [String])
    #expect(analysis.visits == ref["visits"] as! [String])
    #expect(analysis.subjects == ref["subjects"] as! Int && analysis.observations == ref["observations"] as! Int)
    expectClose(analysis.minus2REMLLogLikelihood, double(ref, "minus2REMLLogLik"), absolute: 1e-8, "−2 REML log-likelihood")
    let covariance = ref["covariance"] as! [[Double]]
    for i in covariance.indices {
        for j in covariance.indices {
            expectClose(analysis.covariance[i][j], covariance[i][j], relative: estimateTolerance, absolute: 1e-10, "Σ[\(i),\(j)]")
        }
    }
    let means = ref["covariateMeans"] as! [String: Double]
    #expect(analysis.covariateMeans.count == means.count)
    for m in analysis.covariateMeans { expectClose(m.mean, means[m.name]!, relative: 1e-12, "mean \(m.name)") }

    let fixed = ref["fixedEffects"] as! [[String: Any]]
    #expect(analysis.fixedEffects.map(\.name) == fixed.map { $0["name"] as! String })
    for (a, e) in zip(analysis.fixedEffects, fixed) { expectEstimate(a, e, a.name) }

    let lsMeans = ref["lsMeans"] as! [[String: Any]]
    #expect(analysis.lsMeans.count == lsMeans.count)
    for (a, e) in zip(analysis.lsMeans, lsMeans) {
        #expect(a.group == e["group"] as? String && a.visit == e["visit"] as? String)
        expectEstimate(a, e, a.name)
    }
    for (mine, theirs) in [(analysis.groupContrasts, "groupContrasts"), (analysis.changes, "changes"),
                           (analysis.changeDifferences, "changeDifferences")] {
        let expected = ref[theirs] as! [[String: Any]]
        #expect(mine.count == expected.count, "\(theirs) count")
        for (a, e) in zip(mine, expected) {
            #expect(a.group == e["group"] as? String && a.visit == e["visit"] as? String, "\(theirs) order")
            #expect(a.reference == e["reference"] as? String, "\(theirs) reference")
            expectEstimate(a, e, "\(theirs) \(a.name)")
        }
    }
    let percents = ref["percentImprovement"] as! [[String: Any]]
    #expect(analysis.percentChanges.count == percents.count)
    for (a, e) in zip(analysis.percentChanges, percents) {
        #expect(a.group == e["group"] as! String && a.visit == e["visit"] as! String)
        expectClose(a.modelPre, double(e, "modelPre"), relative: estimateTolerance, "\(a.group) \(a.visit) model pre")
        expectClose(a.modelPost, double(e, "modelPost"), relative: estimateTolerance, "\(a.group) \(a.visit) model post")
        expectClose(a.modelPercent, double(e, "modelPercent"), relative: estimateTolerance, absolute: 1e-9, "model percent")
        expectClose(a.observedPre, double(e, "observedPre"), relative: 1e-12, "observed pre")
        expectClose(a.observedPost, double(e, "observedPost"), relative: 1e-12, "observed post")
        expectClose(a.observedPercent, double(e, "observedPercent"), relative: 1e-10, absolute: 1e-10, "observed percent")
    }
}

@Suite struct MMRMReferenceTests {
    @Test func tinyCaseMatchesReference() throws {
        let analysis = try MMRM.analyze(MMRMData.load(path: fixturePath("mmrm_tiny.csv")))
        expectMatchesMMRMReference(analysis, "tiny")
    }

    /// 2 groups × 40 subjects × 4 visits (weeks 0–12), 38 of 320 visits missing, no baseline column.
    @Test func weeksWithMissingVisitsMatchesReference() throws {
        let analysis = try MMRM.analyze(MMRMData.load(path: fixturePath("mmrm_weeks.csv")))
        #expect(analysis.visits == ["0", "4", "8", "12"])
        #expect(analysis.observationsPerVisit.reduce(0, +) == analysis.observations && analysis.observations < 320)
        expectMatchesMMRMReference(analysis, "weeks")
    }

    /// 3 groups × 25 subjects × 3 visits with a baseline score and age, some drop-outs.
    @Test func baselineAndCovariateMatchesReference() throws {
        var columns = MMRMColumns()
        columns.covariates = ["age"]
        let data = try MMRMData.load(path: fixturePath("mmrm_baseline.csv"), columns: columns)
        #expect(data.baselineName == "baseline" && data.covariateNames == ["age"])
        let analysis = try MMRM.analyze(data)
        expectMatchesMMRMReference(analysis, "baseline")
    }

    /// The script's own cross-check: its likelihood, restricted to compound symmetry, reproduced
    /// statsmodels MixedLM (REML) on the weeks data. Recorded so a regenerated fixture that lost
    /// the check fails here.
    @Test func referenceLikelihoodWasCheckedAgainstStatsmodels() {
        let check = mmrmReference("weeks")["compoundSymmetryCheck"] as! [String: Any]
        let ours = check["ours"] as! [String: Any]
        let statsmodels = check["statsmodels"] as! [String: Any]
        expectClose(double(ours, "reml"), double(statsmodels, "reml"), absolute: 1e-7, "REML log-likelihood")
        expectClose(double(ours, "subjectVariance"), double(statsmodels, "subjectVariance"), relative: 1e-4, "subject variance")
        expectClose(double(ours, "residualVariance"), double(statsmodels, "residualVariance"), relative: 1e-4, "residual variance")
    }
}
