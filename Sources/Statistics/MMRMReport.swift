import Foundation

/// The terminal rendering of an MMRM analysis; the numbers are those of the JSON output.
extension MMRMAnalysis {
    public func table() -> String {
        let percent = ICCAnalysis.levelText(level)
        var out: [String] = []
        let perGroup = zip(groups, subjectsPerGroup).map { "\($0) \($1)" }.joined(separator: ", ")
        let perVisit = zip(visits, observationsPerVisit).map { "\($0): \($1)" }.joined(separator: ", ")
        out.append("MMRM: \(subjects) subjects (\(perGroup)), \(observations) observations at \(visits.count) visits (\(perVisit)); \(file)")
        var terms = ["intercept", "group", "visit", "group×visit"]
        if let b = baselineName { terms += [b, "\(b)×visit"] }
        terms += covariateNames
        out.append("Fixed effects: " + terms.joined(separator: ", ") + "; reference group '\(groups[0])', reference visit '\(visits[0])'.")
        out.append("Unstructured covariance (\(covarianceParameters) parameters) by REML: converged in \(iterations) Newton "
            + "iteration(s), largest gradient \(String(format: "%.1e", maxGradient)); −2 REML log-likelihood \(ICCAnalysis.fixed(minus2REMLLogLikelihood, 4)).")
        out.append("Degrees of freedom: \(Self.dfMethod).")
        if !covariateMeans.isEmpty {
            out.append("Least-squares means at " + covariateMeans.map { "\($0.name) = \(ICCAnalysis.fixed($0.mean, 4))" }
                .joined(separator: ", ") + " (means over the observations).")
        }

        out.append("")
        out.append("Covariance between visits (correlation in brackets)")
        let corr = correlation
        var covRows: [[String]] = []
        for i in visits.indices {
            covRows.append([visits[i]] + visits.indices.map { j in
                i == j ? ICCAnalysis.fixed(covariance[i][j], 4)
                    : "\(ICCAnalysis.fixed(covariance[i][j], 4)) (\(ICCAnalysis.fixed(corr[i][j], 2)))"
            })
        }
        out += Self.grid(header: ["visit"] + visits, rows: covRows)

        out.append("")
        out.append("Fixed effects")
        out += Self.grid(header: ["term", "estimate", "SE", "df", "t", "p"],
                         rows: fixedEffects.map { [$0.name] + Self.test($0) })

        out.append("")
        out.append("Least-squares means")
        out += Self.grid(header: ["group", "visit", "mean", "SE", "df", "CI\(percent)"],
                         rows: lsMeans.map { [$0.group ?? "", $0.visit ?? ""] + Self.interval($0) })

        if !groupContrasts.isEmpty {
            out.append("")
            out.append("Between groups, at each visit")
            out += Self.grid(header: ["contrast", "estimate", "SE", "df", "t", "p", "CI\(percent)"],
                             rows: groupContrasts.map { [$0.name] + Self.test($0) + [Self.ci($0)] })
        }

        out.append("")
        out.append(baselineName.map { "Change from \($0) (least-squares mean − mean \($0))" } ?? "Change from \(visits[0])")
        out += Self.grid(header: ["group", "visit", "change", "SE", "df", "t", "p", "CI\(percent)"],
                         rows: changes.map { [$0.group ?? "", $0.visit ?? ""] + Self.test($0) + [Self.ci($0)] })
        if !changeDifferences.isEmpty {
            out.append("")
            out.append("Difference in change from \(visits[0]) between groups")
            out += Self.grid(header: ["contrast", "estimate", "SE", "df", "t", "p", "CI\(percent)"],
                             rows: changeDifferences.map { [$0.name] + Self.test($0) + [Self.ci($0)] })
        }

        out.append("")
        out.append("Percent improvement, (post − pre) / pre × 100 of group means (pre: "
            + (baselineName.map { "mean \($0)" } ?? "visit \(visits[0])") + ")")
        out += Self.grid(
            header: ["group", "visit", "LS pre", "LS post", "LS %", "observed pre", "observed post", "observed %", "n pre", "n post"],
            rows: percentChanges.map {
                [$0.group, $0.visit, ICCAnalysis.fixed($0.modelPre, 3), ICCAnalysis.fixed($0.modelPost, 3), Self.signedPercent($0.modelPercent),
                 ICCAnalysis.fixed($0.observedPre, 3), ICCAnalysis.fixed($0.observedPost, 3), Self.signedPercent($0.observedPercent),
                 "\($0.observedPreCount)", "\($0.observedPostCount)"]
            })
        return out.joined(separator: "\n") + "\n"
    }

    static func signedPercent(_ x: Double) -> String {
        x.isFinite ? String(format: "%+.2f %%", x) : "n/a"
    }

    static func df(_ x: Double) -> String { x.isFinite ? String(format: "%.2f", x) : "inf" }

    static func test(_ e: MMRMEstimate) -> [String] {
        [ICCAnalysis.fixed(e.estimate, 4), ICCAnalysis.fixed(e.standardError, 4), df(e.df), ICCAnalysis.fixed(e.t, 3),
         ICCAnalysis.pValue(e.p)]
    }

    static func ci(_ e: MMRMEstimate) -> String { "[\(ICCAnalysis.fixed(e.lower, 4)), \(ICCAnalysis.fixed(e.upper, 4))]" }

    static func interval(_ e: MMRMEstimate) -> [String] {
        [ICCAnalysis.fixed(e.estimate, 4), ICCAnalysis.fixed(e.standardError, 4), df(e.df), ci(e)]
    }

    /// Columns padded to their widest cell: text columns (the first ones, up to the first number) left-aligned.
    static func grid(header: [String], rows: [[String]]) -> [String] {
        let widths = header.indices.map { c in ([header[c]] + rows.map { $0[c] }).map(\.count).max() ?? 0 }
        let textColumns = header.firstIndex { ["estimate", "mean", "change", "LS pre"].contains($0) }
            ?? (header.first == "visit" ? 1 : 0)
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, cell in
                let gap = String(repeating: " ", count: widths[c] - cell.count)
                return c < textColumns ? cell + gap : gap + cell
            }.joined(separator: "  ")
        }
        return [line(header)] + rows.map(line)
    }
}
