import EmoMusikCore
import Foundation
@testable import Statistics
import Testing

/// 2 groups × 3 subjects × pre/post, complete (the same as Fixtures/mmrm_tiny.csv). With complete
/// data and the saturated group × visit means the REML fit has a closed form: β̂ gives the cell
/// means, Σ̂ is the residual cross-product matrix over n − G = 4, and every Satterthwaite df of a
/// contrast within the means is exactly n − G (a Wishart with 4 degrees of freedom).
private let tinyCSV = """
    subject,group,visit,score
    b1,control,pre,1.2
    b1,control,post,1.5
    b2,control,pre,1.6
    b2,control,post,1.7
    b3,control,pre,1.1
    b3,control,post,1.6
    a1,music,pre,1.0
    a1,music,post,2.4
    a2,music,pre,1.3
    a2,music,post,2.5
    a3,music,pre,1.54
    a3,music,post,2.72

    """

@Suite struct MMRMTests {
    @Test func tinyCaseHasTheClosedForm() throws {
        let analysis = try MMRM.analyze(MMRMData.parse(tinyCSV, file: "tiny.csv"))
        #expect(analysis.groups == ["control", "music"] && analysis.visits == ["pre", "post"])
        // Residuals from the cell means (1.3, 1.6 | 1.28, 2.54), by hand.
        let pre: [Double] = [-0.1, 0.3, -0.2, -0.28, 0.02, 0.26]
        let post: [Double] = [-0.1, 0.1, 0.0, -0.14, -0.04, 0.18]
        let s11 = zip(pre, pre).map(*).reduce(0, +) / 4  // 0.0716
        let s22 = zip(post, post).map(*).reduce(0, +) / 4  // 0.0184
        let s12 = zip(pre, post).map(*).reduce(0, +) / 4  // 0.0313
        expectClose(analysis.covariance[0][0], s11, relative: 1e-9, "Σ pre")
        expectClose(analysis.covariance[1][1], s22, relative: 1e-9, "Σ post")
        expectClose(analysis.covariance[0][1], s12, relative: 1e-9, "Σ pre,post")
        expectClose(analysis.covariance[1][0], s12, relative: 1e-9, "Σ post,pre")

        let means: [Double] = [1.3, 1.6, 1.28, 2.54]
        let variances = [s11, s22, s11, s22].map { $0 / 3 }
        let t4 = StudentT(df: 4).quantile(0.975)
        for (k, ls) in analysis.lsMeans.enumerated() {
            expectClose(ls.estimate, means[k], relative: 1e-12, "LS mean \(ls.name)")
            expectClose(ls.standardError, variances[k].squareRoot(), relative: 1e-9, "SE \(ls.name)")
            expectClose(ls.df, 4, relative: 1e-8, "df \(ls.name)")
            expectClose(ls.lower, means[k] - t4 * ls.standardError, absolute: 1e-12, "CI \(ls.name)")
        }
        // music − control at post: 0.94 with SE √(2 s22 / 3), 4 df.
        let post2 = analysis.groupContrasts[1]
        #expect(post2.name == "music − control at post")
        expectClose(post2.estimate, 0.94, relative: 1e-12, "contrast")
        expectClose(post2.standardError, (2 * s22 / 3).squareRoot(), relative: 1e-9, "contrast SE")
        expectClose(post2.df, 4, relative: 1e-8, "contrast df")
        expectClose(post2.p, StudentT(df: 4).twoSidedP(post2.t), relative: 1e-9, "contrast p")
        // Change pre → post in the music group: 2.54 − 1.28 = 1.26, variance (s11 + s22 − 2 s12) / 3.
        let change = analysis.changes[1]
        #expect(change.group == "music" && change.visit == "post")
        expectClose(change.estimate, 1.26, relative: 1e-12, "change")
        expectClose(change.standardError, ((s11 + s22 - 2 * s12) / 3).squareRoot(), relative: 1e-9, "change SE")
        expectClose(change.df, 4, relative: 1e-8, "change df")
        expectClose(analysis.changeDifferences[0].estimate, 1.26 - 0.3, relative: 1e-12, "difference in change")
        // Percent improvement as the study reports it: 1.280 → 2.540 is +98.4375 %.
        let music = analysis.percentChanges.first { $0.group == "music" }!
        expectClose(music.modelPercent, 98.4375, relative: 1e-12, "model percent")
        expectClose(music.observedPercent, 98.4375, relative: 1e-12, "observed percent")
        #expect(music.observedPreCount == 3 && music.observedPostCount == 3)
        expectClose(analysis.percentChanges[0].observedPercent, 0.3 / 1.3 * 100, relative: 1e-12, "control percent")
        #expect(analysis.iterations >= 1 && analysis.maxGradient < 1e-6)
    }

    /// The analytic gradient and observed Hessian over σ, and their chaining to the Cholesky
    /// parameters θ, against central differences.
    @Test func derivativesMatchFiniteDifferences() throws {
        let data = try MMRMData.load(path: fixturePath("mmrm_weeks.csv"))
        let engine = MMRMEngine(data: data)
        let sigma = MMRMMatrix([[0.30, 0.20, 0.15, 0.10], [0.20, 0.40, 0.25, 0.20], [0.15, 0.25, 0.45, 0.30],
                                [0.10, 0.20, 0.30, 0.70]])
        let s0 = engine.pairs.map { sigma[$0.0, $0.1] }
        let state = try #require(engine.evaluate(sigma, hessian: true))
        let h = 1e-5
        for k in s0.indices {
            var up = s0, down = s0
            up[k] += h
            down[k] -= h
            let fUp = try #require(engine.evaluate(engine.sigma(from: up), hessian: false))
            let fDown = try #require(engine.evaluate(engine.sigma(from: down), hessian: false))
            let numeric = (fUp.logLikelihood - fDown.logLikelihood) / (2 * h)
            expectClose(state.gradient[k], numeric, relative: 1e-6, absolute: 1e-5, "∂ℓ/∂σ_\(k)")
            for j in s0.indices {
                let numericH = (fUp.gradient[j] - fDown.gradient[j]) / (2 * h)
                expectClose(state.hessian![k, j], numericH, relative: 1e-6, absolute: 1e-3, "∂²ℓ/∂σ_\(k)∂σ_\(j)")
            }
            // ∂C/∂σ_k = C M_k C, which the Satterthwaite gradient uses.
            let dc = state.c * state.m[k] * state.c
            let numericC = (fUp.c - fDown.c).values.map { $0 / (2 * h) }
            for (a, b) in zip(dc.values, numericC) { expectClose(a, b, relative: 1e-5, absolute: 1e-9, "∂C/∂σ_\(k)") }
        }
        let theta = try #require(engine.theta(from: sigma))
        let (g, hessian) = engine.chain(state, theta: theta)
        func at(_ t: [Double]) -> MMRMState {
            let l = engine.factor(t)
            return engine.evaluate(l * l.transposed, hessian: true)!
        }
        for k in theta.indices {
            var up = theta, down = theta
            up[k] += h
            down[k] -= h
            let sUp = at(up), sDown = at(down)
            expectClose(g[k], (sUp.logLikelihood - sDown.logLikelihood) / (2 * h), relative: 1e-6, absolute: 1e-5, "∂ℓ/∂θ_\(k)")
            let gUp = engine.chain(sUp, theta: up).gradient
            let gDown = engine.chain(sDown, theta: down).gradient
            for j in theta.indices {
                expectClose(hessian[k, j], (gUp[j] - gDown[j]) / (2 * h), relative: 1e-6, absolute: 1e-3, "∂²ℓ/∂θ_\(k)∂θ_\(j)")
            }
        }
    }

    @Test func rowOrderAndReferenceGroupDoNotChangeTheFit() throws {
        let text = try String(contentsOfFile: fixturePath("mmrm_weeks.csv"), encoding: .utf8)
        var lines = text.split(separator: "\n").map(String.init)
        let header = lines.removeFirst()
        // A fixed permutation: every 7th line, cyclically.
        let shuffled = lines.indices.map { lines[($0 * 7) % lines.count] }
        #expect(Set(shuffled).count == lines.count)
        var columns = MMRMColumns()
        columns.referenceGroup = "music"
        let original = try MMRM.analyze(MMRMData.parse(text, file: "weeks.csv"))
        let permuted = try MMRM.analyze(MMRMData.parse(([header] + shuffled).joined(separator: "\n"), file: "w.csv", columns: columns))
        #expect(permuted.groups == ["music", "control"] && permuted.visits == original.visits)
        for i in 0..<4 {
            for j in 0..<4 {
                expectClose(permuted.covariance[i][j], original.covariance[i][j], relative: 1e-8, "Σ[\(i),\(j)]")
            }
        }
        expectClose(permuted.remlLogLikelihood, original.remlLogLikelihood, relative: 1e-10, "REML")
        for ls in original.lsMeans {
            let other = permuted.lsMeans.first { $0.group == ls.group && $0.visit == ls.visit }!
            expectClose(other.estimate, ls.estimate, relative: 1e-8, "LS mean \(ls.name)")
            expectClose(other.df, ls.df, relative: 1e-6, "LS mean df \(ls.name)")
        }
        for (a, b) in zip(original.groupContrasts, permuted.groupContrasts) {
            expectClose(b.estimate, -a.estimate, relative: 1e-8, "contrast \(a.visit ?? "")")
            expectClose(b.df, a.df, relative: 1e-6, "contrast df")
        }
    }

    @Test func visitOrderCanBeGiven() throws {
        // Rows that start with 'post': first appearance would put post first.
        let reordered = "subject,group,visit,score\n" + tinyCSV.split(separator: "\n").dropFirst().reversed().joined(separator: "\n")
        let byAppearance = try MMRMData.parse(reordered, file: "r.csv")
        #expect(byAppearance.visits == ["post", "pre"] && byAppearance.groups == ["music", "control"])
        var columns = MMRMColumns()
        columns.visitOrder = ["pre", "post"]
        columns.referenceGroup = "control"
        let analysis = try MMRM.analyze(MMRMData.parse(reordered, file: "r.csv", columns: columns))
        expectClose(analysis.groupContrasts[1].estimate, 0.94, relative: 1e-12, "contrast")
        expectClose(analysis.percentChanges[1].modelPercent, 98.4375, relative: 1e-12, "percent")

        columns.visitOrder = ["pre", "mid"]
        let error = #expect(throws: EmoMusikError.self) { try MMRMData.parse(reordered, file: "r.csv", columns: columns) }
        #expect(error?.message.contains("r.csv:2:3 (visit): visit 'post' is not in the visit order pre,mid") == true)
        #expect(error?.message.contains("visit 'mid' of the visit order has no rows") == true)
    }

    @Test func everyBadRowIsReportedWithItsLine() {
        let csv = """
            subject,group,visit,score
            s1,a,pre,1.0
            s1,a,post,x
            s2,a,pre,2
            s2,a,pre,2.5
            s3,b,pre,1
            s3,c,post,2
            s4,b,pre,1
            s4,b,post,1.2
            s5,d,pre,3
            s5,d,post,3.5
            ,a,post,2

            """
        let error = #expect(throws: EmoMusikError.self) { try MMRMData.parse(csv, file: "bad.csv") }
        let message = error?.message ?? ""
        #expect(message.hasPrefix("5 problem(s) in 'bad.csv':"), "\(message)")
        #expect(message.contains("bad.csv:3:4 (score): 'score' value 'x' is not a number"))
        #expect(message.contains("bad.csv:5:3 (visit): subject 's2' has visit 'pre' twice (first on line 4)"))
        #expect(message.contains("bad.csv:7:2 (group): subject 's3' is in group 'c' here but in group 'b' on line 6"))
        #expect(message.contains("bad.csv:12:1 (subject): 'subject' is empty"))
        #expect(message.contains("group 'd' has 1 subject(s) (s5); each group needs at least 2"))
        #expect(message.contains("group 'c' has 0 subject(s)") == false)
        #expect(error?.hint?.contains("one row per subject and visit") == true)
    }

    @Test func missingColumnsAndBaselineProblems() {
        let noScore = #expect(throws: EmoMusikError.self) {
            try MMRMData.parse("subject,group,visit,scor\ns1,a,1,2\n", file: "h.csv")
        }
        #expect(noScore?.message.contains("no column 'score' in the header") == true)
        #expect(noScore?.message.contains("did you mean 'scor'?") == true)

        var columns = MMRMColumns()
        columns.covariates = ["age", "visit"]
        let covariates = #expect(throws: EmoMusikError.self) {
            try MMRMData.parse("subject,group,visit,score,age\ns1,a,1,2,9\n", file: "c.csv", columns: columns)
        }
        #expect(covariates?.message.contains("covariate 'visit' is already the subject, group, visit or score column") == true)

        let baseline = """
            subject,group,visit,score,baseline
            s1,a,1,2,3
            s1,a,2,2,3.5
            s2,a,1,2,
            """
        let error = #expect(throws: EmoMusikError.self) { try MMRMData.parse(baseline, file: "b.csv") }
        #expect(error?.message.contains("b.csv:3:5 (baseline): subject 's1' has baseline 3.5 here but 3 on line 2") == true)
        #expect(error?.message.contains("b.csv:4:5 (baseline): 'baseline' is empty") == true)

        // An explicit "no baseline" ignores the column.
        columns = MMRMColumns()
        columns.baseline = .none
        let ignored = try? MMRMData.parse(baseline, file: "b.csv", columns: columns)
        #expect(ignored != nil && ignored?.baselineName == nil && ignored?.subjects.count == 2)
    }

    @Test func unestimableDesignsAreNamed() {
        // The control group is never seen at 'post'; 'pre' and 'follow' never together.
        let csv = """
            subject,group,visit,score
            s1,control,pre,1
            s2,control,pre,2
            s3,music,pre,1
            s3,music,post,2
            s4,music,post,3
            s4,music,follow,3
            s1,control,follow,2
            """
        let error = #expect(throws: EmoMusikError.self) { try MMRMData.parse(csv, file: "d.csv") }
        #expect(error?.message.contains("group 'control' has no score at visit 'post'") == true)
        #expect(error?.message.contains("no subject has both visit 'pre' and visit 'follow'") == false)
        #expect(error?.message.contains("no subject has both visit 'post' and visit 'follow'") == false)
        let apart = csv.replacingOccurrences(of: "s1,control,follow,2", with: "s5,control,follow,2\ns5,control,post,2")
        let second = #expect(throws: EmoMusikError.self) { try MMRMData.parse(apart, file: "d.csv") }
        #expect(second?.message.contains("no subject has both visit 'pre' and visit 'follow', so their covariance cannot be estimated") == true)
    }

    @Test func aFitThatDoesNotConvergeIsRefused() throws {
        let data = try MMRMData.load(path: fixturePath("mmrm_weeks.csv"))
        let error = #expect(throws: EmoMusikError.self) { try MMRM.analyze(data, maxIterations: 1) }
        #expect(error?.code == .modelFit)
        #expect(error?.message.contains("did not converge in 1 Newton iteration(s)") == true)
        let converged = try MMRM.analyze(data)
        #expect(converged.iterations > 1 && converged.iterations < 50)
        #expect(converged.maxGradient < 1e-6)
    }

    @Test func aDegenerateCovarianceIsRefusedNotCrashed() throws {
        // post = pre + 1 for every subject: Σ is singular, REML runs to the boundary.
        var rows = ["subject,group,visit,score"]
        for i in 0..<8 {
            let pre = Double(i % 4) * 0.5 + 1
            rows.append("s\(i),\(i < 4 ? "a" : "b"),pre,\(pre)")
            rows.append("s\(i),\(i < 4 ? "a" : "b"),post,\(pre + 1)")
        }
        let data = try MMRMData.parse(rows.joined(separator: "\n"), file: "flat.csv")
        let error = #expect(throws: EmoMusikError.self) { try MMRM.analyze(data) }
        #expect(error?.code == .modelFit)
    }

    @Test func tableListsEverySection() throws {
        let analysis = try MMRM.analyze(MMRMData.parse(tinyCSV, file: "tiny.csv"))
        let table = analysis.table()
        for needle in ["MMRM: 6 subjects", "converged in", "Covariance", "Fixed effects", "Least-squares means",
                       "music − control at post", "Change from pre", "Percent improvement", "+98.44 %",
                       "Satterthwaite"] {
            #expect(table.contains(needle), "missing \(needle) in\n\(table)")
        }
    }
}
