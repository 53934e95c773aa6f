import ArgumentParser
import EmoMusikCore
import Foundation
import Statistics

/// `emomusik stats icc|bootstrap`: agreement and confidence intervals for rating studies.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Statistics for rating studies: intraclass correlation and bootstrap intervals.",
        discussion: """
            Reads CSV files with a header row; columns are found by name, in any order.
            Results agree with pingouin and scipy (see scripts/reference_stats.py).

            Examples:
              emomusik stats icc ratings.csv
              emomusik stats icc ratings.csv --json
              emomusik stats bootstrap scores.csv --column score
              emomusik stats bootstrap scores.csv --column score --statistic median
              emomusik stats bootstrap scores.csv --column score --cluster subject
            """,
        subcommands: [ICC.self, BootstrapInterval.self, MixedModel.self]
    )
}

extension StatsCommand {
    struct ICC: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "icc",
            abstract: "All six Shrout & Fleiss intraclass correlations with F tests and confidence intervals.",
            discussion: """
                FILE.csv is in long format, one rating per row, with a header naming the
                columns target, rater and rating (other columns are ignored):

                  target,rater,rating
                  clip01,ana,4
                  clip01,ben,5
                  clip02,ana,2
                  clip02,ben,3

                Every rater must rate every target exactly once; a missing or repeated rating
                is reported with the target and rater it concerns.

                The table lists ICC1, ICC2, ICC3 (single rater) and ICC1k, ICC2k, ICC3k (the
                mean of k raters): one-way random, two-way random (absolute agreement) and
                two-way fixed (consistency) models, each with F, its degrees of freedom, the
                p-value and the confidence interval, as pingouin's intraclass_corr reports
                them. Raters who each rate every clip in a blind study are usually analysed
                with ICC2 (generalising to other raters) or ICC3 (these raters only).

                Examples:
                  emomusik stats icc ratings.csv
                  emomusik stats icc ratings.csv --level 0.9
                  emomusik stats icc ratings.csv --json > icc.json
                """)

        @Argument(help: ArgumentHelp("Ratings in long format: target,rater,rating.", valueName: "FILE.csv"))
        var file: String

        @Option(help: "Confidence level of the intervals, between 0 and 1.")
        var level: Double = 0.95

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func validate() throws {
            guard level > 0 && level < 1 else {
                throw ValidationError("--level \(level) must lie strictly between 0 and 1, e.g. --level 0.95")
            }
        }

        func run() throws {
            let ratings = try RatingMatrix.loadLongCSV(path: file)
            let analysis = try IntraclassCorrelation.analyze(ratings, level: level)
            if json {
                print(try jsonText(ICCReportJSON(file: file, analysis: analysis)))
            } else {
                print(analysis.table(), terminator: "")
            }
        }
    }

    struct BootstrapInterval: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bootstrap",
            abstract: "Percentile and BCa bootstrap confidence intervals for the mean or median of a column.",
            discussion: """
                Resamples the rows of FILE.csv with replacement (or whole clusters of rows
                with --cluster), computes the statistic of the column on each resample, and
                reports the percentile interval and the bias-corrected and accelerated (BCa,
                Efron 1987) interval. The same seed gives the same interval.

                  subject,score
                  s01,2.5
                  s02,3.0
                  s02,3.5

                Examples:
                  emomusik stats bootstrap scores.csv --column score
                  emomusik stats bootstrap scores.csv --column score --statistic median
                  emomusik stats bootstrap scores.csv --column score --seed 42
                  emomusik stats bootstrap scores.csv --column score --resamples 10000
                  emomusik stats bootstrap scores.csv --column score --cluster subject --json
                """)

        @Argument(help: ArgumentHelp("A CSV file with a header row.", valueName: "FILE.csv"))
        var file: String

        @Option(help: ArgumentHelp("The column of numbers to summarise.", valueName: "NAME"))
        var column: String

        @Option(help: "The statistic.")
        var statistic: StatisticChoice = .mean

        @Option(help: "FiniteOrNull of bootstrap resamples.")
        var resamples = 2000

        @Option(help: "Seed of the random resampling (SplitMix64).")
        var seed: UInt64 = 1

        @Option(help: "Confidence level of the intervals, between 0 and 1.")
        var level: Double = 0.95

        @Option(help: ArgumentHelp("Resample whole clusters named by this column (e.g. subject or rater).", valueName: "NAME"))
        var cluster: String?

        @Flag(help: "Print JSON instead of text.")
        var json = false

        enum StatisticChoice: String, ExpressibleByArgument, CaseIterable {
            case mean, median
            var statistic: SampleStatistic { self == .mean ? .mean : .median }
        }

        func validate() throws {
            guard resamples >= 100 else {
                throw ValidationError("--resamples \(resamples) is too few for an interval; use at least 100, e.g. --resamples 2000")
            }
            guard level > 0 && level < 1 else {
                throw ValidationError("--level \(level) must lie strictly between 0 and 1, e.g. --level 0.95")
            }
        }

        func run() throws {
            let table = try CSVTable.load(path: file)
            let values = try table.numbers(column: column)
            guard values.count >= 2 else {
                throw EmoMusikError(.invalidValue, "'\(file)' has \(values.count) value(s) in '\(column)'; a bootstrap needs at least 2",
                                    location: SourceLocation(file: file, field: column))
            }
            let bootstrap = Bootstrap(resamples: resamples, seed: seed, level: level)
            let statistic = statistic.statistic
            let result: BootstrapResult
            if let cluster {
                let c = try table.column(named: cluster)
                let labels = try table.rows.map { try table.text($0, column: c) }
                result = bootstrap.run(clusters: labels) { statistic(values, $0) }
            } else {
                result = bootstrap.run(count: values.count) { statistic(values, $0) }
            }
            if json {
                print(try jsonText(BootstrapReportJSON(
                    file: file, column: column, statistic: statistic.rawValue, cluster: cluster, result: result)))
            } else {
                print(result.summary(statistic: "\(statistic.rawValue) of '\(column)'"), terminator: "")
            }
        }
    }
}

private struct ICCReportJSON: Encodable {
    struct Row: Encodable {
        var form: String
        var type: String
        var description: String
        var icc: FiniteOrNull
        var f: FiniteOrNull
        var df1: FiniteOrNull
        var df2: FiniteOrNull
        var p: FiniteOrNull
        var ci: [FiniteOrNull]
    }
    var file: String
    var targets: Int
    var raters: Int
    var level: Double
    var meanSquares: [String: FiniteOrNull]
    var forms: [Row]

    init(file: String, analysis: ICCAnalysis) {
        self.file = file
        targets = analysis.targets
        raters = analysis.raters
        level = analysis.level
        meanSquares = ["rows": FiniteOrNull(analysis.msr), "columns": FiniteOrNull(analysis.msc),
                       "error": FiniteOrNull(analysis.mse), "within": FiniteOrNull(analysis.msw)]
        forms = analysis.results.map {
            Row(form: $0.form.rawValue, type: $0.form.label, description: $0.form.summary, icc: FiniteOrNull($0.icc),
                f: FiniteOrNull($0.f), df1: FiniteOrNull($0.df1), df2: FiniteOrNull($0.df2), p: FiniteOrNull($0.pValue),
                ci: [FiniteOrNull($0.lower), FiniteOrNull($0.upper)])
        }
    }
}

private struct BootstrapReportJSON: Encodable {
    struct Interval: Encodable {
        var lower: FiniteOrNull
        var upper: FiniteOrNull
    }
    var file: String
    var column: String
    var statistic: String
    var cluster: String?
    var units: Int
    var estimate: FiniteOrNull
    var standardError: FiniteOrNull
    var resamples: Int
    var seed: UInt64
    var level: Double
    var percentile: Interval
    var bca: Interval?
    var bcaUnavailable: String?
    var biasCorrection: FiniteOrNull
    var acceleration: FiniteOrNull
    var nonFiniteReplicates: Int

    init(file: String, column: String, statistic: String, cluster: String?, result: BootstrapResult) {
        self.file = file
        self.column = column
        self.statistic = statistic
        self.cluster = cluster
        units = result.units
        estimate = FiniteOrNull(result.estimate)
        standardError = FiniteOrNull(result.standardError)
        resamples = result.resamples
        seed = result.seed
        level = result.level
        percentile = Interval(lower: FiniteOrNull(result.percentile.lower), upper: FiniteOrNull(result.percentile.upper))
        bca = result.bca.map { Interval(lower: FiniteOrNull($0.lower), upper: FiniteOrNull($0.upper)) }
        bcaUnavailable = result.bcaUnavailableReason
        biasCorrection = FiniteOrNull(result.biasCorrection)
        acceleration = FiniteOrNull(result.acceleration)
        nonFiniteReplicates = result.nonFiniteReplicates
    }
}
