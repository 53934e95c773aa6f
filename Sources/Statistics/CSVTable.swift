import EmoMusikCore
import Foundation

extension EmoMusikError.Code {
    /// A rating design is not complete (a target lacks a rating from some rater) or repeats a cell.
    public static let incompleteDesign = EmoMusikError.Code(rawValue: "incomplete-design")
}

/// A CSV file with a header row, read for the statistics commands: fields split on commas, double
/// quotes around a field allowed (`""` inside quotes is one quote), blank lines skipped, a UTF-8
/// byte-order mark ignored. Columns are found by name, case-insensitively, never by position.
public struct CSVTable: Sendable {
    public struct Row: Sendable {
        /// The 1-based line number in the file.
        public let line: Int
        public let fields: [String]
    }

    /// The file name used in error locations.
    public let file: String
    public let header: [String]
    public let rows: [Row]

    /// Parses `text`; `file` is used only in error messages.
    public init(text: String, file: String) throws {
        self.file = file
        var header: [String]? = nil
        var rows: [Row] = []
        var lineNumber = 0
        var body = Substring(text)
        if body.hasPrefix("\u{FEFF}") { body = body.dropFirst() }
        for rawLine in body.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let fields = try Self.splitFields(line, file: file, line: lineNumber)
            if header == nil {
                header = fields.map { $0.trimmingCharacters(in: .whitespaces) }
                continue
            }
            rows.append(Row(line: lineNumber, fields: fields))
        }
        guard let header else {
            throw EmoMusikError(.malformedFile, "'\(file)' is empty: a header row is needed",
                                hint: "start the file with a header naming the columns, e.g. target,rater,rating",
                                location: SourceLocation(file: file, line: 1))
        }
        self.header = header
        self.rows = rows
    }

    /// Reads and parses a CSV file.
    public static func load(path: String) throws -> CSVTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EmoMusikError(.fileNotFound, "cannot read '\(path)'", hint: "check the path and permissions")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw EmoMusikError(.malformedFile, "'\(path)' is not UTF-8 text", location: SourceLocation(file: path))
        }
        return try CSVTable(text: text, file: path)
    }

    /// The 0-based position of the column called `name`, or an error naming the file, the columns
    /// it has, and the closest one.
    public func column(named name: String) throws -> Int {
        if let i = header.firstIndex(where: { $0.lowercased() == name.lowercased() }) { return i }
        let suggestion = closestMatch(to: name, among: header).map { "did you mean '\($0)'? " } ?? ""
        throw EmoMusikError(
            .malformedFile, "no column '\(name)' in the header",
            hint: suggestion + "The header has: " + header.joined(separator: ", "),
            location: SourceLocation(file: file, line: 1, field: name))
    }

    /// The trimmed text of `column` in `row`, or an error naming file, line and field when the row is short.
    public func text(_ row: Row, column: Int) throws -> String {
        guard column < row.fields.count else {
            throw EmoMusikError(
                .malformedFile,
                "the row has \(row.fields.count) field(s) but '\(header[column])' is column \(column + 1)",
                hint: "every row needs a value for each header column",
                location: SourceLocation(file: file, line: row.line, field: header[column]))
        }
        return row.fields[column].trimmingCharacters(in: .whitespaces)
    }

    /// The finite number in `column` of `row`, or an error naming file, line, column and field.
    public func number(_ row: Row, column: Int) throws -> Double {
        let value = try text(row, column: column)
        guard let number = Double(value), number.isFinite else {
            throw EmoMusikError(
                .malformedFile,
                value.isEmpty ? "'\(header[column])' is empty" : "'\(header[column])' value '\(value)' is not a number",
                hint: "write a plain decimal number such as 4 or 3.5",
                location: SourceLocation(file: file, line: row.line, column: column + 1, field: header[column]))
        }
        return number
    }

    /// Every number of the column called `name`.
    public func numbers(column name: String) throws -> [Double] {
        let c = try column(named: name)
        return try rows.map { try number($0, column: c) }
    }

    private static func splitFields(_ line: Substring, file: String, line lineNumber: Int) throws -> [String] {
        var fields: [String] = []
        var current = ""
        var inQuotes = false
        var iterator = line.makeIterator()
        var pending: Character? = nil
        while let ch = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if ch == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { current.append("\"") } else { inQuotes = false; pending = next }
                    } else {
                        inQuotes = false
                    }
                } else {
                    current.append(ch)
                }
            } else if ch == "\"" && current.trimmingCharacters(in: .whitespaces).isEmpty {
                current = ""
                inQuotes = true
            } else if ch == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(ch)
            }
        }
        if inQuotes {
            throw EmoMusikError(.malformedFile, "a quoted field is not closed",
                                hint: "close the field with a double quote; write \"\" for a quote inside it",
                                location: SourceLocation(file: file, line: lineNumber))
        }
        fields.append(current)
        return fields
    }
}
