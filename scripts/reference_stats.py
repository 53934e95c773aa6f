#!/usr/bin/env python3
"""Reference numbers for Tests/StatisticsTests, computed offline.

Writes Tests/StatisticsTests/Fixtures/{shrout_fleiss.csv, random_20x5.csv, exponential_40.csv,
reference.json}. The Swift tests read these files; Swift never calls Python.

Run (once, when the reference data change):
    python3 -m venv --system-site-packages /tmp/stats-venv
    /tmp/stats-venv/bin/pip install pingouin          # 0.7.0 was used; pulls pandas
    /tmp/stats-venv/bin/python scripts/reference_stats.py

Where each number comes from:
  - distributions: scipy.special.betainc and scipy.stats (t, f, norm, chi2);
  - ICC: pingouin.intraclass_corr (ICC, F, df, p; its CI95 is rounded to 2 decimals), and the
    unrounded CI bounds recomputed here with scipy from the published formulas (Shrout & Fleiss
    1979, McGraw & Wong 1996), checked against pingouin's rounded ones before writing;
  - bootstrap: the jackknife acceleration of the mean (exact, numpy) and scipy.stats.bootstrap's
    percentile and BCa intervals with 100000 resamples (Monte Carlo: compare with a tolerance).
"""
import json
import os
import sys

import numpy as np
import scipy
from scipy import special, stats

try:
    import pandas as pd
    import pingouin as pg
except ImportError:  # pragma: no cover
    sys.exit("pingouin is needed: see the docstring")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "StatisticsTests", "Fixtures")


def write_long_csv(path, matrix, targets, raters):
    with open(path, "w") as f:
        f.write("target,rater,rating\n")
        for i, t in enumerate(targets):
            for j, r in enumerate(raters):
                f.write(f"{t},{r},{matrix[i, j]:g}\n")


def icc_reference(matrix, targets, raters, alpha=0.05):
    n, k = matrix.shape
    df = pd.DataFrame(
        [(targets[i], raters[j], matrix[i, j]) for i in range(n) for j in range(k)],
        columns=["target", "rater", "rating"],
    )
    table = pg.intraclass_corr(df, targets="target", raters="rater", ratings="rating")

    # Mean squares and unrounded CIs from the formulas.
    grand = matrix.mean()
    ssr = k * ((matrix.mean(axis=1) - grand) ** 2).sum()
    ssc = n * ((matrix.mean(axis=0) - grand) ** 2).sum()
    sst = ((matrix - grand) ** 2).sum()
    sse = sst - ssr - ssc
    msr, msc = ssr / (n - 1), ssc / (k - 1)
    mse, msw = sse / ((n - 1) * (k - 1)), (sse + ssc) / (n * (k - 1))
    q = 1 - alpha / 2
    df1, df1w, df2e = n - 1, n * (k - 1), (n - 1) * (k - 1)
    f1, f3 = msr / msw, msr / mse
    f1l, f1u = f1 / stats.f.ppf(q, df1, df1w), f1 * stats.f.ppf(q, df1w, df1)
    f3l, f3u = f3 / stats.f.ppf(q, df1, df2e), f3 * stats.f.ppf(q, df2e, df1)
    icc2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
    fj = msc / mse
    common = n * (1 + (k - 1) * icc2) - k * icc2
    v = df2e * (k * icc2 * fj + common) ** 2 / (df1 * k**2 * icc2**2 * fj**2 + common**2)
    fsu, fsl = stats.f.ppf(q, df1, v), stats.f.ppf(q, v, df1)
    scale = k * msc + (k * n - k - n) * mse
    l2 = n * (msr - fsu * mse) / (fsu * scale + n * msr)
    u2 = n * (fsl * msr - mse) / (scale + n * fsl * msr)
    up = lambda r: r * k / (1 + r * (k - 1))  # noqa: E731
    ci = {
        "ICC1": ((f1l - 1) / (f1l + k - 1), (f1u - 1) / (f1u + k - 1)),
        "ICC2": (l2, u2),
        "ICC3": ((f3l - 1) / (f3l + k - 1), (f3u - 1) / (f3u + k - 1)),
        "ICC1k": (1 - 1 / f1l, 1 - 1 / f1u),
        "ICC2k": (up(l2), up(u2)),
        "ICC3k": (1 - 1 / f3l, 1 - 1 / f3u),
    }
    forms = ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"]
    rows = []
    for form, (_, row) in zip(forms, table.iterrows()):
        lo, hi = ci[form]
        rounded = [float(x) for x in row["CI95"]]
        assert abs(round(lo, 2) - rounded[0]) < 1e-9 and abs(round(hi, 2) - rounded[1]) < 1e-9, (form, lo, hi, rounded)
        rows.append({
            "form": form,
            "pingouinType": row["Type"],
            "icc": float(row["ICC"]),
            "f": float(row["F"]),
            "df1": float(row["df1"]),
            "df2": float(row["df2"]),
            "p": float(row["pval"]),
            "ci95Pingouin": rounded,
            "ci95": [float(lo), float(hi)],
        })
    return {"n": n, "k": k, "msr": msr, "msc": msc, "mse": mse, "msw": msw, "forms": rows}


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    ref = {
        "generatedBy": "scripts/reference_stats.py",
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "pandas": pd.__version__,
                     "pingouin": pg.__version__},
    }

    # Distributions.
    beta_cases = [(0.3, 2.0, 3.0), (0.5, 0.5, 0.5), (0.9, 10.0, 1.5), (0.01, 0.7, 25.0),
                  (0.999, 50.0, 50.0), (0.2, 200.0, 3.0), (0.75, 1.0, 1.0)]
    ref["incompleteBeta"] = [{"x": x, "a": a, "b": b, "value": float(special.betainc(a, b, x))}
                             for x, a, b in beta_cases]
    t_cases = [(2.0, 5.0), (-1.3, 3.0), (0.4, 1.0), (4.5, 30.0), (12.0, 7.5), (-8.0, 2.5)]
    ref["studentT"] = [{"t": t, "df": d, "cdf": float(stats.t.cdf(t, d)), "sf": float(stats.t.sf(t, d))}
                       for t, d in t_cases]
    tq = [(0.975, 5.0), (0.995, 12.0), (0.025, 3.0), (0.6, 1.0), (0.9999, 4.5)]
    ref["studentTQuantile"] = [{"p": p, "df": d, "value": float(stats.t.ppf(p, d))} for p, d in tq]
    f_cases = [(1.794678, 5.0, 18.0), (11.027248, 5.0, 15.0), (0.5, 3.0, 7.0), (3.2, 2.5, 40.0),
               (45.0, 19.0, 76.0), (0.05, 10.0, 4.0)]
    ref["fisherF"] = [{"f": f, "df1": a, "df2": b, "cdf": float(stats.f.cdf(f, a, b)), "sf": float(stats.f.sf(f, a, b))}
                      for f, a, b in f_cases]
    fq = [(0.975, 5.0, 18.0), (0.975, 18.0, 5.0), (0.975, 5.0, 15.0), (0.975, 5.0, 3.6431),
          (0.025, 4.0, 9.0), (0.5, 1.0, 1.0), (0.999, 19.0, 76.0), (0.975, 7.25, 19.0)]
    ref["fisherFQuantile"] = [{"p": p, "df1": a, "df2": b, "value": float(stats.f.ppf(p, a, b))} for p, a, b in fq]
    zs = [-6.0, -1.96, -0.5, 0.0, 1.0, 2.5, 8.0]
    ref["normalCDF"] = [{"x": z, "value": float(stats.norm.cdf(z))} for z in zs]
    ps = [1e-10, 0.001, 0.02, 0.025, 0.3, 0.5, 0.8, 0.975, 0.99, 1 - 1e-9]
    ref["normalQuantile"] = [{"p": p, "value": float(stats.norm.ppf(p))} for p in ps]
    chi = [(3.84, 1.0), (10.0, 4.0), (0.5, 7.0), (100.0, 80.0), (0.01, 0.5)]
    ref["chiSquared"] = [{"x": x, "df": d, "cdf": float(stats.chi2.cdf(x, d)), "sf": float(stats.chi2.sf(x, d))}
                         for x, d in chi]
    cq = [(0.95, 1.0), (0.05, 10.0), (0.999, 3.5)]
    ref["chiSquaredQuantile"] = [{"p": p, "df": d, "value": float(stats.chi2.ppf(p, d))} for p, d in cq]

    # ICC: Shrout & Fleiss (1979) Table 2.
    sf = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], float)
    sf_targets = [f"t{i + 1}" for i in range(6)]
    sf_raters = [f"judge{j + 1}" for j in range(4)]
    write_long_csv(os.path.join(FIXTURES, "shrout_fleiss.csv"), sf, sf_targets, sf_raters)
    ref["iccShroutFleiss"] = icc_reference(sf, sf_targets, sf_raters)

    # ICC: seeded random 20 targets × 5 raters with target and rater effects, one decimal.
    rng = np.random.default_rng(20251125)
    target_effect = rng.normal(0.0, 1.5, size=(20, 1))
    rater_effect = np.array([[-1.0, -0.4, 0.0, 0.5, 1.3]])
    noise = rng.normal(0.0, 0.9, size=(20, 5))
    random = np.round(5.0 + target_effect + rater_effect + noise, 1)
    r_targets = [f"clip{i + 1:02d}" for i in range(20)]
    r_raters = ["ana", "ben", "chen", "dara", "eli"]
    write_long_csv(os.path.join(FIXTURES, "random_20x5.csv"), random, r_targets, r_raters)
    ref["iccRandom20x5"] = icc_reference(random, r_targets, r_raters)

    # Bootstrap: a skewed (exponential) sample of 40, three decimals.
    x = np.round(rng.exponential(2.0, size=40), 3)
    with open(os.path.join(FIXTURES, "exponential_40.csv"), "w") as f:
        f.write("subject,value\n")
        for i, v in enumerate(x):
            f.write(f"s{i + 1},{v:.3f}\n")
    jack = np.array([np.delete(x, i).mean() for i in range(len(x))])
    d = jack.mean() - jack
    accel = (d**3).sum() / (6 * ((d**2).sum()) ** 1.5)
    boot = {}
    for method in ["percentile", "BCa"]:
        res = stats.bootstrap((x,), np.mean, n_resamples=100_000, method=method, confidence_level=0.95,
                              random_state=np.random.default_rng(7))
        boot[method] = [float(res.confidence_interval.low), float(res.confidence_interval.high)]
    ref["bootstrapExponential40"] = {"mean": float(x.mean()), "acceleration": float(accel),
                                     "percentile": boot["percentile"], "bca": boot["BCa"],
                                     "resamples": 100_000}

    with open(os.path.join(FIXTURES, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")
    print(json.dumps({k: ref[k] for k in ["iccShroutFleiss", "iccRandom20x5", "bootstrapExponential40"]}, indent=1))


if __name__ == "__main__":
    main()
