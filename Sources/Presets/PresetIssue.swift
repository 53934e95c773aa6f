import EmoMusikCore

/// One problem in a preset file: where (file, line, column, field path) and what, with the
/// closest valid value when there is one.
public struct PresetIssue: Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String

    public init(location: SourceLocation, message: String) {
        self.location = location
        self.message = message
    }

    /// `presets/calm.yaml:12:14 (ensemble.melody.instrument): unknown instrument "Pianno"; did you mean "Acoustic Grand Piano"?`
    public var description: String { "\(location): \(message)" }
}

/// Every problem found in one preset file, thrown together: validation never stops at the first.
public struct PresetValidationError: Error, Sendable, CustomStringConvertible {
    /// In order of position in the file (problems without a position, such as an unreadable file, first).
    public var issues: [PresetIssue]

    public init(issues: [PresetIssue]) {
        precondition(!issues.isEmpty, "a validation error has at least one issue")
        self.issues = issues
    }

    /// One issue per line.
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
