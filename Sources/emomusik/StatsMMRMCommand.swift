import ArgumentParser
import EmoMusikCore
import Foundation
import Statistics

extension StatsCommand {
    /// `emomusik stats mmrm`: outcomes of a pre/post study by a Mixed Model for Repeated Measures.
    struct MixedModel: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mmrm",
            abstract: "Pre/post outcomes: MMRM with unstructured covariance (REML), Satterthwaite df, LS means, changes.",
            discussion: """
                FILE.csv is in long format, one questionnaire score per subject and visit, with
                a header naming the columns subject, group, visit and score (other columns are
                ignored unless named). A missed visit is simply absent: every subject
                contributes the visits it has, nothing is imputed.

                  subject,group,visit,score
                  s01,control,pre,1.2
                  s01,control,post,1.5
                  s02,music,pre,1.0
                  s02,music,post,2.4

                The model: fixed effects for group, visit and group×visit (plus the baseline
                and baseline×visit when there is a baseline column, plus --covariate columns),
                and one unstructured covariance between visits, fitted by REML (Newton's method
                on its Cholesky factor; the command stops with an error if it does not
                converge). Groups are compared with the first group in the file (or
                --reference); visits go in numeric order when all are numbers, else in the
                order they first appear (or --visits).

                Printed: the covariance and correlation between visits; every fixed effect;
                the least-squares mean of each group at each visit (covariates at their means
                over the observations); each group minus the reference at each visit; the
                change from the first visit (or from the mean baseline) per group, and its
                difference between groups; and "percent improvement", (post − pre) / pre × 100
                of the group means, both of the least-squares means and of the observed means.
                Tests and intervals use Satterthwaite degrees of freedom with the covariance of
                the variance parameters from the observed REML information, as R's mmrm does.

                A column called baseline is used as the baseline score when present (it must be
                the same on all of a subject's rows); --no-baseline ignores it.

                Examples:
                  emomusik stats mmrm outcomes.csv
                  emomusik stats mmrm outcomes.csv --reference control --visits pre,post,followup
                  emomusik stats mmrm outcomes.csv --covariate age --covariate sessions
                  emomusik stats mmrm outcomes.csv --score-column sdq_total --subject-column child
                  emomusik stats mmrm outcomes.csv --json > mmrm.json
                """)

        @Argument(help: ArgumentHelp("Scores in long format: subject,group,visit,score.", valueName: "FILE.csv"))
        var file: String

        @Option(name: .customLong("covariate"), help: ArgumentHelp("A numeric covariate column (repeatable).", valueName: "NAME"))
        var covariates: [String] = []

        @Option(help: ArgumentHelp("The baseline score column (default: 'baseline' when the file has one).", valueName: "NAME"))
        var baseline: String?

        @Flag(name: .customLong("no-baseline"), help: "Do not adjust for a baseline column even if the file has one.")
        var noBaseline = false

        @Option(help: ArgumentHelp("The visits in time order, comma-separated.", valueName: "V1,V2,..."))
        var visits: String?

        @Option(help: ArgumentHelp("The group the others are compared with (default: the first in the file).", valueName: "GROUP"))
        var reference: String?

        @Option(help: ArgumentHelp("The subject column.", valueName: "NAME"))
        var subjectColumn = "subject"

        @Option(help: ArgumentHelp("The group column.", valueName: "NAME"))
        var groupColumn = "group"

        @Option(help: ArgumentHelp("The visit column.", valueName: "NAME"))
        var visitColumn = "visit"

        @Option(help: ArgumentHelp("The score column.", valueName: "NAME"))
        var scoreColumn = "score"

        @Option(help: "Confidence level of the intervals, between 0 and 1.")
        var level: Double = 0.95

        @Option(help: "Newton iterations allowed for the REML fit.")
        var maxIterations = 200

        @Flag(help: "Print JSON instead of tables.")
        var json = false

        func validate() throws {
            guard level > 0 && level < 1 else {
                throw ValidationError("--level \(level) must lie strictly between 0 and 1, e.g. --level 0.95")
            }
            guard maxIterations >= 1 else {
                throw ValidationError("--max-iterations \(maxIterations) must be at least 1, e.g. --max-iterations 200")
            }
            if noBaseline && baseline != nil {
                throw ValidationError("--baseline and --no-baseline contradict each other; give one of them")
            }
            if let visits, visits.split(separator: ",").count < 1 {
                throw ValidationError("--visits needs the visit labels in order, e.g. --visits pre,post")
            }
        }

        func run() throws {
            var columns = MMRMColumns()
            columns.subject = subjectColumn
            columns.group = groupColumn
            columns.visit = visitColumn
            columns.score = scoreColumn
            columns.covariates = covariates
            columns.baseline = noBaseline ? .none : baseline.map { .named($0) } ?? .automatic
            columns.visitOrder = visits.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            columns.referenceGroup = reference
            let data = try MMRMData.load(path: file, columns: columns)
            let analysis = try Statistics.MMRM.analyze(data, level: level, maxIterations: maxIterations)
            if json {
                print(try jsonText(MMRMReportJSON(analysis)))
            } else {
                print(analysis.table(), terminator: "")
            }
        }
    }
}

private struct MMRMReportJSON: Encodable {
    struct Estimate: Encodable {
        var name: String
        var group: String?
        var visit: String?
        var reference: String?
        var estimate: FiniteOrNull
        var se: FiniteOrNull
        var df: FiniteOrNull
        var t: FiniteOrNull
        var p: FiniteOrNull
        var ci: [FiniteOrNull]

        init(_ e: MMRMEstimate) {
            name = e.name
            group = e.group
            visit = e.visit
            reference = e.reference
            estimate = FiniteOrNull(e.estimate)
            se = FiniteOrNull(e.standardError)
            df = FiniteOrNull(e.df)
            t = FiniteOrNull(e.t)
            p = FiniteOrNull(e.p)
            ci = [FiniteOrNull(e.lower), FiniteOrNull(e.upper)]
        }
    }
    struct Percent: Encodable {
        var group: String
        var visit: String
        var modelPre: FiniteOrNull
        var modelPost: FiniteOrNull
        var modelPercent: FiniteOrNull
        var observedPre: FiniteOrNull
        var observedPost: FiniteOrNull
        var observedPercent: FiniteOrNull
        var observedPreCount: Int
        var observedPostCount: Int
    }
    struct Fit: Encodable {
        var method: String
        var converged: Bool
        var iterations: Int
        var maxGradient: FiniteOrNull
        var remlLogLikelihood: FiniteOrNull
        var minus2REMLLogLikelihood: FiniteOrNull
        var covarianceParameters: Int
        var dfMethod: String
    }
    var file: String
    var groups: [String]
    var visits: [String]
    var referenceGroup: String
    var baseline: String?
    var covariates: [String]
    var covariateMeans: [String: FiniteOrNull]
    var subjects: Int
    var subjectsPerGroup: [String: Int]
    var observations: Int
    var observationsPerVisit: [String: Int]
    var level: Double
    var fit: Fit
    var covariance: [[FiniteOrNull]]
    var correlation: [[FiniteOrNull]]
    var fixedEffects: [Estimate]
    var lsMeans: [Estimate]
    var groupContrasts: [Estimate]
    var changes: [Estimate]
    var changeDifferences: [Estimate]
    var percentImprovement: [Percent]

    init(_ a: MMRMAnalysis) {
        file = a.file
        groups = a.groups
        visits = a.visits
        referenceGroup = a.groups[0]
        baseline = a.baselineName
        covariates = a.covariateNames
        covariateMeans = Dictionary(uniqueKeysWithValues: a.covariateMeans.map { ($0.name, FiniteOrNull($0.mean)) })
        subjects = a.subjects
        subjectsPerGroup = Dictionary(uniqueKeysWithValues: zip(a.groups, a.subjectsPerGroup).map { ($0, $1) })
        observations = a.observations
        observationsPerVisit = Dictionary(uniqueKeysWithValues: zip(a.visits, a.observationsPerVisit).map { ($0, $1) })
        level = a.level
        fit = Fit(method: "REML, unstructured covariance, Newton on the Cholesky factor (log diagonal)", converged: true,
                  iterations: a.iterations, maxGradient: FiniteOrNull(a.maxGradient),
                  remlLogLikelihood: FiniteOrNull(a.remlLogLikelihood),
                  minus2REMLLogLikelihood: FiniteOrNull(a.minus2REMLLogLikelihood),
                  covarianceParameters: a.covarianceParameters, dfMethod: MMRMAnalysis.dfMethod)
        covariance = a.covariance.map { $0.map(FiniteOrNull.init) }
        correlation = a.correlation.map { $0.map(FiniteOrNull.init) }
        fixedEffects = a.fixedEffects.map(Estimate.init)
        lsMeans = a.lsMeans.map(Estimate.init)
        groupContrasts = a.groupContrasts.map(Estimate.init)
        changes = a.changes.map(Estimate.init)
        changeDifferences = a.changeDifferences.map(Estimate.init)
        percentImprovement = a.percentChanges.map {
            Percent(group: $0.group, visit: $0.visit, modelPre: FiniteOrNull($0.modelPre), modelPost: FiniteOrNull($0.modelPost),
                    modelPercent: FiniteOrNull($0.modelPercent), observedPre: FiniteOrNull($0.observedPre),
                    observedPost: FiniteOrNull($0.observedPost), observedPercent: FiniteOrNull($0.observedPercent),
                    observedPreCount: $0.observedPreCount, observedPostCount: $0.observedPostCount)
        }
    }
}
