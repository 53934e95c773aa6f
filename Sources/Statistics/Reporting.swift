import Foundation

/// Fixed-width text renderings for terminals; numbers the same as the JSON output.
extension ICCAnalysis {
    /// A table of the six forms: form, pingouin's type label, description, ICC, F, df1, df2, p and
    /// the confidence interval, one line each, preceded by a title line and a header.
    public func table() -> String {
        let percent = Self.levelText(level)
        var lines = ["Intraclass correlation: \(targets) targets × \(raters) raters "
            + "(MSR \(Self.fixed(msr, 4)), MSC \(Self.fixed(msc, 4)), MSE \(Self.fixed(mse, 4)), MSW \(Self.fixed(msw, 4)))"]
        let descriptionWidth = ICCForm.allCases.map(\.summary.count).max() ?? 0
        func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
            let gap = String(repeating: " ", count: max(0, width - text.count))
            return right ? gap + text : text + gap
        }
        lines.append(pad("Form", 6) + pad("Type", 10) + pad("Description", descriptionWidth + 2)
            + pad("ICC", 7, right: true) + pad("F", 10, right: true) + pad("df1", 6, right: true)
            + pad("df2", 6, right: true) + pad("p", 11, right: true) + "  CI\(percent)")
        for r in results {
            lines.append(pad(r.form.rawValue, 6) + pad(r.form.label, 10) + pad(r.form.summary, descriptionWidth + 2)
                + pad(Self.fixed(r.icc, 3), 7, right: true) + pad(Self.statistic(r.f), 10, right: true)
                + pad(Self.compact(r.df1), 6, right: true) + pad(Self.compact(r.df2), 6, right: true)
                + pad(Self.pValue(r.pValue), 11, right: true)
                + "  [\(Self.fixed(r.lower, 3)), \(Self.fixed(r.upper, 3))]")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func levelText(_ level: Double) -> String {
        let percent = level * 100
        return percent == percent.rounded() ? String(Int(percent)) : String(format: "%.1f", percent)
    }

    static func fixed(_ x: Double, _ digits: Int) -> String {
        x.isFinite ? String(format: "%.\(digits)f", x) : (x.isNaN ? "n/a" : (x > 0 ? "inf" : "-inf"))
    }

    /// A test statistic for a 10-character column: fixed below a million, else scientific.
    static func statistic(_ x: Double) -> String {
        x.isFinite && abs(x) >= 1e6 ? String(format: "%.3e", x) : fixed(x, 3)
    }

    static func compact(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(format: "%.2f", x)
    }

    /// p to 4 decimals, or in scientific notation below 0.001.
    static func pValue(_ p: Double) -> String {
        guard p.isFinite else { return "n/a" }
        return p >= 0.001 || p == 0 ? String(format: "%.4f", p) : String(format: "%.2e", p)
    }
}

extension BootstrapResult {
    /// A short report: the estimate, the standard error, and both intervals (or why BCa is missing).
    public func summary(statistic: String) -> String {
        let percent = ICCAnalysis.levelText(level)
        let sampleWord = clustered ? "clusters" : "observations"
        var lines = ["\(statistic): \(ICCAnalysis.fixed(estimate, 4))  (\(units) \(sampleWord), "
            + "\(resamples) resamples, seed \(seed))"]
        lines.append("bootstrap standard error: \(ICCAnalysis.fixed(standardError, 4))")
        let p = percentile
        lines.append("\(percent)% percentile interval: [\(ICCAnalysis.fixed(p.lower, 4)), \(ICCAnalysis.fixed(p.upper, 4))]")
        if let bca {
            lines.append("\(percent)% BCa interval:        [\(ICCAnalysis.fixed(bca.lower, 4)), \(ICCAnalysis.fixed(bca.upper, 4))]"
                + "  (bias correction z0 = \(ICCAnalysis.fixed(biasCorrection, 4)), acceleration a = \(ICCAnalysis.fixed(acceleration, 4)))")
        } else {
            lines.append("\(percent)% BCa interval:        not available: \(bcaUnavailableReason ?? "unknown reason")")
        }
        if nonFiniteReplicates > 0 {
            lines.append("\(nonFiniteReplicates) resample(s) gave no finite value and were left out")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
