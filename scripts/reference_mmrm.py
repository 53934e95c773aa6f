#!/usr/bin/env python3
"""Reference numbers for the MMRM tests (Tests/StatisticsTests/MMRMReferenceTests.swift), computed offline.

Writes Tests/StatisticsTests/Fixtures/{mmrm_tiny.csv, mmrm_weeks.csv, mmrm_baseline.csv,
mmrm_reference.json}. The Swift tests read these files; Swift never calls Python.

Run (once, when the reference data change):
    python3 -m venv --system-site-packages /tmp/stats-venv
    /tmp/stats-venv/bin/pip install statsmodels       # 0.15.0 was used (numpy 2.4.6, scipy 1.17.1)
    /tmp/stats-venv/bin/python scripts/reference_mmrm.py

To print how closely a built emomusik agrees with the committed numbers (no refit):
    /tmp/stats-venv/bin/python scripts/reference_mmrm.py --compare .build/debug/emomusik

This is an implementation independent of the Swift one (Sources/Statistics/MMRM*.swift):
  - the REML log-likelihood is written densely from the textbook formula
        -2 l_R = (N - p) log 2pi + log|V| + log|X' V^-1 X| + (y - X b)' V^-1 (y - X b)
    with V the full N x N block-diagonal covariance (Swift works subject by subject);
  - Sigma is parameterised by a plain Cholesky factor (no log diagonal) and maximised with
    scipy.optimize.minimize (BFGS, dense analytic gradient -1/2 tr(P dV) + 1/2 y'P dV P y, itself
    checked against finite differences here), then polished by Newton steps whose Hessian is a
    central finite difference of that gradient;
  - Satterthwaite degrees of freedom df = 2 (l'Cl)^2 / (g' A g) use finite differences only:
    g = d(l'Cl)/d(sigma) by central differences of C(sigma) = (X'V^-1 X)^-1 over the unique
    elements sigma of Sigma, and A = inverse of minus the finite-difference Hessian of l_R over
    sigma (the observed information, as R's mmrm uses);
  - the likelihood code is cross-checked against statsmodels MixedLM (REML, random intercept) on
    the compound-symmetry special case: the same function restricted to Sigma = s_b J + s_e I and
    maximised here must give statsmodels' variance components, fixed effects and REML log-likelihood.

Coding (the same as the Swift side, which the tests rely on): groups and visits in order of
first appearance, or numeric order when every visit label is a number; treatment contrasts
against the first group and the first visit; fixed effects intercept, group, visit,
group:visit, then baseline and baseline:visit when a baseline column is given, then the other
covariates. Least-squares means put every covariate (and baseline) at its mean over the
observations used (as emmeans does). "Percent improvement" is (post - pre) / pre x 100 of group
means: of the least-squares means (pre = the first visit's, or the baseline mean when a baseline
column is given) and of the observed means (pre = the group's mean at the first visit, or its
subjects' mean baseline).
"""
import json
import os
import sys

import numpy as np
import scipy
from scipy import optimize, stats

try:
    import pandas as pd
    import statsmodels
    import statsmodels.formula.api as smf
except ImportError:  # pragma: no cover
    sys.exit("statsmodels is needed: see the docstring")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "StatisticsTests", "Fixtures")
LOG2PI = np.log(2 * np.pi)


# ---------------------------------------------------------------------------------------------
# Data and design

def read_long(path, baseline=None, covariates=()):
    df = pd.read_csv(path, dtype={"subject": str, "group": str, "visit": str})
    groups = list(dict.fromkeys(df["group"]))
    labels = list(dict.fromkeys(df["visit"]))
    try:
        visits = sorted(labels, key=float)
    except ValueError:
        visits = labels
    return df, groups, visits


def design(df, groups, visits, baseline=None, covariates=()):
    """X (N x p), names, y, subject ids and visit positions, in file row order."""
    names = ["(Intercept)"]
    names += [f"group={g}" for g in groups[1:]]
    names += [f"visit={v}" for v in visits[1:]]
    names += [f"group={g}:visit={v}" for g in groups[1:] for v in visits[1:]]
    if baseline:
        names += [baseline] + [f"{baseline}:visit={v}" for v in visits[1:]]
    names += list(covariates)
    rows = []
    for _, r in df.iterrows():
        rows.append(design_row(groups, visits, r["group"], r["visit"],
                               r[baseline] if baseline else None, [r[c] for c in covariates]))
    X = np.array(rows, float)
    return X, names, df["score"].to_numpy(float), df["subject"].to_numpy(), np.array([visits.index(v) for v in df["visit"]])


def design_row(groups, visits, g, v, base, covs):
    gi, vi = groups.index(g), visits.index(v)
    row = [1.0]
    row += [1.0 if gi == k else 0.0 for k in range(1, len(groups))]
    row += [1.0 if vi == k else 0.0 for k in range(1, len(visits))]
    row += [1.0 if (gi == a and vi == b) else 0.0 for a in range(1, len(groups)) for b in range(1, len(visits))]
    if base is not None:
        row += [base] + [base if vi == k else 0.0 for k in range(1, len(visits))]
    row += list(covs)
    return row


class Problem:
    def __init__(self, X, y, subjects, vpos, T):
        self.X, self.y, self.T = X, y, T
        self.N, self.p = X.shape
        assert np.linalg.matrix_rank(X) == self.p
        # Dense embedding: E[a][b] is the N x N indicator of rows (i, j) of the same subject at
        # visits a and b.
        same = subjects[:, None] == subjects[None, :]
        self.E = [[(same & (vpos[:, None] == a) & (vpos[None, :] == b)).astype(float) for b in range(T)] for a in range(T)]
        self.pairs = [(a, b) for a in range(T) for b in range(a + 1)]  # unique elements, row-major lower

    def V(self, S):
        return sum(S[a, b] * self.E[a][b] for a in range(self.T) for b in range(self.T))

    def dV(self, k):
        a, b = self.pairs[k]
        return self.E[a][a] if a == b else self.E[a][b] + self.E[b][a]

    def parts(self, S):
        V = self.V(S)
        Vi = np.linalg.inv(V)
        XtViX = self.X.T @ Vi @ self.X
        C = np.linalg.inv(XtViX)
        beta = C @ self.X.T @ Vi @ self.y
        r = self.y - self.X @ beta
        P = Vi - Vi @ self.X @ C @ self.X.T @ Vi
        return V, Vi, C, beta, r, P

    def loglik(self, S):
        try:
            np.linalg.cholesky(S)
        except np.linalg.LinAlgError:
            return -np.inf
        V, Vi, C, beta, r, P = self.parts(S)
        _, logdetV = np.linalg.slogdet(V)
        _, logdetXVX = np.linalg.slogdet(np.linalg.inv(C))
        return -0.5 * ((self.N - self.p) * LOG2PI + logdetV + logdetXVX + r @ Vi @ r)

    def grad_sigma(self, S):
        """d l_R / d sigma_k over the unique elements (dense analytic formula)."""
        _, _, _, _, _, P = self.parts(S)
        Py = P @ self.y
        return np.array([-0.5 * np.sum(P * self.dV(k)) + 0.5 * Py @ self.dV(k) @ Py for k in range(len(self.pairs))])

    def C_of(self, S):
        return self.parts(S)[2]


def sigma_from_vec(T, pairs, s):
    S = np.zeros((T, T))
    for (a, b), v in zip(pairs, s):
        S[a, b] = S[b, a] = v
    return S


def vec_from_sigma(pairs, S):
    return np.array([S[a, b] for a, b in pairs])


def fit_reml(prob, S0):
    T, pairs = prob.T, prob.pairs
    tril = np.tril_indices(T)

    def S_of(x):
        L = np.zeros((T, T))
        L[tril] = x
        return L @ L.T

    def f(x):
        return -prob.loglik(S_of(x))

    def g(x):
        L = np.zeros((T, T))
        L[tril] = x
        gs = prob.grad_sigma(L @ L.T)
        G = np.zeros((T, T))  # dl = sum_ab G_ab dS_ab over the full matrix
        for (a, b), v in zip(pairs, gs):
            if a == b:
                G[a, a] = v
            else:
                G[a, b] = G[b, a] = v / 2
        return -(2 * G @ L)[tril]

    x0 = np.linalg.cholesky(S0)[tril]
    # The analytic gradient against central differences of the likelihood.
    num = np.array([(f(x0 + h) - f(x0 - h)) / 2e-6 for h in np.eye(len(x0)) * 1e-6])
    assert np.allclose(num, g(x0), rtol=1e-5, atol=1e-6), (num, g(x0))
    res = optimize.minimize(f, x0, jac=g, method="BFGS", options={"gtol": 1e-9, "maxiter": 10000})
    s = vec_from_sigma(pairs, S_of(res.x))
    # Newton polish in sigma with a finite-difference Hessian of the analytic gradient.
    for _ in range(6):
        gs = prob.grad_sigma(sigma_from_vec(T, pairs, s))
        H = fd_jacobian(lambda v: prob.grad_sigma(sigma_from_vec(T, pairs, v)), s, 1e-5)
        s = s - np.linalg.solve((H + H.T) / 2, gs)
    gfinal = prob.grad_sigma(sigma_from_vec(T, pairs, s))
    assert np.max(np.abs(gfinal)) < 1e-8, gfinal
    return sigma_from_vec(T, pairs, s), res.nit


def step(x, k, rel):
    """A finite-difference step for x[k], relative to the size of the variances."""
    return rel * max(abs(x[k]), 0.1 * np.abs(x).max())


def fd_jacobian(fun, x, rel):
    cols = []
    for k in range(len(x)):
        h = step(x, k, rel)
        e = np.zeros_like(x)
        e[k] = h
        cols.append((np.asarray(fun(x + e)) - np.asarray(fun(x - e))) / (2 * h))
    return np.stack(cols, axis=-1)


def fd_hessian_loglik(prob, s, rel):
    """Central second differences of l_R over sigma (function values only)."""
    T, pairs = prob.T, prob.pairs
    m = len(s)
    H = np.zeros((m, m))
    hs = [step(s, k, rel) for k in range(m)]
    ll = lambda v: prob.loglik(sigma_from_vec(T, pairs, v))  # noqa: E731
    f0 = ll(s)
    for i in range(m):
        ei = np.zeros(m)
        ei[i] = hs[i]
        H[i, i] = (ll(s + ei) - 2 * f0 + ll(s - ei)) / hs[i] ** 2
        for j in range(i):
            ej = np.zeros(m)
            ej[j] = hs[j]
            H[i, j] = H[j, i] = (ll(s + ei + ej) - ll(s + ei - ej) - ll(s - ei + ej) + ll(s - ei - ej)) / (4 * hs[i] * hs[j])
    return H


class Inference:
    def __init__(self, prob, S):
        self.prob, self.S = prob, S
        T, pairs = prob.T, prob.pairs
        self.s = vec_from_sigma(pairs, S)
        _, _, self.C, self.beta, _, _ = prob.parts(S)
        # Observed information from finite differences of the analytic gradient, checked against
        # second differences of the likelihood itself.
        H = fd_jacobian(lambda v: prob.grad_sigma(sigma_from_vec(T, pairs, v)), self.s, 1e-5)
        H = (H + H.T) / 2
        H2 = fd_hessian_loglik(prob, self.s, 1e-4)
        assert np.allclose(H, H2, rtol=2e-4, atol=1e-3 * np.abs(H).max()), (H, H2)
        self.A = np.linalg.inv(-H)
        # dC/dsigma_k by central differences.
        self.dC = fd_jacobian(lambda v: prob.C_of(sigma_from_vec(T, pairs, v)).ravel(), self.s, 1e-6)

    def contrast(self, l, level=0.95):
        l = np.asarray(l, float)
        est = float(l @ self.beta)
        var = float(l @ self.C @ l)
        p = self.C.shape[0]
        g = np.array([l @ self.dC[:, k].reshape(p, p) @ l for k in range(len(self.s))])
        df = 2 * var**2 / float(g @ self.A @ g)
        se = np.sqrt(var)
        t = est / se
        q = stats.t.ppf(0.5 + level / 2, df)
        return {"estimate": est, "se": se, "df": df, "t": t, "p": float(2 * stats.t.sf(abs(t), df)),
                "ci": [est - q * se, est + q * se]}


def analyse(path, baseline=None, covariates=(), cs_check=False):
    df, groups, visits = read_long(path, baseline, covariates)
    X, names, y, subjects, vpos = design(df, groups, visits, baseline, covariates)
    T = len(visits)
    prob = Problem(X, y, subjects, vpos, T)
    # Start: OLS residual variances per visit, no correlation.
    b0 = np.linalg.lstsq(X, y, rcond=None)[0]
    r0 = y - X @ b0
    S0 = np.diag([np.mean(r0[vpos == v] ** 2) for v in range(T)])
    S, nit = fit_reml(prob, S0)
    inf = Inference(prob, S)
    p = len(names)
    out = {"file": os.path.basename(path), "groups": groups, "visits": visits, "subjects": int(len(set(subjects))),
           "observations": int(len(y)), "baseline": baseline, "covariates": list(covariates),
           "minus2REMLLogLik": float(-2 * prob.loglik(S)), "covariance": S.tolist(), "bfgsIterations": int(nit)}
    out["fixedEffects"] = [dict(name=n, **inf.contrast(np.eye(p)[k])) for k, n in enumerate(names)]
    means = {}
    if baseline:
        means[baseline] = float(df[baseline].mean())
    for c in covariates:
        means[c] = float(df[c].mean())
    out["covariateMeans"] = means

    def lrow(g, v):
        return np.array(design_row(groups, visits, g, v, means.get(baseline) if baseline else None,
                                   [means[c] for c in covariates]))

    out["lsMeans"] = [dict(group=g, visit=v, **inf.contrast(lrow(g, v))) for g in groups for v in visits]
    out["groupContrasts"] = [dict(group=g, reference=groups[0], visit=v, **inf.contrast(lrow(g, v) - lrow(groups[0], v)))
                             for g in groups[1:] for v in visits]
    changes, diffs, pct = [], [], []
    for g in groups:
        for v in (visits if baseline else visits[1:]):
            if baseline:
                c = inf.contrast(lrow(g, v))
                b = means[baseline]
                c["estimate"] -= b
                c["ci"] = [c["ci"][0] - b, c["ci"][1] - b]
                c["t"] = c["estimate"] / c["se"]
                c["p"] = float(2 * stats.t.sf(abs(c["t"]), c["df"]))
                pre = b
            else:
                c = inf.contrast(lrow(g, v) - lrow(g, visits[0]))
                pre = float(lrow(g, visits[0]) @ inf.beta)
            changes.append(dict(group=g, visit=v, **c))
            post = float(lrow(g, v) @ inf.beta)
            obs = df[df["group"] == g]
            obs_pre = float(obs.drop_duplicates("subject")[baseline].mean()) if baseline else float(obs[obs["visit"] == visits[0]]["score"].mean())
            obs_post = float(obs[obs["visit"] == v]["score"].mean())
            pct.append({"group": g, "visit": v, "modelPre": pre, "modelPost": post,
                        "modelPercent": (post - pre) / pre * 100,
                        "observedPre": obs_pre, "observedPost": obs_post,
                        "observedPercent": (obs_post - obs_pre) / obs_pre * 100})
    if not baseline:
        for g in groups[1:]:
            for v in visits[1:]:
                l = (lrow(g, v) - lrow(g, visits[0])) - (lrow(groups[0], v) - lrow(groups[0], visits[0]))
                diffs.append(dict(group=g, reference=groups[0], visit=v, **inf.contrast(l)))
    out["changes"] = changes
    out["changeDifferences"] = diffs
    out["percentImprovement"] = pct
    if cs_check:
        out["compoundSymmetryCheck"] = compound_symmetry_check(df, prob)
    return out


def compound_symmetry_check(df, prob):
    """Our likelihood restricted to Sigma = s_b J + s_e I against statsmodels MixedLM (REML)."""
    T = prob.T

    def ll(x):
        sb, se = np.exp(x)
        return prob.loglik(sb * np.ones((T, T)) + se * np.eye(T))

    res = optimize.minimize(lambda x: -ll(x), np.log([0.1, 0.1]), method="Nelder-Mead",
                            options={"xatol": 1e-12, "fatol": 1e-13, "maxiter": 20000})
    sb, se = np.exp(res.x)
    beta = prob.parts(sb * np.ones((T, T)) + se * np.eye(T))[3]
    d = df.copy()
    d["visit"] = pd.Categorical(d["visit"], categories=sorted(set(d["visit"]), key=float))
    m = smf.mixedlm("score ~ C(group, Treatment('%s')) * visit" % d["group"].iloc[0], d, groups=d["subject"]).fit(
        reml=True, method=["lbfgs"])
    check = {"ours": {"subjectVariance": float(sb), "residualVariance": float(se), "reml": float(-res.fun),
                      "beta": beta.tolist()},
             "statsmodels": {"subjectVariance": float(m.cov_re.iloc[0, 0]), "residualVariance": float(m.scale),
                             "reml": float(m.llf), "beta": m.fe_params.tolist()}}
    # statsmodels stops a little short of the maximum (its REML log-likelihood is ~1e-11 lower
    # than ours), which limits the agreement of the variances to about 3e-5.
    assert abs(sb - m.cov_re.iloc[0, 0]) < 1e-4 * sb, check
    assert abs(se - m.scale) < 1e-4 * se, check
    assert np.allclose(beta, m.fe_params.to_numpy(), rtol=1e-5, atol=1e-7), check
    assert abs(-res.fun - m.llf) < 1e-7 and -res.fun >= m.llf, check
    check["remlDifference"] = float(-res.fun - m.llf)
    return check


# ---------------------------------------------------------------------------------------------
# Fixture data

def write_csv(path, header, rows):
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(str(x) for x in r) + "\n")


def tiny_data():
    """2 groups x 3 subjects x pre/post, complete: the closed-form case (see MMRMTests.swift)."""
    rows = [("b1", "control", "pre", 1.2), ("b1", "control", "post", 1.5),
            ("b2", "control", "pre", 1.6), ("b2", "control", "post", 1.7),
            ("b3", "control", "pre", 1.1), ("b3", "control", "post", 1.6),
            ("a1", "music", "pre", 1.0), ("a1", "music", "post", 2.4),
            ("a2", "music", "pre", 1.3), ("a2", "music", "post", 2.5),
            ("a3", "music", "pre", 1.54), ("a3", "music", "post", 2.72)]
    return rows


def weeks_data(rng):
    """2 groups x 40 subjects x weeks 0, 4, 8, 12; unstructured correlation; ~10 % of visits missing."""
    sd = np.array([0.5, 0.6, 0.7, 0.8])
    R = np.array([[1, .6, .45, .3], [.6, 1, .65, .5], [.45, .65, 1, .7], [.3, .5, .7, 1]])
    S = R * np.outer(sd, sd)
    mean = {"control": [1.3, 1.55, 1.75, 1.85], "music": [1.28, 1.95, 2.4, 2.55]}
    rows = []
    for i in range(80):
        g = "control" if i % 2 == 0 else "music"
        y = rng.multivariate_normal(mean[g], S)
        keep = rng.random(4) >= 0.10
        if not keep.any():
            keep[0] = True
        for k, w in enumerate([0, 4, 8, 12]):
            if keep[k]:
                rows.append((f"s{i + 1:03d}", g, w, f"{y[k]:.3f}"))
    return rows


def baseline_data(rng):
    """3 groups x 25 subjects x visits 1-3 after a baseline score, with age; ~10 % missing (some drop out)."""
    sd = np.array([0.7, 0.8, 0.9])
    R = np.array([[1, .55, .35], [.55, 1, .6], [.35, .6, 1]])
    S = R * np.outer(sd, sd)
    effect = {"waitlist": [0.1, 0.15, 0.2], "music": [0.5, 0.9, 1.1], "music+therapist": [0.6, 1.2, 1.5]}
    rows = []
    for i in range(75):
        g = ["waitlist", "music", "music+therapist"][i % 3]
        base = rng.normal(3.0, 0.8)
        age = int(rng.integers(6, 13))
        y = 0.8 + 0.7 * base + np.array(effect[g]) + 0.05 * (age - 9) + rng.multivariate_normal(np.zeros(3), S)
        keep = rng.random(3) >= 0.07
        if rng.random() < 0.06:  # drop-out after visit 1
            keep[1:] = False
        if not keep.any():
            keep[0] = True
        for k in range(3):
            if keep[k]:
                rows.append((f"p{i + 1:02d}", g, k + 1, f"{y[k]:.2f}", f"{base:.2f}", age))
    return rows


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    rng = np.random.default_rng(20251126)
    write_csv(os.path.join(FIXTURES, "mmrm_tiny.csv"), ["subject", "group", "visit", "score"], tiny_data())
    write_csv(os.path.join(FIXTURES, "mmrm_weeks.csv"), ["subject", "group", "visit", "score"], weeks_data(rng))
    write_csv(os.path.join(FIXTURES, "mmrm_baseline.csv"), ["subject", "group", "visit", "score", "baseline", "age"],
              baseline_data(rng))
    ref = {
        "generatedBy": "scripts/reference_mmrm.py",
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__,
                     "pandas": pd.__version__, "statsmodels": statsmodels.__version__},
        "tiny": analyse(os.path.join(FIXTURES, "mmrm_tiny.csv")),
        "weeks": analyse(os.path.join(FIXTURES, "mmrm_weeks.csv"), cs_check=True),
        "baseline": analyse(os.path.join(FIXTURES, "mmrm_baseline.csv"), baseline="baseline", covariates=["age"]),
    }
    with open(os.path.join(FIXTURES, "mmrm_reference.json"), "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")
    for key in ["tiny", "weeks", "baseline"]:
        r = ref[key]
        print(key, "-2 REML", r["minus2REMLLogLik"], "BFGS iterations", r["bfgsIterations"])
        print("  covariance", np.array(r["covariance"]).round(4).tolist())
        for c in r["groupContrasts"]:
            print("  %s - %s at %s: %.4f (SE %.4f, df %.3f, p %.4g)" % (c["group"], c["reference"], c["visit"],
                                                                      c["estimate"], c["se"], c["df"], c["p"]))
    print("compound symmetry vs statsmodels:", json.dumps(ref["weeks"]["compoundSymmetryCheck"]))


def compare(binary):
    """Runs `emomusik stats mmrm --json` on the fixtures and prints the largest deviations."""
    import subprocess
    with open(os.path.join(FIXTURES, "mmrm_reference.json")) as f:
        ref = json.load(f)
    cases = {"tiny": ("mmrm_tiny.csv", []), "weeks": ("mmrm_weeks.csv", []),
             "baseline": ("mmrm_baseline.csv", ["--covariate", "age"])}
    for key, (name, extra) in cases.items():
        out = subprocess.run([binary, "stats", "mmrm", os.path.join(FIXTURES, name), "--json"] + extra,
                             check=True, capture_output=True, text=True).stdout
        got, want = json.loads(out), ref[key]
        rel = lambda a, b: abs(a - b) / max(abs(b), 1e-12)  # noqa: E731
        worst = {"covariance": max(rel(a, b) for ra, rb in zip(got["covariance"], want["covariance"]) for a, b in zip(ra, rb)),
                 "-2 REML (abs)": abs(got["fit"]["minus2REMLLogLikelihood"] - want["minus2REMLLogLik"])}
        for field, gf in [("estimate", "estimate"), ("se", "se"), ("df", "df"), ("p", "p")]:
            pairs = [(g[gf], w[field]) for sec in ["fixedEffects", "lsMeans", "groupContrasts", "changes", "changeDifferences"]
                     for g, w in zip(got[sec], want[sec])]
            if field == "estimate":
                worst[field] = max(abs(a - b) / max(abs(b), 1e-3) for a, b in pairs)
            else:
                worst[field + (" (abs)" if field == "p" else "")] = max((abs(a - b) if field == "p" else rel(a, b)) for a, b in pairs)
        worst["CI bounds (abs)"] = max(abs(a - b) for sec in ["lsMeans", "groupContrasts", "changes"]
                                       for g, w in zip(got[sec], want[sec]) for a, b in zip(g["ci"], w["ci"]))
        worst["percent (abs)"] = max(abs(g[k] - w[k]) for g, w in zip(got["percentImprovement"], want["percentImprovement"])
                                     for k in ["modelPercent", "observedPercent"])
        print("%-8s " % key + ", ".join("%s %.1e" % kv for kv in worst.items())
              + " (largest relative deviation unless marked abs; estimates relative to max(|x|, 1e-3))")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--compare":
        compare(sys.argv[2])
    else:
        main()
