/// Where in an input file a problem was found. Lines and columns count from 1.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var column: Int?
    /// The field path inside the record, e.g. `valence` or `ensemble.melody.program`.
    public var field: String?

    public init(file: String, line: Int? = nil, column: Int? = nil, field: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        if let column { text += ":\(column)" }
        if let field { text += " (\(field))" }
        return text
    }
}

/// The one error type user-facing code throws: an extensible code, a message that says what
/// went wrong and where, an optional hint that says what to do next, and an optional cause.
public struct EmoMusikError: Error, Sendable, CustomStringConvertible {
    /// An extensible error code; new modules add their own as static members.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A value given on the command line or in a file is outside what is allowed.
        public static let invalidValue = Code(rawValue: "invalid-value")
        /// A file could not be parsed.
        public static let malformedFile = Code(rawValue: "malformed-file")
        /// A file or directory does not exist or cannot be read.
        public static let fileNotFound = Code(rawValue: "file-not-found")
        /// Writing a file failed.
        public static let writeFailed = Code(rawValue: "write-failed")
        /// No usable soundfont, or the soundfont could not be loaded.
        public static let soundfont = Code(rawValue: "soundfont")
        /// The synthesiser failed.
        public static let synth = Code(rawValue: "synth")
    }

    public var code: Code
    public var message: String
    public var hint: String?
    public var location: SourceLocation?
    public var cause: (any Error & Sendable)?

    public init(
        _ code: Code,
        _ message: String,
        hint: String? = nil,
        location: SourceLocation? = nil,
        cause: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.hint = hint
        self.location = location
        self.cause = cause
    }

    /// `file:line:column (field): message` then the hint on its own line, as a compiler prints it.
    public var description: String {
        var text = location.map { "\($0): \(message)" } ?? message
        if let cause { text += " (\(cause))" }
        if let hint { text += "\n  hint: \(hint)" }
        return text
    }
}
