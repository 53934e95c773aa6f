import EmoMusikCore
import Foundation

// A Mixed Model for Repeated Measures: y_i ~ N(X_i β, Σ_i), subjects independent, Σ_i the rows and
// columns of one unstructured T×T covariance Σ for the visits subject i has. Fitted by REML:
//
//   −2 ℓ_R(Σ) = (N − p) log 2π + Σ_i log|Σ_i| + log|Xᵀ W X| + Σ_i r_iᵀ W_i r_i,
//   W_i = Σ_i⁻¹, β̂ = (Xᵀ W X)⁻¹ Xᵀ W y, r_i = y_i − X_i β̂
//
// (Patterson & Thompson 1971; Harville 1977). With σ the T(T+1)/2 distinct elements of Σ, V_s = ∂V/∂σ_s
// (a 0/1 pattern, so second derivatives of V vanish), P = W − W X C Xᵀ W and C = (Xᵀ W X)⁻¹:
//
//   ∂ℓ_R/∂σ_s      = −½ tr(P V_s) + ½ yᵀ P V_s P y
//   ∂²ℓ_R/∂σ_s∂σ_t =  ½ tr(P V_s P V_t) − yᵀ P V_s P V_t P y          (observed, not expected)
//
// evaluated subject by subject: P y = W r, tr(P V_s) = Σ_i tr(W_i V_is) − tr(C M_s) with
// M_s = Σ_i X_iᵀ B_is X_i and B_is = W_i V_is W_i, and the Hessian terms expanded the same way.
// The optimiser works on θ, the Cholesky factor L of Σ = L Lᵀ with log diagonal (so Σ stays
// positive definite), by Newton's method with the exact Hessian chained from σ to θ, a
// Levenberg shift when it is not negative definite, and a backtracking line search.

/// The fixed-effects design: intercept, group, visit, group×visit, then baseline and
/// baseline×visit when there is a baseline, then the other covariates. Treatment coding
/// against the first group and the first visit.
struct MMRMDesign {
    let groups: Int
    let visits: Int
    let hasBaseline: Bool
    let covariates: Int
    let names: [String]

    init(data: MMRMData) {
        groups = data.groups.count
        visits = data.visits.count
        hasBaseline = data.baselineName != nil
        covariates = data.covariateNames.count
        var names = ["(Intercept)"]
        names += data.groups.dropFirst().map { "group=\($0)" }
        names += data.visits.dropFirst().map { "visit=\($0)" }
        for g in data.groups.dropFirst() { for v in data.visits.dropFirst() { names.append("group=\(g):visit=\(v)") } }
        if let b = data.baselineName {
            names.append(b)
            names += data.visits.dropFirst().map { "\(b):visit=\($0)" }
        }
        names += data.covariateNames
        self.names = names
    }

    var count: Int { names.count }

    func row(group g: Int, visit v: Int, baseline: Double?, covariates z: [Double]) -> [Double] {
        var row = [1.0]
        for k in 1..<max(groups, 1) { row.append(g == k ? 1 : 0) }
        for k in 1..<max(visits, 1) { row.append(v == k ? 1 : 0) }
        for a in 1..<max(groups, 1) { for b in 1..<max(visits, 1) { row.append(g == a && v == b ? 1 : 0) } }
        if hasBaseline {
            let x = baseline ?? 0
            row.append(x)
            for k in 1..<max(visits, 1) { row.append(v == k ? x : 0) }
        }
        row += z
        return row
    }
}

/// One subject's observed visits, scores and design rows.
struct MMRMBlock {
    let visits: [Int]
    let y: [Double]
    let x: MMRMMatrix
}

/// The REML criterion and its derivatives over σ at one Σ.
struct MMRMState {
    var sigma: MMRMMatrix
    var logLikelihood: Double
    var beta: [Double]
    /// (Xᵀ W X)⁻¹, the model-based covariance of β̂.
    var c: MMRMMatrix
    /// M_s = Σ_i X_iᵀ W_i V_is W_i X_i = −∂(Xᵀ W X)/∂σ_s, so ∂C/∂σ_s = C M_s C.
    var m: [MMRMMatrix]
    var gradient: [Double]
    var hessian: MMRMMatrix?
}

struct MMRMEngine {
    let design: MMRMDesign
    let blocks: [MMRMBlock]
    let visits: Int
    let observations: Int
    /// The distinct elements of Σ (and of L): (a, b) with a ≥ b, row by row.
    let pairs: [(Int, Int)]

    init(data: MMRMData) {
        let design = MMRMDesign(data: data)
        self.design = design
        visits = data.visits.count
        var pairs: [(Int, Int)] = []
        for a in 0..<visits { for b in 0...a { pairs.append((a, b)) } }
        self.pairs = pairs
        var blocks: [MMRMBlock] = []
        for s in data.subjects {
            let rows = s.observations.map {
                design.row(group: s.group, visit: $0.visit, baseline: s.baseline, covariates: $0.covariates)
            }
            blocks.append(MMRMBlock(visits: s.observations.map(\.visit), y: s.observations.map(\.score), x: MMRMMatrix(rows)))
        }
        observations = blocks.reduce(0) { $0 + $1.y.count }
        self.blocks = blocks
    }

    static func index(_ a: Int, _ b: Int) -> Int { a >= b ? a * (a + 1) / 2 + b : b * (b + 1) / 2 + a }

    func sigma(from values: [Double]) -> MMRMMatrix {
        var s = MMRMMatrix(rows: visits, columns: visits)
        for (k, (a, b)) in pairs.enumerated() { s[a, b] = values[k]; s[b, a] = values[k] }
        return s
    }

    /// The REML log-likelihood, β̂, C and M_s at Σ, with the gradient and (optionally) the observed
    /// Hessian over σ; nil when Σ or Xᵀ W X is not positive definite.
    func evaluate(_ sigma: MMRMMatrix, hessian wantHessian: Bool) -> MMRMState? {
        let p = design.count
        let m = pairs.count
        var xtwx = MMRMMatrix(rows: p, columns: p)
        var xtwy = [Double](repeating: 0, count: p)
        var logDetSigma = 0.0
        var inverses: [MMRMMatrix] = []
        inverses.reserveCapacity(blocks.count)
        for block in blocks {
            let n = block.visits.count
            var sub = MMRMMatrix(rows: n, columns: n)
            for i in 0..<n { for j in 0..<n { sub[i, j] = sigma[block.visits[i], block.visits[j]] } }
            guard let chol = MMRMCholesky(sub) else { return nil }
            logDetSigma += chol.logDeterminant
            let w = chol.inverse
            inverses.append(w)
            let wx = w * block.x
            xtwx = xtwx + block.x.transposed * wx
            let wy = w * block.y
            for j in 0..<p { for i in 0..<n { xtwy[j] += block.x[i, j] * wy[i] } }
        }
        guard let xtwxChol = MMRMCholesky(xtwx) else { return nil }
        let c = xtwxChol.inverse
        let beta = xtwxChol.solve(xtwy)

        var quadratic = 0.0
        var traceWV = [Double](repeating: 0, count: m)
        var qform = [Double](repeating: 0, count: m)
        var mMatrices = [MMRMMatrix](repeating: MMRMMatrix(rows: p, columns: p), count: m)
        var u = [[Double]](repeating: [Double](repeating: 0, count: p), count: m)
        var traceBV = MMRMMatrix(rows: m, columns: m)
        var cross = MMRMMatrix(rows: m, columns: m)
        var rr = MMRMMatrix(rows: m, columns: m)

        for (bi, block) in blocks.enumerated() {
            let n = block.visits.count
            let w = inverses[bi]
            let r = zip(block.y, block.x * beta).map { $0 - $1 }
            let q = w * r  // W r = (P y)_i
            quadratic += mmrmDot(r, q)
            let xt = block.x.transposed
            let z = wantHessian ? w * block.x : MMRMMatrix(rows: 0, columns: 0)  // W X, n×p
            // The parameters this subject touches, each with its V_is pattern as (row, column) entries.
            var local: [(s: Int, entries: [(Int, Int)])] = []
            for i in 0..<n {
                for j in 0...i {
                    let s = Self.index(block.visits[i], block.visits[j])
                    local.append((s, i == j ? [(i, i)] : [(i, j), (j, i)]))
                }
            }
            var bs: [MMRMMatrix] = []
            var ys: [MMRMMatrix] = []
            var brs: [[Double]] = []
            for (s, entries) in local {
                // B = W V_s W = Σ_(x,y) W[:, x] W[y, :].
                var b = MMRMMatrix(rows: n, columns: n)
                for (ex, ey) in entries {
                    traceWV[s] += w[ey, ex]
                    for i in 0..<n { for j in 0..<n { b[i, j] += w[i, ex] * w[ey, j] } }
                }
                let y = xt * b  // Xᵀ B, p×n
                mMatrices[s] = mMatrices[s] + y * block.x
                let yr = y * r
                for j in 0..<p { u[s][j] += yr[j] }
                let br = b * r
                qform[s] += mmrmDot(r, br)
                bs.append(b)
                ys.append(y)
                brs.append(br)
            }
            if wantHessian {
                for (ls, (s, _)) in local.enumerated() {
                    let cys = c * ys[ls]  // C Xᵀ B_s, p×n
                    for (t, entriesT) in local {
                        var tb = 0.0
                        var cr = 0.0
                        var rrt = 0.0
                        for (ex, ey) in entriesT {
                            tb += bs[ls][ey, ex]
                            // Z[ey, :] · C Y_s[:, ex]
                            for j in 0..<p { cr += z[ey, j] * cys[j, ex] }
                            rrt += brs[ls][ex] * q[ey]
                        }
                        traceBV[s, t] += tb
                        cross[s, t] += cr
                        rr[s, t] += rrt
                    }
                }
            }
        }

        let logDetXtWX = xtwxChol.logDeterminant
        let logLikelihood = -0.5 * (Double(observations - p) * log(2 * Double.pi) + logDetSigma + logDetXtWX + quadratic)
        let cm = mMatrices.map { c * $0 }
        var gradient = [Double](repeating: 0, count: m)
        for s in 0..<m {
            var traceCM = 0.0
            for j in 0..<p { traceCM += cm[s][j, j] }
            gradient[s] = -0.5 * (traceWV[s] - traceCM) + 0.5 * qform[s]
        }
        var hessian: MMRMMatrix? = nil
        if wantHessian {
            var h = MMRMMatrix(rows: m, columns: m)
            let cu = u.map { c * $0 }
            for s in 0..<m {
                for t in 0...s {
                    var traceCMCM = 0.0
                    for j in 0..<p { for k in 0..<p { traceCMCM += cm[s][j, k] * cm[t][k, j] } }
                    let trPVPV = traceBV[s, t] - (cross[s, t] + cross[t, s]) + traceCMCM
                    let yPVPVPy = 0.5 * (rr[s, t] + rr[t, s]) - mmrmDot(u[s], cu[t])
                    h[s, t] = 0.5 * trPVPV - yPVPVPy
                    h[t, s] = h[s, t]
                }
            }
            hessian = h
        }
        return MMRMState(sigma: sigma, logLikelihood: logLikelihood, beta: beta, c: c, m: mMatrices,
                         gradient: gradient, hessian: hessian)
    }

    // MARK: The Cholesky parameterisation

    /// L from θ: the diagonal is exp(θ), the rest θ itself.
    func factor(_ theta: [Double]) -> MMRMMatrix {
        var l = MMRMMatrix(rows: visits, columns: visits)
        for (k, (a, b)) in pairs.enumerated() { l[a, b] = a == b ? exp(theta[k]) : theta[k] }
        return l
    }

    func theta(from sigma: MMRMMatrix) -> [Double]? {
        guard let l = sigma.cholesky() else { return nil }
        return pairs.map { a, b in a == b ? log(l[a, b]) : l[a, b] }
    }

    /// The gradient and Hessian of ℓ_R over θ from those over σ:
    /// g_θ = Jᵀ g_σ, H_θ = Jᵀ H_σ J + Σ_s g_σ,s ∂²σ_s/∂θ∂θᵀ with σ_ab = Σ_c L_ac L_bc.
    func chain(_ state: MMRMState, theta: [Double]) -> (gradient: [Double], hessian: MMRMMatrix) {
        let m = pairs.count
        let l = factor(theta)
        // dL_k/dθ_k and d²L_k/dθ_k².
        let d1 = pairs.map { a, b in a == b ? l[a, a] : 1.0 }
        let d2 = pairs.map { a, b in a == b ? l[a, a] : 0.0 }
        // ∂σ_ab/∂L_ef = [a = e] L_bf + [b = e] L_af.
        var dSigmaDL = MMRMMatrix(rows: m, columns: m)
        for (s, (a, b)) in pairs.enumerated() {
            for (k, (e, f)) in pairs.enumerated() {
                dSigmaDL[s, k] = (a == e ? l[b, f] : 0) + (b == e ? l[a, f] : 0)
            }
        }
        var j = MMRMMatrix(rows: m, columns: m)
        for s in 0..<m { for k in 0..<m { j[s, k] = dSigmaDL[s, k] * d1[k] } }
        let g = j.transposed * state.gradient
        var h = j.transposed * state.hessian! * j
        // Σ_s g_s ∂²σ_s/∂θ_k∂θ_l: ∂²σ_ab/∂L_ef∂L_gh = [a=e][b=g][f=h] + [b=e][a=g][f=h].
        for (s, (a, b)) in pairs.enumerated() {
            let gs = state.gradient[s]
            if gs == 0 { continue }
            for (k, (e, f)) in pairs.enumerated() {
                for (kk, (g2, h2)) in pairs.enumerated() where f == h2 {
                    var second = 0.0
                    if a == e && b == g2 { second += 1 }
                    if b == e && a == g2 { second += 1 }
                    if second != 0 { h[k, kk] += gs * second * d1[k] * d1[kk] }
                }
                h[k, k] += gs * dSigmaDL[s, k] * d2[k]
            }
        }
        return (g, h)
    }
}
