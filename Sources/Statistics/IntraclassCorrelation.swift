import EmoMusikCore
import Foundation

/// A complete targets × raters table of ratings: `values[i][j]` is rater j's rating of target i.
public struct RatingMatrix: Sendable, Equatable {
    public let targets: [String]
    public let raters: [String]
    public let values: [[Double]]

    public init(targets: [String], raters: [String], values: [[Double]]) {
        precondition(values.count == targets.count && values.allSatisfy { $0.count == raters.count },
                     "values must be \(targets.count) targets × \(raters.count) raters")
        self.targets = targets
        self.raters = raters
        self.values = values
    }

    /// A matrix with targets and raters named by their 1-based numbers.
    public init(values: [[Double]]) {
        self.init(targets: values.indices.map { "\($0 + 1)" },
                  raters: (values.first ?? []).indices.map { "\($0 + 1)" }, values: values)
    }

    /// Reads long-format CSV with a header naming the columns `target`, `rater` and `rating` (in
    /// any order, other columns ignored). Targets and raters keep the order they first appear in.
    /// Refused, with file, line and field: a missing column, a short row, a rating that is not a
    /// number, a target–rater pair rated twice, and an incomplete design (a target lacking a
    /// rating from some rater; every gap is listed).
    public static func parseLongCSV(_ text: String, file: String) throws -> RatingMatrix {
        try fromLongTable(CSVTable(text: text, file: file))
    }

    /// Reads a long-format CSV file; see ``parseLongCSV(_:file:)``.
    public static func loadLongCSV(path: String) throws -> RatingMatrix {
        try fromLongTable(CSVTable.load(path: path))
    }

    static func fromLongTable(_ table: CSVTable) throws -> RatingMatrix {
        let targetColumn = try table.column(named: "target")
        let raterColumn = try table.column(named: "rater")
        let ratingColumn = try table.column(named: "rating")
        var targets: [String] = []
        var raters: [String] = []
        var targetIndex: [String: Int] = [:]
        var raterIndex: [String: Int] = [:]
        var cells: [[Int: (value: Double, line: Int)]] = []
        for row in table.rows {
            let target = try table.text(row, column: targetColumn)
            let rater = try table.text(row, column: raterColumn)
            for (name, value) in [("target", target), ("rater", rater)] where value.isEmpty {
                let column = name == "target" ? targetColumn : raterColumn
                throw EmoMusikError(.malformedFile, "'\(name)' is empty", hint: "every row names a target and a rater",
                                    location: SourceLocation(file: table.file, line: row.line, column: column + 1, field: name))
            }
            let rating = try table.number(row, column: ratingColumn)
            let t: Int
            if let known = targetIndex[target] { t = known } else {
                t = targets.count
                targetIndex[target] = t
                targets.append(target)
                cells.append([:])
            }
            let r: Int
            if let known = raterIndex[rater] { r = known } else {
                r = raters.count
                raterIndex[rater] = r
                raters.append(rater)
            }
            if let earlier = cells[t][r] {
                throw EmoMusikError(
                    .incompleteDesign,
                    "target '\(target)' is rated by rater '\(rater)' twice (first on line \(earlier.line))",
                    hint: "keep one rating per target and rater; average repeated ratings before computing the ICC",
                    location: SourceLocation(file: table.file, line: row.line, field: "rating"))
            }
            cells[t][r] = (rating, row.line)
        }
        guard targets.count >= 2, raters.count >= 2 else {
            throw EmoMusikError(
                .incompleteDesign,
                "the ICC needs at least 2 targets and 2 raters; '\(table.file)' has \(targets.count) target(s) and \(raters.count) rater(s)",
                hint: "give one row per target and rater: target,rater,rating",
                location: SourceLocation(file: table.file))
        }
        var gaps: [String] = []
        for (t, target) in targets.enumerated() {
            let missing = raters.indices.filter { cells[t][$0] == nil }.map { "'\(raters[$0])'" }
            if !missing.isEmpty {
                gaps.append("target '\(target)' has no rating from rater\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", "))")
            }
        }
        if !gaps.isEmpty {
            let shown = gaps.prefix(10).joined(separator: "; ")
            throw EmoMusikError(
                .incompleteDesign,
                "incomplete design: " + shown + (gaps.count > 10 ? "; and \(gaps.count - 10) more target(s)" : ""),
                hint: "every rater must rate every target; drop the incomplete targets or raters, or collect the missing ratings",
                location: SourceLocation(file: table.file))
        }
        let values = targets.indices.map { t in raters.indices.map { cells[t][$0]!.value } }
        return RatingMatrix(targets: targets, raters: raters, values: values)
    }
}

/// The six intraclass correlations of Shrout & Fleiss (1979), named as McGraw & Wong (1996)
/// and pingouin name them.
public enum ICCForm: String, Sendable, CaseIterable, Codable {
    case icc1 = "ICC1"
    case icc2 = "ICC2"
    case icc3 = "ICC3"
    case icc1k = "ICC1k"
    case icc2k = "ICC2k"
    case icc3k = "ICC3k"

    /// The label pingouin prints: ICC(1,1), ICC(A,1), ICC(C,1), ICC(1,k), ICC(A,k), ICC(C,k).
    public var label: String {
        switch self {
        case .icc1: "ICC(1,1)"
        case .icc2: "ICC(A,1)"
        case .icc3: "ICC(C,1)"
        case .icc1k: "ICC(1,k)"
        case .icc2k: "ICC(A,k)"
        case .icc3k: "ICC(C,k)"
        }
    }

    public var summary: String {
        switch self {
        case .icc1: "Single rater, absolute agreement, one-way random raters"
        case .icc2: "Single rater, absolute agreement, two-way random raters"
        case .icc3: "Single rater, consistency, two-way fixed raters"
        case .icc1k: "Mean of k raters, absolute agreement, one-way random raters"
        case .icc2k: "Mean of k raters, absolute agreement, two-way random raters"
        case .icc3k: "Mean of k raters, consistency, two-way fixed raters"
        }
    }
}

/// One ICC form with its F test and confidence interval.
public struct ICCResult: Sendable, Equatable, Codable {
    public let form: ICCForm
    public let icc: Double
    public let f: Double
    public let df1: Double
    public let df2: Double
    public let pValue: Double
    public let lower: Double
    public let upper: Double
}

/// The two-way ANOVA of a ratings table and the six ICC forms computed from it.
public struct ICCAnalysis: Sendable, Codable {
    /// n, the number of targets.
    public let targets: Int
    /// k, the number of raters.
    public let raters: Int
    /// Mean squares: between targets (rows), between raters (columns), residual, within targets.
    public let msr: Double, msc: Double, mse: Double, msw: Double
    public let level: Double
    /// In the order ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k.
    public let results: [ICCResult]

    public subscript(form: ICCForm) -> ICCResult { results.first { $0.form == form }! }
}

/// Intraclass correlation from a complete targets × raters table (Shrout & Fleiss 1979;
/// McGraw & Wong 1996), with the F tests and confidence intervals as pingouin reports them.
public enum IntraclassCorrelation {
    /// Computes all six forms. With n targets and k raters:
    ///
    /// - SSR = k Σ (row mean − grand mean)², MSR = SSR/(n−1); SSC = n Σ (column mean − grand mean)²,
    ///   MSC = SSC/(k−1); SSE = SST − SSR − SSC, MSE = SSE/((n−1)(k−1)); MSW = (SSE + SSC)/(n(k−1)).
    /// - ICC1 = (MSR−MSW)/(MSR+(k−1)MSW); ICC2 = (MSR−MSE)/(MSR+(k−1)MSE+k(MSC−MSE)/n);
    ///   ICC3 = (MSR−MSE)/(MSR+(k−1)MSE); ICC1k = (MSR−MSW)/MSR;
    ///   ICC2k = (MSR−MSE)/(MSR+(MSC−MSE)/n); ICC3k = (MSR−MSE)/MSR.
    /// - F tests: ICC1 and ICC1k use F = MSR/MSW on (n−1, n(k−1)) df; the other four use
    ///   F = MSR/MSE on (n−1, (n−1)(k−1)) df; p = P(F > observed).
    /// - Intervals (Shrout & Fleiss 1979, Table 4; McGraw & Wong 1996, Table 7), with F_q(a, b) the
    ///   q-quantile and q = 1 − α/2: for one-way and consistency forms, F_L = F/F_q(df1, df2) and
    ///   F_U = F·F_q(df2, df1), then (F_L−1)/(F_L+k−1) … for single raters and 1 − 1/F_L … for
    ///   the mean of k. For ICC2 the Satterthwaite df v of the denominator gives
    ///   L = n(MSR − F* MSE)/(F*(k MSC + (kn−k−n) MSE) + n MSR) with F* = F_q(n−1, v), and
    ///   U likewise with F_q(v, n−1); ICC2k's bounds are the Spearman–Brown step-up of ICC2's.
    /// Throws `.invalidValue` when the ratings have no residual variance (all equal, or raters
    /// that differ from each other only by a constant): the F tests and intervals are undefined.
    public static func analyze(_ ratings: RatingMatrix, level: Double = 0.95) throws -> ICCAnalysis {
        let x = ratings.values
        let n = x.count
        let k = x.first?.count ?? 0
        precondition(n >= 2 && k >= 2, "the ICC needs at least 2 targets and 2 raters, got \(n) × \(k)")
        precondition(level > 0 && level < 1, "the confidence level must lie in (0, 1)")
        let nd = Double(n)
        let kd = Double(k)
        let grand = x.reduce(0) { $0 + $1.reduce(0, +) } / (nd * kd)
        let rowMeans = x.map { $0.reduce(0, +) / kd }
        let colMeans = (0..<k).map { j in x.reduce(0) { $0 + $1[j] } / nd }
        let ssr = kd * rowMeans.reduce(0) { $0 + ($1 - grand) * ($1 - grand) }
        let ssc = nd * colMeans.reduce(0) { $0 + ($1 - grand) * ($1 - grand) }
        // Residuals computed directly (not SST − SSR − SSC) to avoid cancellation.
        var sse = 0.0
        for i in 0..<n {
            for j in 0..<k {
                let e = x[i][j] - rowMeans[i] - colMeans[j] + grand
                sse += e * e
            }
        }
        let msr = ssr / (nd - 1)
        let msc = ssc / (kd - 1)
        let mse = sse / ((nd - 1) * (kd - 1))
        let msw = (sse + ssc) / (nd * (kd - 1))
        // Relative to the ratings' spread; exact zeros come out as rounding noise.
        let spread = max(msr, msc, msw, 0)
        guard spread > 0 else {
            throw EmoMusikError(
                .invalidValue, "all \(n * k) ratings are equal: there is no variance to apportion",
                hint: "the ICC needs ratings that vary between targets")
        }
        guard mse > spread * 1e-12 else {
            throw EmoMusikError(
                .invalidValue,
                "the ratings have no residual variance: each rater's ratings differ from the others' by a constant, so the F tests and intervals are undefined",
                hint: "raters agree perfectly up to a shift (ICC3 would be 1); report that rather than an ICC")
        }

        let icc1 = (msr - msw) / (msr + (kd - 1) * msw)
        let icc2 = (msr - mse) / (msr + (kd - 1) * mse + kd * (msc - mse) / nd)
        let icc3 = (msr - mse) / (msr + (kd - 1) * mse)
        let icc1k = (msr - msw) / msr
        let icc2k = (msr - mse) / (msr + (msc - mse) / nd)
        let icc3k = (msr - mse) / msr

        let q = 1 - (1 - level) / 2
        let df1 = nd - 1
        let df1w = nd * (kd - 1)  // one-way residual df
        let df2e = (nd - 1) * (kd - 1)  // two-way residual df

        // One-way (ICC1, ICC1k).
        let fOne = msr / msw
        let pOne = FisherF(df1: df1, df2: df1w).sf(fOne)
        let fOneL = fOne / FisherF(df1: df1, df2: df1w).quantile(q)
        let fOneU = fOne * FisherF(df1: df1w, df2: df1).quantile(q)
        // Two-way (ICC2, ICC3 and their k forms share the F test).
        let fTwo = msr / mse
        let pTwo = FisherF(df1: df1, df2: df2e).sf(fTwo)
        let fTwoL = fTwo / FisherF(df1: df1, df2: df2e).quantile(q)
        let fTwoU = fTwo * FisherF(df1: df2e, df2: df1).quantile(q)

        func single(_ f: Double) -> Double { (f - 1) / (f + kd - 1) }
        func average(_ f: Double) -> Double { 1 - 1 / f }

        // ICC2: Satterthwaite-type df for the denominator (McGraw & Wong 1996, Table 7, Case 2A).
        let fj = msc / mse
        let common = nd * (1 + (kd - 1) * icc2) - kd * icc2
        let vNumerator = df2e * pow(kd * icc2 * fj + common, 2)
        let vDenominator = df1 * kd * kd * icc2 * icc2 * fj * fj + common * common
        let v = vNumerator / vDenominator
        var lower2 = Double.nan
        var upper2 = Double.nan
        if v.isFinite && v > 0 {
            let fStarU = FisherF(df1: df1, df2: v).quantile(q)
            let fStarL = FisherF(df1: v, df2: df1).quantile(q)
            let scale = kd * msc + (kd * nd - kd - nd) * mse
            lower2 = nd * (msr - fStarU * mse) / (fStarU * scale + nd * msr)
            upper2 = nd * (fStarL * msr - mse) / (scale + nd * fStarL * msr)
        }
        func stepUp(_ r: Double) -> Double { r * kd / (1 + r * (kd - 1)) }

        let results = [
            ICCResult(form: .icc1, icc: icc1, f: fOne, df1: df1, df2: df1w, pValue: pOne,
                      lower: single(fOneL), upper: single(fOneU)),
            ICCResult(form: .icc2, icc: icc2, f: fTwo, df1: df1, df2: df2e, pValue: pTwo,
                      lower: lower2, upper: upper2),
            ICCResult(form: .icc3, icc: icc3, f: fTwo, df1: df1, df2: df2e, pValue: pTwo,
                      lower: single(fTwoL), upper: single(fTwoU)),
            ICCResult(form: .icc1k, icc: icc1k, f: fOne, df1: df1, df2: df1w, pValue: pOne,
                      lower: average(fOneL), upper: average(fOneU)),
            ICCResult(form: .icc2k, icc: icc2k, f: fTwo, df1: df1, df2: df2e, pValue: pTwo,
                      lower: stepUp(lower2), upper: stepUp(upper2)),
            ICCResult(form: .icc3k, icc: icc3k, f: fTwo, df1: df1, df2: df2e, pValue: pTwo,
                      lower: average(fTwoL), upper: average(fTwoU)),
        ]
        return ICCAnalysis(targets: n, raters: k, msr: msr, msc: msc, mse: mse, msw: msw,
                           level: level, results: results)
    }
}
