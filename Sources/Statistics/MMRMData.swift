import EmoMusikCore
import Foundation

extension EmoMusikError.Code {
    /// The REML fit of a mixed model did not converge or the model cannot be estimated from the data.
    public static let modelFit = EmoMusikError.Code(rawValue: "model-fit")
}

/// Which columns of a long-format outcome file hold what, and how to code groups and visits.
public struct MMRMColumns: Sendable, Equatable {
    /// Whether and from which column the model takes a baseline score.
    public enum Baseline: Sendable, Equatable {
        /// The column called `baseline` when the header has one, else none.
        case automatic
        case named(String)
        case none
    }

    public var subject = "subject"
    public var group = "group"
    public var visit = "visit"
    public var score = "score"
    public var baseline: Baseline = .automatic
    /// Further numeric covariates (constant within a subject or not), each a column name.
    public var covariates: [String] = []
    /// The visits in time order; nil: numeric order when every visit label is a number, else the
    /// order of first appearance in the file.
    public var visitOrder: [String]? = nil
    /// The group the others are compared with; nil: the first group in the file.
    public var referenceGroup: String? = nil

    public init() {}
}

/// Pre/post questionnaire data in long format, checked and indexed for ``MMRM``: one row per
/// subject and visit, each subject in one group, visits possibly missing.
public struct MMRMData: Sendable {
    public struct Observation: Sendable, Equatable {
        /// Index into ``MMRMData/visits``.
        public var visit: Int
        public var score: Double
        /// The values of ``MMRMData/covariateNames`` on this row.
        public var covariates: [Double]
        /// The 1-based line in the file.
        public var line: Int
    }

    public struct Subject: Sendable, Equatable {
        public var id: String
        /// Index into ``MMRMData/groups``.
        public var group: Int
        public var baseline: Double?
        /// The observed visits in visit order.
        public var observations: [Observation]
    }

    public let file: String
    /// Group labels; the first is the reference.
    public let groups: [String]
    /// Visit labels in time order.
    public let visits: [String]
    /// The baseline column's name, when the model adjusts for baseline.
    public let baselineName: String?
    /// The other covariates' column names.
    public let covariateNames: [String]
    public let subjects: [Subject]

    public var observationCount: Int { subjects.reduce(0) { $0 + $1.observations.count } }

    public init(file: String, groups: [String], visits: [String], baselineName: String?, covariateNames: [String],
                subjects: [Subject]) {
        self.file = file
        self.groups = groups
        self.visits = visits
        self.baselineName = baselineName
        self.covariateNames = covariateNames
        self.subjects = subjects
    }

    /// Reads long-format CSV text; see ``load(path:columns:)``.
    public static func parse(_ text: String, file: String, columns: MMRMColumns = MMRMColumns()) throws -> MMRMData {
        try fromTable(CSVTable(text: text, file: file), columns: columns)
    }

    /// Reads a long-format CSV file with a header naming the columns (any order, other columns
    /// ignored). Every problem a user can fix is collected and reported at once, each with its
    /// file and line: a score, baseline or covariate that is not a number, an empty subject,
    /// group or visit, a subject with two rows for one visit, a subject whose group or baseline
    /// changes between rows, a visit not in the given order, a group with fewer than 2
    /// subjects, a group never observed at some visit, and two visits never observed together.
    public static func load(path: String, columns: MMRMColumns = MMRMColumns()) throws -> MMRMData {
        try fromTable(CSVTable.load(path: path), columns: columns)
    }

    static func fromTable(_ table: CSVTable, columns: MMRMColumns) throws -> MMRMData {
        let file = table.file
        // Columns: every missing one at once.
        var missing: [String] = []
        func find(_ name: String) -> Int? {
            do { return try table.column(named: name) } catch { missing.append("\(error)"); return nil }
        }
        let subjectColumn = find(columns.subject)
        let groupColumn = find(columns.group)
        let visitColumn = find(columns.visit)
        let scoreColumn = find(columns.score)
        var baselineName: String? = nil
        var baselineColumn: Int? = nil
        switch columns.baseline {
        case .automatic:
            if let c = try? table.column(named: "baseline") { baselineColumn = c; baselineName = table.header[c] }
        case .named(let name):
            baselineColumn = find(name)
            baselineName = baselineColumn.map { table.header[$0] }
        case .none:
            break
        }
        let covariateColumns = columns.covariates.map { find($0) }
        let reserved = [subjectColumn, groupColumn, visitColumn, scoreColumn, baselineColumn].compactMap { $0 }
        for (name, c) in zip(columns.covariates, covariateColumns) {
            if let c, reserved.contains(c) {
                missing.append("\(file):1 (\(name)): covariate '\(name)' is already the \(c == baselineColumn ? "baseline" : "subject, group, visit or score") column")
            }
        }
        if Set(covariateColumns.compactMap { $0 }).count != covariateColumns.compactMap({ $0 }).count {
            missing.append("\(file):1: a covariate is named twice")
        }
        guard missing.isEmpty, let subjectColumn, let groupColumn, let visitColumn, let scoreColumn else {
            throw EmoMusikError(
                .malformedFile, "cannot use the header of '\(file)':\n  " + missing.joined(separator: "\n  "),
                hint: "the file needs columns \(columns.subject), \(columns.group), \(columns.visit) and \(columns.score); "
                    + "name others with --subject-column etc., and covariates with --covariate NAME",
                location: nil)
        }
        let covariateIndices = covariateColumns.map { $0! }
        let covariateNames = covariateIndices.map { table.header[$0] }

        var problems: [String] = []
        func problem(_ line: Int?, _ column: Int?, _ message: String) {
            let location = SourceLocation(file: file, line: line, column: column.map { $0 + 1 },
                                          field: column.map { table.header[$0] })
            problems.append("\(location): \(message)")
        }
        func number(_ row: CSVTable.Row, _ column: Int) -> Double? {
            do { return try table.number(row, column: column) } catch let error as EmoMusikError {
                problems.append(error.location.map { "\($0): \(error.message)" } ?? error.message)
                return nil
            } catch {
                problems.append("\(file):\(row.line): \(error)")
                return nil
            }
        }
        func text(_ row: CSVTable.Row, _ column: Int) -> String? {
            guard column < row.fields.count else {
                problem(row.line, column, "the row has \(row.fields.count) field(s); '\(table.header[column])' is column \(column + 1)")
                return nil
            }
            let value = row.fields[column].trimmingCharacters(in: .whitespaces)
            if value.isEmpty { problem(row.line, column, "'\(table.header[column])' is empty"); return nil }
            return value
        }

        struct Raw {
            var subject: String
            var group: String
            var visit: String
            var score: Double
            var baseline: Double?
            var covariates: [Double]
            var line: Int
        }
        var raws: [Raw] = []
        var groupsInOrder: [String] = []
        var visitsInOrder: [String] = []
        for row in table.rows {
            let subject = text(row, subjectColumn)
            let group = text(row, groupColumn)
            let visit = text(row, visitColumn)
            let score = number(row, scoreColumn)
            let baseline = baselineColumn.flatMap { number(row, $0) }
            let covariates = covariateIndices.map { number(row, $0) }
            guard let subject, let group, let visit, let score, baselineColumn == nil || baseline != nil,
                  covariates.allSatisfy({ $0 != nil }) else { continue }
            if !groupsInOrder.contains(group) { groupsInOrder.append(group) }
            if !visitsInOrder.contains(visit) { visitsInOrder.append(visit) }
            raws.append(Raw(subject: subject, group: group, visit: visit, score: score, baseline: baseline,
                            covariates: covariates.map { $0! }, line: row.line))
        }

        // Visit order.
        var visits: [String]
        if let order = columns.visitOrder {
            visits = order
            let duplicates = Dictionary(grouping: order, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
            if !duplicates.isEmpty {
                problems.append("the visit order names \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) more than once")
            }
            for raw in raws where !order.contains(raw.visit) {
                problem(raw.line, visitColumn, "visit '\(raw.visit)' is not in the visit order \(order.joined(separator: ","))")
            }
            for v in order where !visitsInOrder.contains(v) {
                problems.append("\(file): visit '\(v)' of the visit order has no rows")
            }
        } else if visitsInOrder.allSatisfy({ Double($0) != nil }) {
            visits = visitsInOrder.sorted { Double($0)! < Double($1)! }
        } else {
            visits = visitsInOrder
        }
        var groups = groupsInOrder
        if let reference = columns.referenceGroup {
            if let i = groups.firstIndex(of: reference) {
                groups.remove(at: i)
                groups.insert(reference, at: 0)
            } else {
                let suggestion = closestMatch(to: reference, among: groups).map { " (did you mean '\($0)'?)" } ?? ""
                problems.append("\(file): the reference group '\(reference)' is not in the file\(suggestion); groups: \(groups.joined(separator: ", "))")
            }
        }

        // Subjects: one group and one baseline each, one row per visit.
        var subjectIndex: [String: Int] = [:]
        var subjects: [Subject] = []
        var firstLine: [Int] = []
        var visitLines: [[Int: Int]] = []
        for raw in raws {
            guard let v = visits.firstIndex(of: raw.visit), let g = groups.firstIndex(of: raw.group) else { continue }
            let s: Int
            if let known = subjectIndex[raw.subject] {
                s = known
                if subjects[s].group != g {
                    problem(raw.line, groupColumn, "subject '\(raw.subject)' is in group '\(raw.group)' here but in group "
                        + "'\(groups[subjects[s].group])' on line \(firstLine[s])")
                    continue
                }
                if let b = raw.baseline, let earlier = subjects[s].baseline, b != earlier {
                    problem(raw.line, baselineColumn, "subject '\(raw.subject)' has baseline \(Self.format(b)) here but "
                        + "\(Self.format(earlier)) on line \(firstLine[s])")
                }
            } else {
                s = subjects.count
                subjectIndex[raw.subject] = s
                subjects.append(Subject(id: raw.subject, group: g, baseline: raw.baseline, observations: []))
                firstLine.append(raw.line)
                visitLines.append([:])
            }
            if let earlier = visitLines[s][v] {
                problem(raw.line, visitColumn, "subject '\(raw.subject)' has visit '\(raw.visit)' twice (first on line \(earlier))")
                continue
            }
            visitLines[s][v] = raw.line
            subjects[s].observations.append(Observation(visit: v, score: raw.score, covariates: raw.covariates, line: raw.line))
        }
        for s in subjects.indices { subjects[s].observations.sort { $0.visit < $1.visit } }

        // Each group needs 2 subjects (a group seen only on rejected rows is not counted).
        for (g, name) in groups.enumerated() {
            let members = subjects.filter { $0.group == g }
            if members.count == 1 || (members.isEmpty && problems.isEmpty) {
                problems.append("\(file): group '\(name)' has \(members.count) subject(s)"
                    + (members.isEmpty ? "" : " (\(members.map(\.id).joined(separator: ", ")))") + "; each group needs at least 2")
            }
        }
        // The design must be estimable.
        if problems.isEmpty {
            if subjects.isEmpty { problems.append("\(file): no data rows") }
            for (g, name) in groups.enumerated() {
                let members = subjects.filter { $0.group == g }
                for (v, visit) in visits.enumerated() where !members.contains(where: { $0.observations.contains { $0.visit == v } }) {
                    problems.append("\(file): group '\(name)' has no score at visit '\(visit)'")
                }
            }
            for a in visits.indices {
                for b in 0..<a where !subjects.contains(where: { s in
                    s.observations.contains { $0.visit == a } && s.observations.contains { $0.visit == b }
                }) {
                    problems.append("\(file): no subject has both visit '\(visits[b])' and visit '\(visits[a])', "
                        + "so their covariance cannot be estimated")
                }
            }
        }
        if !problems.isEmpty {
            let shown = problems.prefix(50).joined(separator: "\n  ")
            throw EmoMusikError(
                .malformedFile,
                "\(problems.count) problem(s) in '\(file)':\n  " + shown
                    + (problems.count > 50 ? "\n  … and \(problems.count - 50) more" : ""),
                hint: "one row per subject and visit: \(columns.subject),\(columns.group),\(columns.visit),\(columns.score)"
                    + (baselineName.map { ",\($0)" } ?? "") + covariateNames.map { ",\($0)" }.joined()
                    + "; each subject stays in one group; leave a missed visit out (no row) rather than writing an empty score")
        }
        return MMRMData(file: file, groups: groups, visits: visits, baselineName: baselineName,
                        covariateNames: covariateNames, subjects: subjects)
    }

    static func format(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)" }
}
