import Foundation

// Special functions and the distributions built on them. Written from the formulas in
// DLMF §8.17 (incomplete beta, continued fraction 8.17.22), DLMF §8.11 and §8.9 (incomplete gamma),
// Lentz (1976) / Thompson & Barnett (1986) for the modified Lentz evaluation, and
// Acklam (2003) for the normal quantile's starting point, refined with Halley steps.

/// Special functions used by the distributions.
public enum SpecialFunctions {
    /// ln Γ(x) for x > 0.
    public static func logGamma(_ x: Double) -> Double {
        precondition(x > 0, "logGamma needs x > 0, got \(x)")
        return Foundation.lgamma(x)
    }

    /// ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b).
    public static func logBeta(_ a: Double, _ b: Double) -> Double {
        logGamma(a) + logGamma(b) - logGamma(a + b)
    }

    /// The regularised incomplete beta function I_x(a, b), for a, b > 0 and 0 ≤ x ≤ 1.
    ///
    /// Evaluated with the continued fraction DLMF 8.17.22 by the modified Lentz method, on the side
    /// of the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where it converges fast.
    public static func regularizedIncompleteBeta(x: Double, a: Double, b: Double) -> Double {
        precondition(a > 0 && b > 0, "incomplete beta needs a, b > 0 (a = \(a), b = \(b))")
        precondition(x >= 0 && x <= 1, "incomplete beta needs 0 ≤ x ≤ 1, got \(x)")
        if x == 0 { return 0 }
        if x == 1 { return 1 }
        if x < (a + 1) / (a + b + 2) {
            return betaFractionTerm(x: x, a: a, b: b)
        }
        return 1 - betaFractionTerm(x: 1 - x, a: b, b: a)
    }

    /// 1 − I_x(a, b), computed without cancellation when I_x(a, b) is close to 1.
    public static func regularizedIncompleteBetaComplement(x: Double, a: Double, b: Double) -> Double {
        regularizedIncompleteBeta(x: 1 - x, a: b, b: a)
    }

    /// x^a (1−x)^b / (a B(a,b)) times the continued fraction.
    private static func betaFractionTerm(x: Double, a: Double, b: Double) -> Double {
        let logFront = a * log(x) + b * log1p(-x) - logBeta(a, b) - log(a)
        return exp(logFront) * lentzBetaFraction(x: x, a: a, b: b)
    }

    /// The continued fraction 1/(1+ d1/(1+ d2/(1+ …))) with
    /// d_{2m+1} = −(a+m)(a+b+m)x / ((a+2m)(a+2m+1)) and d_{2m} = m(b−m)x / ((a+2m−1)(a+2m)),
    /// evaluated front to back by the modified Lentz method as b0 + a1/(b1 + a2/(b2 + …)) with
    /// b0 = 0, a1 = 1, a_{j+1} = d_j and every other b_j = 1.
    private static func lentzBetaFraction(x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var f = tiny  // b0 = 0 replaced by tiny
        var c = f
        var d = 0.0
        /// One Lentz step with partial numerator `numerator` and partial denominator 1.
        func step(_ numerator: Double) -> Double {
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = c * d
            f *= delta
            return delta
        }
        _ = step(1)
        for m in 0..<10_000 {
            let mm = Double(m)
            _ = step(-(a + mm) * (a + b + mm) * x / ((a + 2 * mm) * (a + 2 * mm + 1)))
            let m1 = mm + 1
            let delta = step(m1 * (b - m1) * x / ((a + 2 * m1 - 1) * (a + 2 * m1)))
            if abs(delta - 1) < 1e-16 { return f }
        }
        return f
    }

    /// The regularised lower incomplete gamma function P(a, x) for a > 0, x ≥ 0
    /// (series DLMF 8.11.4 below a + 1, continued fraction DLMF 8.9.2 above).
    public static func regularizedGammaP(a: Double, x: Double) -> Double {
        precondition(a > 0 && x >= 0, "incomplete gamma needs a > 0 and x ≥ 0")
        if x == 0 { return 0 }
        if x < a + 1 { return gammaSeries(a: a, x: x) }
        return 1 - gammaFraction(a: a, x: x)
    }

    /// Q(a, x) = 1 − P(a, x), computed without cancellation in the upper tail.
    public static func regularizedGammaQ(a: Double, x: Double) -> Double {
        precondition(a > 0 && x >= 0, "incomplete gamma needs a > 0 and x ≥ 0")
        if x == 0 { return 1 }
        if x < a + 1 { return 1 - gammaSeries(a: a, x: x) }
        return gammaFraction(a: a, x: x)
    }

    /// P(a, x) = x^a e^{−x} / Γ(a) · Σ_{n≥0} x^n / (a (a+1)…(a+n)).
    private static func gammaSeries(a: Double, x: Double) -> Double {
        var term = 1.0 / a
        var sum = term
        var n = 1.0
        while n < 100_000 {
            term *= x / (a + n)
            sum += term
            if abs(term) < abs(sum) * 1e-17 { break }
            n += 1
        }
        return exp(a * log(x) - x - logGamma(a)) * sum
    }

    /// Q(a, x) = x^a e^{−x} / Γ(a) · 1/(x+1−a− 1(1−a)/(x+3−a− 2(2−a)/(x+5−a− …))), modified Lentz.
    private static func gammaFraction(a: Double, x: Double) -> Double {
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var f = d
        var i = 1.0
        while i < 100_000 {
            let an = -i * (i - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            f *= delta
            if abs(delta - 1) < 1e-16 { break }
            i += 1
        }
        return exp(a * log(x) - x - logGamma(a)) * f
    }
}

/// Finds x in [lower, upper] with f(x) = target for an increasing f: Newton steps when a
/// derivative is given, each kept inside the shrinking bisection bracket.
func invertIncreasing(
    target: Double, lower: Double, upper: Double,
    tolerance: Double = 1e-15,
    function: (Double) -> Double,
    derivative: ((Double) -> Double)? = nil
) -> Double {
    var lo = lower
    var hi = upper
    var x = 0.5 * (lo + hi)
    for _ in 0..<1000 {
        let fx = function(x) - target
        if fx == 0 { return x }
        if fx < 0 { lo = x } else { hi = x }
        var next = 0.5 * (lo + hi)
        if let derivative {
            let slope = derivative(x)
            if slope > 0 && slope.isFinite {
                let newton = x - fx / slope
                if newton > lo && newton < hi { next = newton }
            }
        }
        if abs(next - x) <= tolerance * abs(x) || hi - lo <= tolerance * abs(x) || hi - lo < 1e-300 {
            return next
        }
        x = next
    }
    return x
}

/// The standard normal distribution N(0, 1).
public enum Normal {
    /// Φ(x) = ½ erfc(−x/√2).
    public static func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    /// 1 − Φ(x) without cancellation in the upper tail.
    public static func sf(_ x: Double) -> Double { 0.5 * erfc(x / 2.0.squareRoot()) }

    /// φ(x), the density.
    public static func pdf(_ x: Double) -> Double { exp(-0.5 * x * x) / (2 * Double.pi).squareRoot() }

    /// Φ⁻¹(p) for 0 < p < 1 (−∞ and +∞ at 0 and 1): Acklam's rational approximation
    /// (relative error below 1.2e-9) refined by two Halley steps on erfc to full double precision.
    public static func quantile(_ p: Double) -> Double {
        precondition(p >= 0 && p <= 1, "normal quantile needs 0 ≤ p ≤ 1, got \(p)")
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                 -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                 3.754408661907416e+00]
        let pLow = 0.02425
        var x: Double
        if p < pLow {
            let q = (-2 * log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - pLow {
            let q = p - 0.5
            let r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log1p(-p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        // Halley: e = Φ(x) − p, u = e/φ(x), x ← x − u / (1 + x u / 2). The upper half works on the
        // complement so that p close to 1 keeps its precision.
        for _ in 0..<2 {
            let e = p < 0.5 ? cdf(x) - p : (1 - p) - sf(x)
            let u = e * (2 * Double.pi).squareRoot() * exp(0.5 * x * x)
            x -= u / (1 + 0.5 * x * u)
        }
        return x
    }
}

/// Student's t distribution with `df` degrees of freedom (df > 0, not necessarily whole).
public struct StudentT: Sendable {
    public var df: Double
    public init(df: Double) {
        precondition(df > 0, "Student t needs df > 0, got \(df)")
        self.df = df
    }

    /// P(T ≤ t), from the two-sided tail P(|T| > |t|) = I_{df/(df+t²)}(df/2, ½).
    public func cdf(_ t: Double) -> Double {
        if t.isNaN { return .nan }
        if t == .infinity { return 1 }
        if t == -.infinity { return 0 }
        let tail = 0.5 * twoSidedTail(t)
        return t > 0 ? 1 - tail : tail
    }

    /// P(T > t), accurate in the upper tail.
    public func sf(_ t: Double) -> Double { cdf(-t) }

    /// P(|T| > |t|), the two-sided p-value.
    public func twoSidedP(_ t: Double) -> Double { min(1, twoSidedTail(t)) }

    private func twoSidedTail(_ t: Double) -> Double {
        if t.isInfinite { return 0 }
        let t2 = t * t
        if t2 < df {
            // Near the centre: 1 − I_{t²/(df+t²)}(½, df/2) keeps full accuracy.
            let y = t2 / (df + t2)
            return SpecialFunctions.regularizedIncompleteBetaComplement(x: y, a: 0.5, b: df / 2)
        }
        return SpecialFunctions.regularizedIncompleteBeta(x: df / (df + t2), a: df / 2, b: 0.5)
    }

    /// The density.
    public func pdf(_ t: Double) -> Double {
        let logDensity = SpecialFunctions.logGamma((df + 1) / 2) - SpecialFunctions.logGamma(df / 2)
            - 0.5 * log(df * Double.pi) - (df + 1) / 2 * log1p(t * t / df)
        return exp(logDensity)
    }

    /// The t with P(T ≤ t) = p, by safeguarded Newton on the CDF.
    public func quantile(_ p: Double) -> Double {
        precondition(p >= 0 && p <= 1, "t quantile needs 0 ≤ p ≤ 1, got \(p)")
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        if p == 0.5 { return 0 }
        // Solve P(T > t) = tail for t > 0, then reflect for the lower half.
        let tail = p > 0.5 ? 1 - p : p
        var hi = 1.0
        while sf(hi) > tail && hi < 1e300 { hi *= 4 }
        let t = invertIncreasing(
            target: -tail, lower: 0, upper: hi,
            function: { -self.sf($0) }, derivative: { self.pdf($0) })
        return p > 0.5 ? t : -t
    }
}

/// The F distribution with `df1` and `df2` degrees of freedom (both > 0, not necessarily whole).
public struct FisherF: Sendable {
    public var df1: Double
    public var df2: Double
    public init(df1: Double, df2: Double) {
        precondition(df1 > 0 && df2 > 0, "F needs df1, df2 > 0, got \(df1), \(df2)")
        self.df1 = df1
        self.df2 = df2
    }

    /// P(F ≤ f) = I_x(df1/2, df2/2) with x = df1 f / (df1 f + df2).
    public func cdf(_ f: Double) -> Double {
        if f <= 0 { return 0 }
        if f == .infinity { return 1 }
        let x = df1 * f / (df1 * f + df2)
        return SpecialFunctions.regularizedIncompleteBeta(x: x, a: df1 / 2, b: df2 / 2)
    }

    /// P(F > f) = I_{df2/(df2 + df1 f)}(df2/2, df1/2), the p-value of an F test.
    public func sf(_ f: Double) -> Double {
        if f <= 0 { return 1 }
        if f == .infinity { return 0 }
        let y = df2 / (df2 + df1 * f)
        return SpecialFunctions.regularizedIncompleteBeta(x: y, a: df2 / 2, b: df1 / 2)
    }

    /// The f with P(F ≤ f) = p: inverts the incomplete beta for x = df1 f/(df1 f + df2) by
    /// safeguarded Newton on [0, 1] (on the complement above the median), then f = df2 x / (df1 (1 − x)).
    public func quantile(_ p: Double) -> Double {
        precondition(p >= 0 && p <= 1, "F quantile needs 0 ≤ p ≤ 1, got \(p)")
        if p == 0 { return 0 }
        if p == 1 { return .infinity }
        let a = df1 / 2
        let b = df2 / 2
        let logB = SpecialFunctions.logBeta(a, b)
        if p <= 0.5 {
            let x = invertIncreasing(
                target: p, lower: 0, upper: 1, tolerance: 1e-16,
                function: { SpecialFunctions.regularizedIncompleteBeta(x: $0, a: a, b: b) },
                derivative: { exp((a - 1) * log($0) + (b - 1) * log1p(-$0) - logB) })
            return df2 * x / (df1 * (1 - x))
        }
        // y = 1 − x solves I_y(b, a) = 1 − p; f = df2 (1 − y) / (df1 y).
        let y = invertIncreasing(
            target: 1 - p, lower: 0, upper: 1, tolerance: 1e-16,
            function: { SpecialFunctions.regularizedIncompleteBeta(x: $0, a: b, b: a) },
            derivative: { exp((b - 1) * log($0) + (a - 1) * log1p(-$0) - logB) })
        return df2 * (1 - y) / (df1 * y)
    }
}

/// The chi-square distribution with `df` degrees of freedom.
public struct ChiSquared: Sendable {
    public var df: Double
    public init(df: Double) {
        precondition(df > 0, "chi-square needs df > 0, got \(df)")
        self.df = df
    }

    /// P(X ≤ x) = P(df/2, x/2).
    public func cdf(_ x: Double) -> Double {
        x <= 0 ? 0 : SpecialFunctions.regularizedGammaP(a: df / 2, x: x / 2)
    }

    /// P(X > x) = Q(df/2, x/2).
    public func sf(_ x: Double) -> Double {
        x <= 0 ? 1 : SpecialFunctions.regularizedGammaQ(a: df / 2, x: x / 2)
    }

    /// The x with P(X ≤ x) = p, by safeguarded Newton on the CDF.
    public func quantile(_ p: Double) -> Double {
        precondition(p >= 0 && p <= 1, "chi-square quantile needs 0 ≤ p ≤ 1, got \(p)")
        if p == 0 { return 0 }
        if p == 1 { return .infinity }
        let k = df / 2
        let logNorm = SpecialFunctions.logGamma(k) + k * log(2.0)
        var hi = max(1.0, df)
        while cdf(hi) < p { hi *= 2 }
        return invertIncreasing(
            target: p, lower: 0, upper: hi,
            function: { self.cdf($0) },
            derivative: { $0 <= 0 ? 0 : exp((k - 1) * log($0) - $0 / 2 - logNorm) })
    }
}
