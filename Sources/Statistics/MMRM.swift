import EmoMusikCore
import Foundation

/// One linear combination of the fixed effects with its Satterthwaite test and interval.
public struct MMRMEstimate: Sendable, Equatable, Codable {
    /// What it is, e.g. `group=music:visit=4`, `music at 4`, `music − control at 4`.
    public var name: String
    public var group: String?
    public var visit: String?
    /// The group it is compared with, for contrasts between groups.
    public var reference: String?
    public var estimate: Double
    public var standardError: Double
    /// Satterthwaite degrees of freedom.
    public var df: Double
    public var t: Double
    /// Two-sided p-value of estimate = 0.
    public var p: Double
    public var lower: Double
    public var upper: Double
}

/// "Percent improvement" as pre/post studies report it: (post − pre) / pre × 100 of group means.
public struct MMRMPercentChange: Sendable, Equatable, Codable {
    public var group: String
    public var visit: String
    /// From the model: least-squares means; pre is the first visit's, or the mean baseline.
    public var modelPre: Double
    public var modelPost: Double
    public var modelPercent: Double
    /// From the data: the group's observed mean at the first visit (or its subjects' mean
    /// baseline) and at this visit, over the subjects observed there.
    public var observedPre: Double
    public var observedPost: Double
    public var observedPercent: Double
    public var observedPreCount: Int
    public var observedPostCount: Int
}

public struct MMRMCovariateMean: Sendable, Equatable, Codable {
    public var name: String
    public var mean: Double
}

/// The result of ``MMRM/analyze(_:level:maxIterations:)``.
public struct MMRMAnalysis: Sendable {
    public let file: String
    public let groups: [String]
    public let visits: [String]
    public let baselineName: String?
    public let covariateNames: [String]
    /// Where least-squares means put the covariates (baseline first): their means over the
    /// observations used in the fit, as emmeans does.
    public let covariateMeans: [MMRMCovariateMean]
    public let subjects: Int
    public let observations: Int
    public let subjectsPerGroup: [Int]
    /// Observations at each visit.
    public let observationsPerVisit: [Int]
    public let level: Double

    /// Newton iterations of the REML fit (it converged, or ``MMRM/analyze(_:level:maxIterations:)`` threw).
    public let iterations: Int
    /// The largest |∂ℓ_R/∂θ| over the Cholesky parameters at the estimate.
    public let maxGradient: Double
    /// The restricted log-likelihood ℓ_R, with its (N − p) log 2π term.
    public let remlLogLikelihood: Double
    public var minus2REMLLogLikelihood: Double { -2 * remlLogLikelihood }
    /// The number of covariance parameters, T(T+1)/2.
    public let covarianceParameters: Int

    /// The unstructured within-subject covariance Σ, visits × visits.
    public let covariance: [[Double]]
    public var correlation: [[Double]] {
        covariance.indices.map { i in
            covariance.indices.map { j in covariance[i][j] / (covariance[i][i] * covariance[j][j]).squareRoot() }
        }
    }

    public let fixedEffects: [MMRMEstimate]
    /// Least-squares means, group by group, visit by visit.
    public let lsMeans: [MMRMEstimate]
    /// Each group minus the reference group at each visit.
    public let groupContrasts: [MMRMEstimate]
    /// Change from the first visit (or from the mean baseline when the model has one), per group.
    public let changes: [MMRMEstimate]
    /// Without a baseline column: each group's change from the first visit minus the reference
    /// group's. (With one, ``groupContrasts`` already compare adjusted changes.)
    public let changeDifferences: [MMRMEstimate]
    public let percentChanges: [MMRMPercentChange]

    /// How the degrees of freedom were found.
    public static let dfMethod = "Satterthwaite; covariance of the variance parameters from the observed REML information (the inverse Hessian), as R's mmrm"
}

/// Mixed Model for Repeated Measures with an unstructured within-subject covariance, fitted by
/// REML; inference with Satterthwaite degrees of freedom. See MMRMFit.swift for the formulas.
public enum MMRM {
    /// Fits the model to `data` and computes the fixed effects, least-squares means, contrasts,
    /// changes and percent changes. Throws ``EmoMusikError/Code/modelFit`` when the design is
    /// not estimable, the fit does not converge within `maxIterations` Newton steps, or the
    /// estimate lies on the boundary (the REML information is singular).
    public static func analyze(_ data: MMRMData, level: Double = 0.95, maxIterations: Int = 200) throws -> MMRMAnalysis {
        precondition(level > 0 && level < 1, "level must lie in (0, 1)")
        let engine = MMRMEngine(data: data)
        let (state, iterations, maxGradient) = try fit(engine, file: data.file, maxIterations: maxIterations)
        guard let information = MMRMCholesky(MMRMMatrix(rows: state.hessian!.rows, columns: state.hessian!.columns,
                                                        values: state.hessian!.values.map { -$0 })) else {
            throw EmoMusikError(
                .modelFit,
                "the REML estimate of the covariance lies on the boundary (the information matrix is singular), so "
                    + "Satterthwaite degrees of freedom cannot be computed",
                hint: "a variance is near zero or two visits are almost perfectly correlated; check for constant or duplicated scores",
                location: SourceLocation(file: data.file))
        }
        let inference = Inference(state: state, parameterCovariance: information.inverse, level: level)
        let design = engine.design

        // Covariates at their means over the observations.
        var means: [MMRMCovariateMean] = []
        let all = data.subjects.flatMap { s in s.observations.map { (s, $0) } }
        let n = Double(all.count)
        let baselineMean = data.baselineName.map { _ in all.reduce(0.0) { $0 + $1.0.baseline! } / n }
        if let name = data.baselineName, let baselineMean { means.append(MMRMCovariateMean(name: name, mean: baselineMean)) }
        let covariateMeans = data.covariateNames.indices.map { k in all.reduce(0.0) { $0 + $1.1.covariates[k] } / n }
        for (name, mean) in zip(data.covariateNames, covariateMeans) { means.append(MMRMCovariateMean(name: name, mean: mean)) }
        func row(_ g: Int, _ v: Int) -> [Double] {
            design.row(group: g, visit: v, baseline: baselineMean, covariates: covariateMeans)
        }
        func minus(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map { $0 - $1 } }

        let p = design.count
        let fixed = (0..<p).map { k -> MMRMEstimate in
            var l = [Double](repeating: 0, count: p)
            l[k] = 1
            return inference.estimate(l, name: design.names[k])
        }
        let G = data.groups.count
        let T = data.visits.count
        var lsMeans: [MMRMEstimate] = []
        for g in 0..<G {
            for v in 0..<T {
                lsMeans.append(inference.estimate(row(g, v), name: "\(data.groups[g]) at \(data.visits[v])",
                                                  group: data.groups[g], visit: data.visits[v]))
            }
        }
        var contrasts: [MMRMEstimate] = []
        for g in 1..<max(G, 1) {
            for v in 0..<T {
                contrasts.append(inference.estimate(
                    minus(row(g, v), row(0, v)), name: "\(data.groups[g]) − \(data.groups[0]) at \(data.visits[v])",
                    group: data.groups[g], visit: data.visits[v], reference: data.groups[0]))
            }
        }
        var changes: [MMRMEstimate] = []
        var differences: [MMRMEstimate] = []
        var percents: [MMRMPercentChange] = []
        for g in 0..<G {
            let members = data.subjects.filter { $0.group == g }
            func observedMean(_ v: Int) -> (Double, Int) {
                let scores = members.compactMap { s in s.observations.first { $0.visit == v }?.score }
                return (scores.reduce(0, +) / Double(scores.count), scores.count)
            }
            let later = baselineMean == nil ? Array(1..<max(T, 1)) : Array(0..<T)
            for v in later {
                let modelPre: Double
                let observedPre: (Double, Int)
                if let baselineMean {
                    changes.append(inference.estimate(row(g, v), name: "\(data.groups[g]): \(data.visits[v]) − baseline",
                                                      group: data.groups[g], visit: data.visits[v], offset: baselineMean))
                    modelPre = baselineMean
                    observedPre = (members.reduce(0.0) { $0 + $1.baseline! } / Double(members.count), members.count)
                } else {
                    changes.append(inference.estimate(
                        minus(row(g, v), row(g, 0)), name: "\(data.groups[g]): \(data.visits[v]) − \(data.visits[0])",
                        group: data.groups[g], visit: data.visits[v]))
                    modelPre = mmrmDot(row(g, 0), state.beta)
                    observedPre = observedMean(0)
                }
                let modelPost = mmrmDot(row(g, v), state.beta)
                let observedPost = observedMean(v)
                percents.append(MMRMPercentChange(
                    group: data.groups[g], visit: data.visits[v], modelPre: modelPre, modelPost: modelPost,
                    modelPercent: (modelPost - modelPre) / modelPre * 100,
                    observedPre: observedPre.0, observedPost: observedPost.0,
                    observedPercent: (observedPost.0 - observedPre.0) / observedPre.0 * 100,
                    observedPreCount: observedPre.1, observedPostCount: observedPost.1))
                if baselineMean == nil && g > 0 {
                    let l = minus(minus(row(g, v), row(g, 0)), minus(row(0, v), row(0, 0)))
                    differences.append(inference.estimate(
                        l, name: "change \(data.visits[0])→\(data.visits[v]): \(data.groups[g]) − \(data.groups[0])",
                        group: data.groups[g], visit: data.visits[v], reference: data.groups[0]))
                }
            }
        }
        return MMRMAnalysis(
            file: data.file, groups: data.groups, visits: data.visits, baselineName: data.baselineName,
            covariateNames: data.covariateNames, covariateMeans: means, subjects: data.subjects.count,
            observations: engine.observations,
            subjectsPerGroup: (0..<G).map { g in data.subjects.filter { $0.group == g }.count },
            observationsPerVisit: (0..<T).map { v in data.subjects.filter { s in s.observations.contains { $0.visit == v } }.count },
            level: level, iterations: iterations, maxGradient: maxGradient, remlLogLikelihood: state.logLikelihood,
            covarianceParameters: engine.pairs.count, covariance: state.sigma.nested, fixedEffects: fixed,
            lsMeans: lsMeans, groupContrasts: contrasts, changes: changes, changeDifferences: differences,
            percentChanges: percents)
    }

    /// Maximises ℓ_R over θ by damped Newton. Returns the state at the estimate (with its Hessian
    /// over σ), the number of Newton steps and the final largest |∂ℓ_R/∂θ|.
    static func fit(_ engine: MMRMEngine, file: String, maxIterations: Int) throws -> (MMRMState, Int, Double) {
        let p = engine.design.count
        let T = engine.visits
        func failure(_ message: String, _ hint: String) -> EmoMusikError {
            EmoMusikError(.modelFit, message, hint: hint, location: SourceLocation(file: file))
        }
        guard engine.observations > p else {
            throw failure("\(engine.observations) observations cannot estimate \(p) fixed effects and a \(T)×\(T) covariance",
                          "collect more subjects, or drop covariates")
        }
        // Start: ordinary least squares, its residual variance at each visit, no correlation.
        var xtx = MMRMMatrix(rows: p, columns: p)
        var xty = [Double](repeating: 0, count: p)
        for b in engine.blocks {
            xtx = xtx + b.x.transposed * b.x
            let xy = b.x.transposed * b.y
            for j in 0..<p { xty[j] += xy[j] }
        }
        guard let ols = MMRMCholesky(xtx) else {
            throw failure("the fixed effects cannot all be estimated: a covariate is constant or a linear combination of others",
                          "drop the covariate, or check that baseline and covariates vary between subjects")
        }
        let b0 = ols.solve(xty)
        var sums = [Double](repeating: 0, count: T)
        var counts = [Double](repeating: 0, count: T)
        for b in engine.blocks {
            let fitted = b.x * b0
            for (i, v) in b.visits.enumerated() {
                sums[v] += (b.y[i] - fitted[i]) * (b.y[i] - fitted[i])
                counts[v] += 1
            }
        }
        let pooled = sums.reduce(0, +) / counts.reduce(0, +)
        guard pooled > 0, pooled.isFinite else {
            throw failure("the scores are fitted exactly by the fixed effects: there is no variation left to model",
                          "check that the score column holds the questionnaire scores")
        }
        var start = MMRMMatrix(rows: T, columns: T)
        for v in 0..<T {
            let variance = counts[v] > 0 ? sums[v] / counts[v] : 0
            start[v, v] = variance > 1e-8 * pooled ? variance : pooled
        }
        var theta = engine.theta(from: start)!
        guard var state = engine.evaluate(engine.sigma(from: engine.pairs.map { start[$0.0, $0.1] }), hessian: true) else {
            throw failure("the REML criterion cannot be evaluated at the starting covariance", "check the data for duplicated subjects")
        }
        var iterations = 0
        var converged = false
        var lastDecrement = Double.infinity
        while iterations < maxIterations {
            let (g, h) = engine.chain(state, theta: theta)
            let m = g.count
            // Newton direction on −H (Levenberg-shifted until positive definite).
            var shift = 0.0
            var direction: [Double]? = nil
            let scale = max(1e-12, (0..<m).map { abs(h[$0, $0]) }.max() ?? 1)
            while direction == nil && shift < 1e12 * scale {
                var a = MMRMMatrix(rows: m, columns: m)
                for i in 0..<m { for j in 0..<m { a[i, j] = -h[i, j] } }
                for i in 0..<m { a[i, i] += shift }
                if let chol = MMRMCholesky(a) { direction = chol.solve(g) } else { shift = shift == 0 ? 1e-8 * scale : shift * 10 }
            }
            guard let d = direction else { break }
            let decrement = mmrmDot(g, d)
            lastDecrement = decrement
            iterations += 1
            var step = 1.0
            var accepted: (MMRMState, [Double])? = nil
            while step > 1e-12 {
                let trial = zip(theta, d).map { $0 + step * $1 }
                let l = engine.factor(trial)
                if let next = engine.evaluate(l * l.transposed, hessian: true),
                   next.logLikelihood >= state.logLikelihood + 1e-4 * step * decrement
                    || (shift == 0 && decrement < 1e-10 && next.logLikelihood >= state.logLikelihood - 1e-10 * abs(state.logLikelihood)) {
                    accepted = (next, trial)
                    break
                }
                step /= 2
            }
            guard let (next, trial) = accepted else {
                // No step improves ℓ_R: the estimate is as good as rounding allows if the
                // predicted improvement is already negligible.
                converged = shift == 0 && decrement < 1e-8
                break
            }
            state = next
            theta = trial
            if shift == 0 && decrement < 1e-10 {
                converged = true
                break
            }
        }
        let maxGradient = engine.chain(state, theta: theta).gradient.map(abs).max() ?? 0
        guard converged else {
            throw failure(
                "the REML fit did not converge in \(iterations) Newton iteration(s) (largest gradient \(String(format: "%.3g", maxGradient)), "
                    + "predicted improvement \(String(format: "%.3g", lastDecrement / 2)))",
                "the unstructured covariance may be too rich for the data (\(engine.blocks.count) subjects, \(T) visits), "
                    + "or it is degenerate (a visit's scores equal another's plus a constant, or a variance near zero): "
                    + "check for visits with very few scores, or raise --max-iterations")
        }
        return (state, iterations, maxGradient)
    }

    /// Estimates, standard errors and Satterthwaite degrees of freedom of contrasts L·β.
    struct Inference {
        let state: MMRMState
        /// The asymptotic covariance of σ̂: the inverse of minus the REML Hessian over σ.
        let parameterCovariance: MMRMMatrix
        let level: Double

        /// df = 2 (LCLᵀ)² / (gᵀ A g) with g_s = ∂(LCLᵀ)/∂σ_s = (CL)ᵀ M_s (CL).
        func satterthwaite(_ l: [Double]) -> (variance: Double, df: Double) {
            let cl = state.c * l
            let variance = mmrmDot(l, cl)
            let g = state.m.map { mmrmDot(cl, $0 * cl) }
            let denominator = mmrmDot(g, parameterCovariance * g)
            return (variance, denominator > 0 ? 2 * variance * variance / denominator : .infinity)
        }

        func estimate(_ l: [Double], name: String, group: String? = nil, visit: String? = nil, reference: String? = nil,
                      offset: Double = 0) -> MMRMEstimate {
            let value = mmrmDot(l, state.beta) - offset
            let (variance, df) = satterthwaite(l)
            let se = variance.squareRoot()
            let t = value / se
            let normal = !df.isFinite || df > 1e7
            let p = normal ? 2 * Normal.sf(abs(t)) : StudentT(df: df).twoSidedP(t)
            let q = normal ? Normal.quantile(0.5 + level / 2) : StudentT(df: df).quantile(0.5 + level / 2)
            return MMRMEstimate(name: name, group: group, visit: visit, reference: reference, estimate: value,
                                standardError: se, df: df, t: t, p: p, lower: value - q * se, upper: value + q * se)
        }
    }
}
